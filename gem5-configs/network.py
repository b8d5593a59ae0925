# Two-machine mode of vswarmu-mage (TOPOLOGY=two-machine), after
# vSwarm-u's: the test system (the serverless host, `board`) and a drive
# system (`drive`: 1 core at 3.5 GHz, no caches, the client) in one
# simulation, joined by an Ethernet link between a network card on each.
#
# gem5 v24's standard-library X86Board has no network card, and its
# Simulator runs one board. NetworkedX86Board adds an Intel 8254x
# (IGbE_e1000, Linux's e1000 driver) on PCI device 2 with its interrupt
# routed to I/O APIC pin 11 in the Intel MP table (the table Linux reads
# on gem5's x86 platform), and reserves the addresses from the end of
# memory to 3 GB + 1 MB in the E820 map, so that Linux places the card's
# memory BAR inside the window the board's bridge passes to the I/O bus
# (3 GB to 4 GB - 64 kB) and above the board's own I/O range (3 GB, 1 MB,
# in its mem_ranges, which its I/O cache or bridge answers on the I/O
# bus). Found on the real gem5: with no reservation Linux put the BAR
# right after memory and the first access panicked gem5 (BadAddressError);
# reserved up to 3 GB only, it went to 3 GB and gem5 refused two ports
# responding within [0xc0000000:0xc0020000]. TwoMachineSimulator puts both
# boards and the link under one Root.

import m5
import m5.ticks
from gem5.components.boards.x86_board import X86Board
from gem5.components.cachehierarchies.classic.no_cache import NoCache
from gem5.components.memory.single_channel import SingleChannelDDR4_2400
from gem5.components.processors.simple_processor import SimpleProcessor
from gem5.isas import ISA
from gem5.simulate.simulator import Simulator
from m5.objects import EtherLink, IGbE_e1000, Root, X86E820Entry, X86IntelMPIOIntAssignment

# Where the network card sits: PCI device 2, interrupt pin A, I/O APIC pin 11.
NIC_DEVICE = 2
NIC_IRQ = 11
# Where a device's memory BAR may start: the window the X86Board's bridge
# passes to the I/O bus starts at 3 GB, and its first 1 MB is the board's
# own I/O range.
IO_WINDOW = 0xC0000000 + 0x100000


class NetworkedX86Board(X86Board):
    """The standard library's X86Board with an IGbE_e1000 network card."""

    def _setup_io_devices(self):
        super()._setup_io_devices()
        nic = IGbE_e1000(pci_bus=0, pci_dev=NIC_DEVICE, pci_func=0, InterruptLine=NIC_IRQ, InterruptPin=1)
        nic.pio = self.get_io_bus().mem_side_ports
        nic.dma = self.get_io_bus().cpu_side_ports
        self.pc.ethernet = nic
        # PCI bus 0, device NIC_DEVICE, INTA# -> the I/O APIC's pin NIC_IRQ.
        route = X86IntelMPIOIntAssignment(
            interrupt_type="INT",
            polarity="ConformPolarity",
            trigger="ConformTrigger",
            source_bus_id=0,
            source_bus_irq=NIC_DEVICE << 2,
            dest_io_apic_id=self.pc.south_bridge.io_apic.apic_id,
            dest_io_apic_intin=NIC_IRQ,
        )
        table = self.workload.intel_mp_table
        # A vector whose other entries have a parent adopts no new one.
        table.ethernet_route = route
        table.base_entries = list(table.base_entries) + [route]
        self._reserve_io_hole()

    def _reserve_io_hole(self):
        """Marks [end of memory, IO_WINDOW) reserved in the E820 map."""
        end = self.mem_ranges[0].size()
        if end >= IO_WINDOW:
            return
        hole = X86E820Entry(addr=end, size="%dB" % (IO_WINDOW - end), range_type=2)
        e820 = self.workload.e820_table
        e820.io_hole = hole
        e820.entries = list(e820.entries) + [hole]

    def interface(self):
        """The network card's end of a link."""
        return self.pc.ethernet.interface


def drive_board(cpu_type, memory: str, clock: str, cores: int = 1) -> NetworkedX86Board:
    """The drive system (topologies.json's drive): cores of cpu_type (a
    CPUTypes) at clock, no caches (the client's own cache behaviour is not measured), memory
    of the given size. Boot and setup start it on the setup cores, an
    evaluation on atomic ones: the same objects, so checkpoints restore."""
    processor = SimpleProcessor(cpu_type=cpu_type, num_cores=cores, isa=ISA.X86)
    return NetworkedX86Board(
        clk_freq=clock,
        processor=processor,
        memory=SingleChannelDDR4_2400(size=memory),
        cache_hierarchy=NoCache(),
    )


def link(test: NetworkedX86Board, drive: NetworkedX86Board, delay: str, bandwidth: str) -> EtherLink:
    """The Ethernet link between the two systems' cards."""
    return EtherLink(int0=test.interface(), int1=drive.interface(), delay=delay, speed=bandwidth)


class TwoMachineSimulator(Simulator):
    """gem5 v24's Simulator with a second board and the link under its
    Root: the test system stays `board` (its statistics keep their
    names), the drive system and the link are named as topologies.json
    names them (drive, link). Exit events
    of both systems reach the same handlers; a checkpoint holds both."""

    def __init__(self, board, drive, ethernet, names=("drive", "link"), **kwargs):
        super().__init__(board=board, **kwargs)
        self._drive = drive
        self._link = ethernet
        self._names = names

    def _instantiate(self) -> None:
        if self._instantiated:
            return
        boards = (self._board, self._drive)
        for b in boards:
            b._pre_instantiate()
        root = Root(full_system=True, board=self._board, **dict(zip(self._names, (self._drive, self._link))))
        self._root = root
        if any(core.is_kvm_core() for b in boards for core in _all_cores(b.get_processor())):
            m5.ticks.fixGlobalFrequency()
            root.sim_quantum = m5.ticks.fromSeconds(0.001)
        checkpoint = self._board._checkpoint
        m5.instantiate(checkpoint.as_posix() if checkpoint else self._checkpoint_path)
        self._instantiated = True
        for b in boards:
            b._post_instantiate()


def _all_cores(processor):
    """Every core of a processor, the switched-out ones of a switchable
    processor too."""
    if hasattr(processor, "_all_cores"):
        return list(processor._all_cores())
    return processor.get_cores()
