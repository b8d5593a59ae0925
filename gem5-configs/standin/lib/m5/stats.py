"""Stand-in m5.stats: dump and reset write and clear gem5-format stats."""
from . import _standin


def dump():
    _standin.sim.dump_stats()


def reset():
    _standin.sim.reset_stats()
