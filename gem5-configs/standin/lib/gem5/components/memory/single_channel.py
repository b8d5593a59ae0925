"""Stand-in gem5.components.memory.single_channel."""
import re

from m5.objects import SubSystem


class SingleChannelDDR4_2400(SubSystem):
    def __init__(self, size=None):
        super().__init__()
        if size is not None and not re.fullmatch(r"\d+(kB|KiB|MB|MiB|GB|GiB)", str(size)):
            raise ValueError("memory size %r is not like 2GB" % (size,))
        self._size = str(size or "2GB")

    def get_size(self):
        return self._size

    def get_mem_ports(self):
        return [(None, None)]


class SingleChannelDDR3_1600(SingleChannelDDR4_2400):
    def __init__(self, size=None):
        super().__init__(size)
