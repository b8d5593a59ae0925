# Simulates one containerized serverless function on gem5 (X86, full
# system) for vswarmu-mage. Run by gem5 v24.0 or later:
#
#   gem5.opt --outdir=<results>/<fn> run_sim.py --kernel vmlinux --disk disk.raw \
#       --function fibonacci-go --mode setup --checkpoint-dir cpt/fibonacci-go \
#       --script run.sh
#   gem5.opt --outdir=<results>/<fn> run_sim.py ... --mode evaluation \
#       --atomic-warming 10 --num-invocations 10
#
# The protocol follows vSwarm-u: the guest's gem5init agent runs the
# script given with --script (read by `m5 readfile`); the script and the
# client signal progress with m5 fail codes and work items.
#
# Setup mode boots on KVM cores (or atomic with --setup-cpu atomic),
# starts the function, and takes a checkpoint when the client's warm-up is
# done (fail code 32). Every setup runs on the same board (the setup
# system's clock, memory and caches; --system is for evaluations), so one
# checkpoint serves every system: a checkpoint holds no cache contents. Evaluation mode restores that checkpoint on atomic
# cores, runs --atomic-warming invocations to warm the caches, switches to
# the detailed cores, resets the statistics, measures --num-invocations
# invocations (work items 100+i), dumps the statistics and ends.
#
# Boot mode boots the setup board (no function, no script) until the
# guest's gem5init agent is about to read its run script (fail code 5)
# and checkpoints there; a setup given --boot-checkpoint restores it, and
# the agent then reads that setup's own script: one boot serves every
# function (vSwarm-u's boot checkpoint).
#
# --max-ticks N checks a configuration without a guest protocol: setup
# boots for N ticks (no checkpoint: gem5 v24 cannot drain an x86 system
# for one that early in the boot); evaluation restores, runs N ticks on the
# atomic cores, switches, runs N ticks on the detailed cores and dumps.
#
# --topology two-machine simulates vSwarm-u's two machines (network.py):
# the test system runs --script (it starts and pins the function, then
# brings its network card up: the drive system's signal that it is
# ready), the drive system (--drive-disk, 1 core) runs --drive-script
# (it waits for the test system and runs the client with its m5 ops).
# Fail codes, the checkpoint on the warm-up's end and the work items keep
# their meaning; the work items come from the drive system only, and the
# evaluation switches and measures the test system's cores. A boot
# checkpoint is taken once both systems reached their run scripts.
#
# The log lines "Start invokation N", "End invokation N" and
# "Simulation done" are what the original's checks, and report:check, read.
#
# The parts, each an object with its inputs given to its constructor:
# Machine (the system under test's board), Workload (what a board boots),
# a topology (topologies.py: one system, or two with a drive system and a
# link), and the guest protocol's handlers (protocol.py). main() only
# reads the command line and connects them.

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import compat

compat.allow_builds_without_ruby()

import m5  # noqa: E402
from gem5.components.processors.cpu_types import CPUTypes  # noqa: E402
from gem5.components.processors.simple_switchable_processor import (  # noqa: E402
    SimpleSwitchableProcessor,
)
from gem5.isas import ISA  # noqa: E402
from gem5.resources.resource import BootloaderResource, DiskImageResource, KernelResource  # noqa: E402

import overrides  # noqa: E402
import protocol  # noqa: E402
import systems  # noqa: E402
import topologies  # noqa: E402

# Kernel arguments that keep the guest from wasting the measured window:
# gem5 wakes a core that idles in MWAIT late (the function's core waits on
# the client far longer than on real hardware), HLT it wakes at once.
GUEST_KERNEL_ARGS = ["idle=halt"]

# gem5's x86 local APIC timer counts at its core clock over 16
# (X86LocalApic's clock domain).
LAPIC_CLOCK_DIVIDER = 16


def lapic_timer_args(clock: str) -> List[str]:
    """The x86 kernel argument that gives the local APIC timer's clock of
    a board at clock (kernel/patches: the kernel then skips its
    calibration, two busy-waited 100 ms periods, about 200 million
    instructions on atomic cores); a kernel without the patch passes it
    on to init's environment and calibrates."""
    return ["lapic_timer_khz=%d" % round(hertz(clock) / LAPIC_CLOCK_DIVIDER / 1000)]


def hertz(clock: str) -> float:
    """A clock as systems.json and topologies.json write it ("2.5GHz") in Hz."""
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([kMG]?)Hz", clock.strip())
    if not m:
        raise ValueError("clock %r is not a number and Hz, kHz, MHz or GHz" % clock)
    return float(m.group(1)) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[m.group(2)]

CORE_TYPES = {
    "kvm": CPUTypes.KVM,
    "atomic": CPUTypes.ATOMIC,
    "timing": CPUTypes.TIMING,
    "minor": CPUTypes.MINOR,
    "o3": CPUTypes.O3,
}

# Where the Arm guest's m5 ops reach gem5 by address (the m5 utility's and
# the client's default on arm64, vSwarm-u's 0x10010000); instruction-based
# m5 ops work besides it.
ARM_M5OPS_BASE = 0x10010000


def parse_args(argv):
    p = argparse.ArgumentParser(description="Simulate one serverless function (vswarmu-mage).")
    p.add_argument("--kernel", required=True, help="vmlinux to boot")
    p.add_argument("--disk", required=True, help="raw disk image")
    p.add_argument("--function", default="", help="function name (setup and evaluation)")
    p.add_argument(
        "--mode",
        choices=protocol.MODES,
        required=True,
        help="boot: boot and checkpoint before the run script; setup: start the function and checkpoint; "
        "evaluation: restore and measure",
    )
    p.add_argument("--checkpoint-dir", required=True,
                   help="where boot and setup write their checkpoint and evaluation reads it")
    p.add_argument("--boot-checkpoint", help="setup: restore this boot checkpoint instead of booting")
    p.add_argument("--script", help="run script handed to the guest (m5 readfile)")
    p.add_argument("--system", choices=sorted(systems.SYSTEMS), default="simple", help="simulated system")
    p.add_argument(
        "--detailed-cpu",
        choices=systems.DETAILED_CPUS,
        help="cores the evaluation measures on (default: the system's)",
    )
    p.add_argument("--cpus", type=int, default=2, help="cores (the function runs on core 1)")
    p.add_argument("--memory", default="2GB", help="memory size (at most 3GB on the X86 board)")
    p.add_argument("--root", default="/dev/sda2", help="root device on the kernel command line")
    p.add_argument("--setup-cpu", choices=["kvm", "atomic"], default="kvm", help="cores that boot in setup mode")
    p.add_argument(
        "--atomic-warming", type=int, default=10, help="invocations on atomic cores before the detailed cores take over"
    )
    p.add_argument("--num-invocations", type=int, default=10, help="measured invocations")
    p.add_argument(
        "--measurement",
        choices=["window", "per-invocation"],
        default="window",
        help="window: one dump over the measured invocations (vSwarm-u's); per-invocation: a dump per invocation, "
        "reset at its work begin and dumped at its work end",
    )
    p.add_argument("--kernel-args", default="", help="more kernel command line arguments (they shape the boot)")
    p.add_argument("--guest-idle", choices=["halt", "kernel"], default="halt",
                   help="x86: halt adds GUEST_KERNEL_ARGS (idle=halt); kernel leaves the idle loop to the kernel "
                   "(MWAIT)")
    p.add_argument("--init", default="",
                   help="the test system's init (init= on its kernel command line), \"\" for the disk's own")
    p.add_argument("--isa", choices=["x86", "arm"], default="x86",
                   help="x86: gem5's X86Board; arm: its ArmBoard (VExpress_GEM5_Foundation), which needs --bootloader")
    p.add_argument("--bootloader", help="arm: the boot loader (gem5's boot_foundation.arm64)")
    p.add_argument("--max-ticks", type=int,
                   help="check the configuration: run this many ticks per phase, no guest protocol")
    add_topology_arguments(p)
    overrides.add_arguments(p)
    args = p.parse_args(argv)
    for problem in problems(args):
        p.error(problem)
    if not args.detailed_cpu:
        args.detailed_cpu = systems.SYSTEMS[args.system].detailed
    try:
        args.evaluated = overrides.apply(systems.SYSTEMS[args.system], args)
    except overrides.OverrideError as e:
        p.error("%s: %s" % ("sweep point " + args.point if args.point else "overrides", e))
    return args


def add_topology_arguments(p):
    """The arrangement's options; the drive system's and the link's
    defaults are topologies.json's."""
    two = topologies.TOPOLOGIES["two-machine"].spec
    p.add_argument("--topology", choices=list(topologies.TOPOLOGIES), default="single",
                   help="; ".join("%s: %s" % (t.spec.name, t.spec.description) for t in topologies.TOPOLOGIES.values()))
    p.add_argument("--drive-disk", help="two-machine: the drive system's disk (the client)")
    p.add_argument("--drive-script", help="two-machine: the drive system's run script (m5 readfile)")
    p.add_argument("--drive-memory", default=two.drive.memory, help="two-machine: the drive system's memory")
    p.add_argument("--link-delay", default=two.link.delay, help="two-machine: the link's delay")
    p.add_argument("--link-bandwidth", default=two.link.bandwidth, help="two-machine: the link's bandwidth")


def problems(args) -> List[str]:
    """What is wrong with the command line's combination of options."""
    out = []
    if args.cpus < 2:
        out.append("--cpus must be at least 2: the function is pinned to core 1")
    if args.atomic_warming < 0 or args.num_invocations < 1:
        out.append("--atomic-warming must be >= 0 and --num-invocations >= 1")
    if args.mode == "setup" and not args.script and not args.max_ticks:
        out.append("--script is required in setup mode")
    if args.mode != "boot" and not args.function:
        out.append("--function is required in %s mode" % args.mode)
    if args.boot_checkpoint and args.mode != "setup":
        out.append("--boot-checkpoint is for setup mode")
    if args.max_ticks is not None and args.max_ticks < 1:
        out.append("--max-ticks must be positive")
    if args.isa == "arm" and not args.bootloader:
        out.append("--bootloader is required with --isa arm (gem5:bootloader builds boot_foundation.arm64)")
    if args.isa != "arm" and args.bootloader:
        out.append("--bootloader is for --isa arm")
    req = topologies.Request(mode=args.mode, isa=args.isa, drive_disk=args.drive_disk or "",
                             drive_script=args.drive_script or "", bounded=bool(args.max_ticks))
    return out + topologies.TOPOLOGIES[args.topology].problems(req)


class Machine:
    """The system under test's board: the system's clock, caches and core
    tuning, a switchable processor of cpus cores that starts on one core
    type and switches to another, memory, and the board type (the ISA's,
    or the topology's on X86). Boot, setup and evaluation build the same
    processor (start and switch cores of the same number), so the
    checkpoint's objects match on restore."""

    def __init__(self, system, start: str, switch: str, cpus: int, memory: str, isa: str, board_type):
        # board_type is called only for an X86 board: it imports X86 objects,
        # which an ARM gem5 does not have.
        self.system, self.start, self.switch = system, start, switch
        self.cpus, self.memory, self.isa, self.board_type = cpus, memory, isa, board_type

    def build(self):
        """The board and its processor."""
        processor = SimpleSwitchableProcessor(
            starting_core_type=CORE_TYPES[self.start],
            switch_core_type=CORE_TYPES[self.switch],
            num_cores=self.cpus,
            isa=ISA.ARM if self.isa == "arm" else ISA.X86,
        )
        systems.tune(self.system, processor)
        parts = dict(
            clk_freq=self.system.clock,
            processor=processor,
            memory=self.system.memory(self.memory),
            cache_hierarchy=self.system.caches(),
        )
        if self.isa == "arm":
            return arm_board(parts), processor
        return self.board_type()(**parts), processor


def arm_board(parts):
    """gem5's ArmBoard on the VExpress_GEM5_Foundation platform (GICv3:
    boot_foundation.arm64 is its boot loader), with m5 ops by address."""
    from gem5.components.boards.arm_board import ArmBoard
    from m5.objects import ArmDefaultRelease, VExpress_GEM5_Foundation

    board = ArmBoard(platform=VExpress_GEM5_Foundation(), release=ArmDefaultRelease(), **parts)
    board.m5ops_base = ARM_M5OPS_BASE
    return board


@dataclass(frozen=True)
class Workload:
    """What a board boots: the kernel and its command line (console, idle
    loop, root, the run's and the topology's arguments; init= on the test
    system only), the boot loader on Arm, and the checkpoint it restores;
    evaluate says the run stops on its client's work items."""

    kernel: str
    isa: str = "x86"
    memory: str = "2GB"
    root: str = "/dev/sda2"
    guest_idle: str = "halt"
    extra_args: str = ""
    init: str = ""
    topology_args: tuple = ()
    bootloader: Optional[str] = None
    checkpoint: Optional[Path] = None
    evaluate: bool = False

    def kernel_args(self, test_system: bool = True, clock: str = "") -> List[str]:
        """The kernel command line of the test system or a drive system
        (a board at clock)."""
        args = self.console_args() + ["root=" + self.root, "rw", "isolcpus=1", "vswarmu.gem5=1"]
        if self.isa != "arm" and clock:
            args += lapic_timer_args(clock)
        args += self.idle_args() + self.extra_args.split()
        if self.init and test_system:
            args.append("init=" + self.init)
        return args + list(self.topology_args)

    def console_args(self) -> List[str]:
        """The board's console: the X86 board's serial port; the Arm
        board's PL011 (ttyAMA0), its memory and no randomised mappings, as
        gem5's ArmBoard gives them."""
        if self.isa == "arm":
            return ["console=ttyAMA0", "lpj=19988480", "norandmaps", "mem=" + self.memory]
        return ["earlyprintk=ttyS0", "console=ttyS0", "lpj=7999923"]

    def idle_args(self) -> List[str]:
        """idle=halt on X86 (GUEST_KERNEL_ARGS) unless the kernel's own idle
        loop is asked for; none on arm64, which idles in WFI."""
        if self.isa == "arm" or self.guest_idle != "halt":
            return []
        return list(GUEST_KERNEL_ARGS)

    def set_on(self, board, disk: str, script: Optional[str], clock: str, client: bool = True,
               test_system: bool = True):
        """Sets the board's (at clock) kernel, disk and run script (a path, or none);
        client says the run's client runs on it (only its work items end an
        evaluation's phases: a setup's client runs them after the
        checkpoint)."""
        contents = Path(script).read_text() if script else ""
        arm = {"bootloader": BootloaderResource(local_path=self.bootloader)} if self.isa == "arm" else {}
        board.set_kernel_disk_workload(
            kernel=KernelResource(local_path=self.kernel),
            disk_image=DiskImageResource(local_path=disk),
            readfile_contents=contents or None,
            kernel_args=self.kernel_args(test_system, clock),
            exit_on_work_items=client and self.evaluate,
            # The workload restores the checkpoint (v24 takes a str path only
            # here, not in Simulator(checkpoint_path=)).
            checkpoint=self.checkpoint,
            **arm,
        )


class DriveWorkload:
    """A Workload as the drive system boots it: no init=, its client's
    work items end the phases."""

    def __init__(self, workload: Workload):
        self.workload = workload

    def set_on(self, board, disk, script, clock, client=True):
        """Sets the drive system's (at clock) kernel, disk and script."""
        self.workload.set_on(board, disk, script, clock, client=client, test_system=False)


def machine_of(args, topology) -> Machine:
    """The run's system under test: the setup system (one board for every
    boot and setup, so one checkpoint serves every system) on the setup
    cores, or the evaluated system switching from atomic to detailed
    cores."""
    if args.mode == "evaluation":
        system, start, switch = args.evaluated, "atomic", args.detailed_cpu
    else:
        system, start, switch = systems.SYSTEMS[systems.SETUP], args.setup_cpu, "atomic"
    return Machine(system, start, switch, args.cpus, args.memory, args.isa, topology.board_type)


def workload_of(args, topology, cpt: Path) -> Workload:
    """What the run's boards boot, and the checkpoint they restore: an
    evaluation's setup checkpoint, a setup's boot checkpoint, or none."""
    restored = cpt if args.mode == "evaluation" else (Path(args.boot_checkpoint) if args.boot_checkpoint else None)
    return Workload(kernel=args.kernel, isa=args.isa, memory=args.memory, root=args.root, guest_idle=args.guest_idle,
                    extra_args=args.kernel_args, init=args.init, topology_args=tuple(topology.kernel_args),
                    bootloader=args.bootloader, checkpoint=restored, evaluate=args.mode == "evaluation")


def drive_of(args) -> topologies.DriveRun:
    """The drive system's part of the run (for topologies that have one):
    setup cores until the evaluation, which starts on atomic ones."""
    core = args.setup_cpu if args.mode != "evaluation" else "atomic"
    return topologies.DriveRun(core_type=CORE_TYPES[core], memory=args.drive_memory, disk=args.drive_disk or "",
                               script=args.drive_script or "", link_delay=args.link_delay,
                               link_bandwidth=args.link_bandwidth)


def handlers_of(args, processor, cpt: Path, systems_count: int):
    """The run's exit-event handlers: the guest protocol, or a bounded
    check's."""
    m = protocol.Measurement(warming=args.atomic_warming, invocations=args.num_invocations,
                             per_invocation=args.measurement == "per-invocation", detailed_cpu=args.detailed_cpu)
    if args.max_ticks:
        return protocol.BoundedCheck(args.mode, args.max_ticks, processor, m)
    return protocol.Protocol(args.mode, cpt, processor, m, systems=systems_count)


def announce(args):
    """Says what the run does."""
    setup = "%s system: %s" % (systems.SETUP, systems.SYSTEMS[systems.SETUP].description)
    if args.mode == "boot":
        line = "vswarmu: boot mode, %s cores on the setup board (%s)" % (args.setup_cpu, setup)
    elif args.mode == "setup":
        line = "vswarmu: setup mode, function %s, %s cores on the setup board (%s)%s" % (
            args.function, args.setup_cpu, setup,
            ", from the boot checkpoint %s" % args.boot_checkpoint if args.boot_checkpoint else "")
    else:
        line = "vswarmu: evaluation mode, function %s, system %s (%s), detailed cores %s" % (
            args.function, args.system, systems.SYSTEMS[args.system].description, args.detailed_cpu)
    print(line, flush=True)


def main(argv):
    args = parse_args(argv)
    topology = topologies.TOPOLOGIES[args.topology]
    machine = machine_of(args, topology)
    board, processor = machine.build()
    cpt = Path(args.checkpoint_dir)
    workload = workload_of(args, topology, cpt)
    workload.set_on(board, args.disk, args.script, machine.system.clock, client=topology.client_on_test_system)
    handlers = handlers_of(args, processor, cpt, topology.spec.systems)
    options = dict(on_exit_event=handlers.handlers(), max_ticks=args.max_ticks or m5.MaxTick)
    drive = drive_of(args)
    simulator = topology.simulator(board, options, drive, DriveWorkload(workload))
    handlers.bind(simulator)
    if line := topology.announcement(drive):
        print(line, flush=True)
    announce(args)
    simulator.run()
    why = protocol.failure(args.mode, handlers.state, protocol.last_exit(simulator), args.num_invocations)
    if why:
        print(why, flush=True)
        sys.exit(3)
    print("Simulation done", flush=True)


if __name__ == "__m5_main__" or __name__ == "__main__":
    main(sys.argv[1:])
