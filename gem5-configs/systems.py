# The simulated systems vswarmu-mage knows (SYSTEM=). Adding one is one
# entry in SYSTEMS: the Go side reads this file for the names SYSTEM accepts
# (gem5-configs/systems.go), so keep each entry's layout: `"name": System(`
# at four spaces, description= and detailed= on lines of their own.
#
# A system is a clock, a cache hierarchy, the detailed core type it is
# measured on by default, and optional tuning of the detailed cores.

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

from caches import ClassicHierarchy, Level

# The detailed core types an evaluation can switch to (DETAILED_CPU=).
# Not "minor": on gem5 v24.0's x86 full system, MinorCPU cores switched in
# from a checkpoint make no progress (measured on the tiny guest: 13
# instructions committed in 381 million cycles).
DETAILED_CPUS = ("timing", "o3")


@dataclass(frozen=True)
class System:
    """One simulated system."""

    description: str
    clock: str
    caches: Callable[[], ClassicHierarchy]
    detailed: str  # default detailed core type, one of DETAILED_CPUS
    # Parameters set on O3 detailed cores (name -> value or a factory).
    o3: Dict[str, object] = field(default_factory=dict)


def _ltage():
    from m5.objects import LTAGE

    return LTAGE()


SYSTEMS = {
    # vSwarm-u's "simple" system: 2.5 GHz, private 16 kB 8-way L1s, a
    # shared 128 kB 8-way last-level cache of 12 cycles, timing cores.
    "simple": System(
        description="2.5 GHz, 16 kB L1I/L1D, shared 128 kB LLC, TimingSimpleCPU",
        clock="2.5GHz",
        detailed="timing",
        caches=lambda: ClassicHierarchy(
            l1i=Level("16kB", 8, latency=1, response_latency=2),
            l1d=Level("16kB", 8, latency=1, response_latency=2),
            llc=Level("128kB", 8, latency=12, response_latency=12),
        ),
    ),
    # vSwarm-u's "skylake" system: 32 kB L1s with next-line prefetchers,
    # private 1 MB L2s (12 cycles), a shared 8 MB 16-way L3 (36 cycles),
    # O3 cores sized as Skylake (ROB 336, IQ 146, LQ 144, SQ 112, LTAGE).
    "skylake": System(
        description="3 GHz, 32 kB L1s (next-line), 1 MB L2s, shared 8 MB L3, O3 sized as Skylake",
        clock="3GHz",
        detailed="o3",
        caches=lambda: ClassicHierarchy(
            l1i=Level("32kB", 8, latency=1, response_latency=1, mshrs=10, tgts_per_mshr=16, write_buffers=32,
                      next_line_prefetch=True),
            l1d=Level("32kB", 8, latency=1, response_latency=1, mshrs=10, tgts_per_mshr=16, write_buffers=12,
                      next_line_prefetch=True),
            l2=Level("1MB", 8, latency=12, response_latency=6, mshrs=32, tgts_per_mshr=1, write_buffers=56),
            llc=Level("8MB", 16, latency=36, response_latency=1, mshrs=32, tgts_per_mshr=2, write_buffers=64),
        ),
        o3={
            "numROBEntries": 336,
            "numIQEntries": 146,
            "LQEntries": 144,
            "SQEntries": 112,
            "branchPred": _ltage,
        },
    ),
}


# The board every setup run boots on: its checkpoint serves every system.
SETUP = "simple"


def tune(system: System, processor) -> None:
    """Applies a system's O3 parameters to the processor's O3 cores (only
    detailed cores are O3; the cores a run starts on never are)."""
    from m5.objects import BaseO3CPU

    for obj in processor.descendants():
        if isinstance(obj, BaseO3CPU):
            for name, value in system.o3.items():
                setattr(obj, name, value() if callable(value) else value)


def get(name: str) -> Optional[System]:
    return SYSTEMS.get(name)
