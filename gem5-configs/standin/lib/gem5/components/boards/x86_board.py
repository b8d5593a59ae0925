"""Stand-in X86Board: a subsystem with the processor, memory and cache
hierarchy as children, the parts of the PC platform a config extends (pc
with its I/O APIC, the workload's Intel MP table, the I/O bus) set up in
_setup_io_devices as v24.0's does, and v24.0's set_kernel_disk_workload
(whose exit_on_work_items, True unless given, sets the board's)."""
import hashlib
import os
import re
from pathlib import Path

import m5
from m5.objects import _bytes  # a memory size in bytes, as gem5 reads it
from m5.objects import (
    AddrRange,
    I82094AA,
    IOXBar,
    Pc,
    SouthBridge,
    SubSystem,
    X86FsLinux,
    X86E820Entry,
    X86E820Table,
    X86IntelMPConfigTable,
    X86IntelMPIOIntAssignment,
)

from ...isas import ISA

_CLOCK = re.compile(r"(\d+(?:\.\d+)?)(GHz|MHz)")


class X86Board(SubSystem):
    _params = frozenset({"m5ops_base", "exit_on_work_items", "readfile", "mem_mode", "mem_ranges", "clk_domain", "workload"})
    type, cxx_class = "System", "gem5::System"  # as gem5 writes the board

    def __init__(self, clk_freq, processor, memory, cache_hierarchy):
        super().__init__()
        m = _CLOCK.fullmatch(clk_freq)
        if not m:
            raise ValueError("clk_freq %r is not like 2.5GHz" % clk_freq)
        ghz = float(m.group(1)) / (1 if m.group(2) == "GHz" else 1000)
        self._period = int(round(1000 / ghz))
        self._set_name()
        self.processor = processor
        self.memory = memory
        self.cache_hierarchy = cache_hierarchy
        self._check_isa(processor)
        self.exit_on_work_items = False
        self._checkpoint = None
        self._readfile_contents = ""
        self._bootloader = []
        self._setup_memory_ranges()
        self._setup_board()

    def _check_isa(self, processor):
        if processor.get_isa() != ISA.X86:
            raise Exception("The X86Board requires a processor using the X86 ISA.")
        self.m5ops_base = 0xFFFF0000

    def _setup_memory_ranges(self):
        # As v24.0's: the memory, then the I/O range; before the board's devices.
        self.mem_ranges = [AddrRange(_bytes(self.memory.get_size())), AddrRange(0xC0000000, size=0x100000)]

    def _setup_board(self):
        self.pc = Pc()
        self.pc.south_bridge = SouthBridge()
        self.workload = X86FsLinux()
        self.workload.intel_mp_table = X86IntelMPConfigTable()
        self.workload.e820_table = X86E820Table()
        self.iobus = IOXBar()
        self._setup_io_devices()

    def _setup_io_devices(self):
        """The I/O APIC after the cores (its id), and the MP table's
        entries of the ISA interrupts (v24.0 has more: the processors,
        the I/O APIC, the buses)."""
        apic = self.processor.get_num_cores()
        self.pc.south_bridge.io_apic = I82094AA(apic_id=apic)
        self.workload.intel_mp_table.base_entries = [
            X86IntelMPIOIntAssignment(interrupt_type="INT", polarity="ConformPolarity", trigger="ConformTrigger",
                                      source_bus_id=1, source_bus_irq=irq, dest_io_apic_id=apic, dest_io_apic_intin=pin)
            for irq, pin in [(0, 2), (1, 1)] + [(i, i) for i in range(3, 15)]
        ]
        size = self.mem_ranges[0].size()
        self.workload.e820_table.entries = [
            X86E820Entry(addr=0, size="639kB", range_type=1),
            X86E820Entry(addr=0x9FC00, size="385kB", range_type=2),
            X86E820Entry(addr=0x100000, size="%dB" % (size - 0x100000), range_type=1),
            X86E820Entry(addr=0xFFFF0000, size="64kB", range_type=2),
        ]

    def get_io_bus(self):
        return self.iobus

    def _post_instantiate(self):
        pass

    def _set_name(self):
        object.__setattr__(self, "_name", "board")

    def get_processor(self):
        return self.processor

    def get_memory(self):
        return self.memory

    def get_cache_hierarchy(self):
        return self.cache_hierarchy

    def clock_period_ticks(self):
        return self._period

    def connect_system_port(self, port):
        pass

    def has_coherent_io(self):
        return True

    def get_mem_side_coherent_io_port(self):
        return None

    def _pre_instantiate(self):
        self.processor.incorporate_processor(self)
        self.cache_hierarchy.incorporate_cache(self)

    def set_kernel_disk_workload(self, kernel, disk_image, bootloader=None, disk_device=None, readfile=None,
                                 readfile_contents=None, kernel_args=None, exit_on_work_items=True, checkpoint=None):
        self._kernel = kernel.get_local_path()
        self._disk = disk_image.get_local_path()
        if bootloader is not None:
            self._bootloader = [bootloader.get_local_path()]
        self._kernel_args = list(kernel_args or [])
        if readfile:
            self.readfile = readfile
        elif readfile_contents:
            digest = hashlib.sha1(readfile_contents.encode()).hexdigest()[:16]
            self.readfile = os.path.join(m5.options.outdir, "readfile_" + digest)
        if readfile_contents:
            with open(self.readfile, "w") as f:
                f.write(readfile_contents)
        self._readfile_contents = readfile_contents or (open(readfile).read() if readfile else "")
        self.exit_on_work_items = exit_on_work_items
        if checkpoint:
            if not isinstance(checkpoint, Path):
                raise Exception("Checkpoints must be passed as a Path or an CheckpointResource.")
            self._checkpoint = checkpoint

    def params(self):
        p = super().params()
        p["workload.object_file"] = self._kernel
        p["workload.command_line"] = " ".join(self._kernel_args)
        return p

