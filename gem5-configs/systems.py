# The simulated systems vswarmu-mage knows (SYSTEM=), read from
# systems.json beside this file. Adding one is one entry in that file's
# "systems" list; the Go side reads the same file (gem5-configs/systems.go)
# for the names SYSTEM accepts, so neither language parses the other.
#
# A system is a clock, a cache hierarchy (caches.py's levels: l1i, l1d,
# optional private l2, shared llc), the detailed core type it is measured
# on by default, and optional parameters of the detailed O3 cores (a value
# {"object": "Name"} is a new m5.objects.Name).

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Optional

from caches import ClassicHierarchy, Level

CATALOGUE = Path(__file__).with_name("systems.json")


@dataclass(frozen=True)
class System:
    """One simulated system."""

    description: str
    clock: str
    caches: Callable[[], ClassicHierarchy]
    detailed: str  # default detailed core type, one of DETAILED_CPUS
    # Parameters set on O3 detailed cores (name -> value or a factory).
    o3: Dict[str, object] = field(default_factory=dict)
    # The main memory: a factory of the board's memory of a size ("2GB"),
    # and its name as runs record it.
    memory: Callable[[str], object] = None
    memory_name: str = ""


def _object(name):
    """A factory of the m5.objects class name (gem5 objects are made when
    the system is built, not when the catalogue is read)."""

    def make():
        import m5.objects

        return getattr(m5.objects, name)()

    return make


# The DRAM channels a memory entry can name (systems.go's MemoryKinds less
# "simple").
DRAM = ("DDR3_1600", "DDR3_2133", "DDR4_2400", "LPDDR3_1600", "HBM",
        "DualChannelDDR3_1600", "DualChannelDDR3_2133", "DualChannelDDR4_2400", "DualChannelLPDDR3_1600")


def memory_of(spec):
    """The memory factory and name of a system's "memory" entry: gem5's
    SimpleMemory (kind "simple") or a standard-library DRAM channel."""
    kind = spec["kind"]
    if kind != "simple" and kind not in DRAM:
        raise ValueError("memory model %r is not simple or one of %s" % (kind, ", ".join(DRAM)))
    if kind == "simple":
        lat, var, bw = spec["latency"], spec.get("latency_var", "0ns"), spec["bandwidth"]

        def simple(size):
            from gem5.components.memory.simple import SingleChannelSimpleMemory

            return SingleChannelSimpleMemory(latency=lat, latency_var=var, bandwidth=bw, size=size)

        return simple, "SimpleMemory %s (\u00b1%s), %s" % (lat, var, bw)
    name = kind if kind.startswith("DualChannel") else "SingleChannel" + kind

    def dram(size):
        import importlib

        module = "multi_channel" if kind.startswith("DualChannel") else "single_channel"
        return getattr(importlib.import_module("gem5.components.memory." + module), name)(size=size)

    return dram, name


def _system(entry):
    """A System from one entry of systems.json."""
    levels = {k: Level(**v) for k, v in entry["caches"].items()}
    o3 = {k: _object(v["object"]) if isinstance(v, dict) else v for k, v in entry.get("o3", {}).items()}
    memory, memory_name = memory_of(entry["memory"])
    return System(
        description=entry["description"],
        clock=entry["clock"],
        detailed=entry["detailed"],
        caches=lambda: ClassicHierarchy(**levels),
        o3=o3,
        memory=memory,
        memory_name=memory_name,
    )


def load(path=CATALOGUE):
    """The systems, the detailed core types and the setup system of a
    catalogue file."""
    data = json.loads(Path(path).read_text())
    return {e["name"]: _system(e) for e in data["systems"]}, tuple(data["detailed_cpus"]), data["setup"]


SYSTEMS, DETAILED_CPUS, SETUP = load()


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
