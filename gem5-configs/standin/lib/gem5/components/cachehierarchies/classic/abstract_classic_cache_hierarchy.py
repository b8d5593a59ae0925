"""Stand-in AbstractClassicCacheHierarchy."""
from m5.objects import SubSystem


class AbstractClassicCacheHierarchy(SubSystem):
    def __init__(self):
        super().__init__()

    def is_ruby(self):
        return False
