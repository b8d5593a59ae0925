"""Shared part of the stand-in classic cache hierarchies."""
import re

_SIZE = re.compile(r"(\d+)(B|kB|KiB|MB|MiB)")


def size_bytes(s):
    m = _SIZE.fullmatch(str(s))
    if not m:
        raise ValueError("cache size %r is not like 16kB or 1MB" % (s,))
    n, unit = int(m.group(1)), m.group(2)
    return n * {"B": 1, "kB": 1024, "KiB": 1024, "MB": 1 << 20, "MiB": 1 << 20}[unit]
