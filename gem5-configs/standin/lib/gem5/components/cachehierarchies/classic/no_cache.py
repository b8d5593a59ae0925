"""Stand-in NoCache: the cores and devices reach memory directly."""
from .abstract_classic_cache_hierarchy import AbstractClassicCacheHierarchy


class NoCache(AbstractClassicCacheHierarchy):
    def incorporate_cache(self, board):
        self._board = board
