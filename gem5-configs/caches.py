# Classic (non-Ruby) cache hierarchies for vswarmu-mage's systems, on
# gem5 v24's standard library.
#
# gem5 v24.0's library has private-L1 + shared-L2 and private-L1 +
# private-L2 classic hierarchies, but no three levels, and its L1 classes
# always carry a stride prefetcher. ClassicHierarchy builds any of:
#
#   private L1I/L1D per core (optionally with a next-line prefetcher)
#   [private L2 per core]
#   shared last-level cache
#
# so vSwarm-u's "simple" system (16 kB L1s, 128 kB shared LLC, no
# prefetcher) and its "skylake" system (32 kB L1s with next-line
# prefetchers, 1 MB private L2s, an 8 MB 16-way shared L3 of 36 cycles)
# are modelled as published. The statistics name the caches per core
# position: board.cache_hierarchy.l1icaches<k>, l1dcaches<k>,
# l2caches<k>, and the shared one l2cache (two levels) or l3cache.

from dataclasses import dataclass
from typing import Optional

from m5.objects import (
    BadAddr,
    Cache,
    L2XBar,
    SystemXBar,
    TaggedPrefetcher,
)

from gem5.components.cachehierarchies.classic.abstract_classic_cache_hierarchy import (
    AbstractClassicCacheHierarchy,
)
from gem5.isas import ISA


@dataclass(frozen=True)
class Level:
    """One cache level: size, associativity and latencies (cycles)."""

    size: str
    assoc: int
    latency: int
    response_latency: int
    mshrs: int = 16
    tgts_per_mshr: int = 20
    write_buffers: int = 8
    next_line_prefetch: bool = False


def _cache(level: Level, writeback_clean: bool = False) -> Cache:
    c = Cache(
        size=level.size,
        assoc=level.assoc,
        tag_latency=level.latency,
        data_latency=level.latency,
        response_latency=level.response_latency,
        mshrs=level.mshrs,
        tgts_per_mshr=level.tgts_per_mshr,
        write_buffers=level.write_buffers,
        writeback_clean=writeback_clean,
    )
    if level.next_line_prefetch:
        # A next-line prefetcher: one line ahead, on instruction and
        # data misses.
        c.prefetcher = TaggedPrefetcher(degree=1, queue_size=2, on_inst=True)
    return c


# Page-table walker caches, one per core and walker.
WALKER = Level(size="8kB", assoc=4, latency=1, response_latency=1, mshrs=32, tgts_per_mshr=1, write_buffers=32)


class ClassicHierarchy(AbstractClassicCacheHierarchy):
    """Private L1s, optional private L2s, one shared last-level cache."""

    def __init__(self, l1i: Level, l1d: Level, llc: Level, l2: Optional[Level] = None):
        AbstractClassicCacheHierarchy.__init__(self)
        self._l1i, self._l1d, self._l2, self._llc = l1i, l1d, l2, llc
        self.membus = SystemXBar(width=64)
        self.membus.badaddr_responder = BadAddr()
        self.membus.default = self.membus.badaddr_responder.pio

    def get_mem_side_port(self):
        return self.membus.mem_side_ports

    def get_cpu_side_port(self):
        return self.membus.cpu_side_ports

    def levels(self):
        """The levels, for the run's description: name -> Level."""
        out = {"l1i": self._l1i, "l1d": self._l1d}
        if self._l2:
            out["l2"] = self._l2
        out["l3" if self._l2 else "l2"] = self._llc
        return out

    def set_levels(self, levels):
        """Replaces levels by name (as levels() names them), before the
        caches are built."""
        self._l1i, self._l1d = levels["l1i"], levels["l1d"]
        if self._l2:
            self._l2, self._llc = levels["l2"], levels["l3"]
        else:
            self._llc = levels["l2"]

    def incorporate_cache(self, board):
        board.connect_system_port(self.membus.cpu_side_ports)
        for _, port in board.get_memory().get_mem_ports():
            self.membus.mem_side_ports = port
        cores = board.get_processor().get_cores()
        n = len(cores)
        self.l1icaches = [_cache(self._l1i) for _ in range(n)]
        self.l1dcaches = [_cache(self._l1d) for _ in range(n)]
        self.iptw_caches = [_cache(WALKER) for _ in range(n)]
        self.dptw_caches = [_cache(WALKER) for _ in range(n)]
        self.llcbus = L2XBar()
        shared = _cache(self._llc)
        if self._l2:
            self.l3cache = shared
            self.l2caches = [_cache(self._l2) for _ in range(n)]
            self.l2buses = [L2XBar() for _ in range(n)]
        else:
            self.l2cache = shared
        for i, cpu in enumerate(cores):
            cpu.connect_icache(self.l1icaches[i].cpu_side)
            cpu.connect_dcache(self.l1dcaches[i].cpu_side)
            cpu.connect_walker_ports(self.iptw_caches[i].cpu_side, self.dptw_caches[i].cpu_side)
            below = self.llcbus
            if self._l2:
                below = self.l2buses[i]
                self.l2buses[i].mem_side_ports = self.l2caches[i].cpu_side
                self.l2caches[i].mem_side = self.llcbus.cpu_side_ports
            for c in (self.l1icaches[i], self.l1dcaches[i], self.iptw_caches[i], self.dptw_caches[i]):
                c.mem_side = below.cpu_side_ports
            if board.get_processor().get_isa() == ISA.X86:
                cpu.connect_interrupt(self.membus.mem_side_ports, self.membus.cpu_side_ports)
            else:
                cpu.connect_interrupt()
        self.llcbus.mem_side_ports = shared.cpu_side
        self.membus.cpu_side_ports = shared.mem_side
        if board.has_coherent_io():
            self.iocache = Cache(
                assoc=8,
                tag_latency=50,
                data_latency=50,
                response_latency=50,
                mshrs=20,
                size="1kB",
                tgts_per_mshr=12,
                addr_ranges=board.mem_ranges,
            )
            self.iocache.mem_side = self.membus.cpu_side_ports
            self.iocache.cpu_side = board.get_mem_side_coherent_io_port()
