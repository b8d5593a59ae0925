"""Stand-in ArmBoard, as v24.0's is built: the processor, memory and cache
hierarchy as children, the platform as `realview`, the Terminal as
`terminal` (its output is board.terminal), ArmFsLinux as the workload, the
memory from 0x80000000 (the VExpress platforms' DRAM), and its checks: an
Arm processor, a boot loader given with the kernel. The rest is the
stand-in X86Board's (a subsystem that writes gem5's names)."""
from m5.objects import _bytes
from m5.objects import AddrRange, ArmDefaultRelease, ArmFsLinux, IOXBar, Terminal, VExpress_GEM5_Foundation

from ...isas import ISA
from .x86_board import X86Board


class ArmBoard(X86Board):
    _params = X86Board._params | {"release", "multi_proc"}
    type, cxx_class = "ArmSystem", "gem5::ArmSystem"  # as gem5 writes the board

    def __init__(self, clk_freq, processor, memory, cache_hierarchy, platform=None, release=None):
        self._platform = platform if platform is not None else VExpress_GEM5_Foundation()
        self._release = release if release is not None else ArmDefaultRelease()
        super().__init__(clk_freq, processor, memory, cache_hierarchy)

    def _check_isa(self, processor):
        if processor.get_isa() != ISA.ARM:
            raise Exception("The ArmBoard requires a processor using the ARM ISA.")
        self.m5ops_base = 0  # ArmSystem's default: address-based m5 ops off

    def _setup_memory_ranges(self):
        self.mem_ranges = [AddrRange(0x80000000, size=_bytes(self.memory.get_size()))]

    def _setup_board(self):
        self.release = self._release
        self.workload = ArmFsLinux()
        self.realview = self._platform
        self.terminal = Terminal()
        self.iobus = IOXBar()

    def _pre_instantiate(self):
        if not self._bootloader:
            raise Exception("The ArmBoard needs a bootloader: set_kernel_disk_workload(bootloader=...)")
        super()._pre_instantiate()

    def get_disk_device(self):
        return "/dev/vda"
