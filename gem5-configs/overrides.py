# Overrides of a system's parameters for one evaluation (a sweep point):
# the clock, each cache level's size and associativity, the L1s' next-line
# prefetchers. Checked before anything is built, so a value gem5 would
# reject (a size that is not a power of two, more ways than lines) fails
# at once, naming the point.
#
# Levels are named as in the statistics: l1i, l1d, l2 (the shared LLC of a
# two-level system, the private L2s of a three-level one) and l3 (the
# shared LLC of a three-level system).

import dataclasses
import re

LINE = 64  # bytes per cache line

# --memory-model simple: gem5's SimpleMemory with its defaults.
SIMPLE_MEMORY = {"latency": "30ns", "latency_var": "0ns", "bandwidth": "12.8GiB/s"}

SIZE_UNITS = {"B": 1, "kB": 1 << 10, "KB": 1 << 10, "KiB": 1 << 10, "MB": 1 << 20, "MiB": 1 << 20, "GB": 1 << 30}
LEVELS = ("l1i", "l1d", "l2", "l3")


class OverrideError(ValueError):
    """An override gem5 could not build."""


def size_bytes(text):
    m = re.match(r"^(\d+)(B|kB|KB|KiB|MB|MiB|GB)$", text)
    if not m:
        raise OverrideError("size %r: write it like 32kB or 2MB" % text)
    return int(m.group(1)) * SIZE_UNITS[m.group(2)]


def power_of_two(n):
    return n > 0 and n & (n - 1) == 0


def check_clock(text):
    if not re.match(r"^\d+(\.\d+)?(GHz|MHz)$", text):
        raise OverrideError("clock %r: write it like 3GHz or 2500MHz" % text)


def check_level(name, size, assoc):
    """A level's geometry: a power-of-two size, a power-of-two number of
    ways, and a power-of-two number of sets of at least one."""
    if assoc < 1 or not power_of_two(assoc):
        raise OverrideError("%s associativity %d: a power of two (1, 2, 4, ...)" % (name, assoc))
    n = size_bytes(size)
    if not power_of_two(n):
        raise OverrideError("%s size %s: a power of two" % (name, size))
    sets = n // (LINE * assoc)
    if sets < 1 or not power_of_two(sets):
        raise OverrideError("%s: %s with %d ways has %s sets of %d-byte lines; it needs a power of two"
                            % (name, size, assoc, sets if sets >= 1 else "no", LINE))


def add_arguments(p):
    """The override options of run_sim.py."""
    p.add_argument("--point", help="name of the sweep point, for messages")
    p.add_argument("--clock", help="core clock (3GHz)")
    for level in LEVELS:
        p.add_argument("--%s-size" % level, help="%s size (32kB)" % level)
        p.add_argument("--%s-assoc" % level, type=int, help="%s associativity" % level)
    p.add_argument("--prefetch", choices=["on", "off"], help="the L1s' next-line prefetchers")
    p.add_argument("--memory-model", help="main memory: simple (SimpleMemory, gem5's defaults) or a DRAM channel (DDR4_2400)")


def apply(system, args):
    """The system with the overrides of args, checked; raises OverrideError."""
    levels = dict(system.caches().levels())
    changes, changed = {}, False
    if args.clock:
        check_clock(args.clock)
        changes["clock"] = args.clock
    for name in LEVELS:
        size, assoc = getattr(args, name + "_size"), getattr(args, name + "_assoc")
        if size is None and assoc is None:
            continue
        if name not in levels:
            raise OverrideError("system %s has no %s (its levels: %s)" % (args.system, name, ", ".join(levels)))
        level = levels[name]
        level = dataclasses.replace(level, size=size or level.size, assoc=assoc or level.assoc)
        check_level(name, level.size, level.assoc)
        levels[name], changed = level, True
    if args.prefetch:
        for name in ("l1i", "l1d"):
            levels[name] = dataclasses.replace(levels[name], next_line_prefetch=args.prefetch == "on")
        changed = True
    if args.memory_model:
        import systems

        spec = {"kind": args.memory_model}
        if args.memory_model == "simple":
            spec.update(SIMPLE_MEMORY)
        try:
            changes["memory"], changes["memory_name"] = systems.memory_of(spec)
        except ValueError as e:
            raise OverrideError(str(e))
    if changed:
        base = system.caches

        def caches():
            h = base()
            h.set_levels(levels)
            return h

        changes["caches"] = caches
    return dataclasses.replace(system, **changes) if changes else system
