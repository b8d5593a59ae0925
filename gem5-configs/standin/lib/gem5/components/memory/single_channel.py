"""Stand-in gem5.components.memory.single_channel."""
import re


class SingleChannelDDR4_2400:
    def __init__(self, size=None):
        if size is not None and not re.fullmatch(r"\d+(kB|KiB|MB|MiB|GB|GiB)", str(size)):
            raise ValueError("memory size %r is not like 2GB" % (size,))
        self.size = size or "2GB"
