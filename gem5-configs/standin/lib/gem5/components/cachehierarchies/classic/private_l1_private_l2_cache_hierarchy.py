"""Stand-in PrivateL1PrivateL2CacheHierarchy."""
from ._base import size_bytes


class PrivateL1PrivateL2CacheHierarchy:
    def __init__(self, l1d_size, l1i_size, l2_size):
        self.sizes = {"l1d": size_bytes(l1d_size), "l1i": size_bytes(l1i_size), "l2": size_bytes(l2_size)}

    def l2_name(self, core):
        return "l2caches%d" % core
