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

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

import compat

compat.allow_builds_without_ruby()

import m5  # noqa: E402
from gem5.components.boards.x86_board import X86Board  # noqa: E402
from gem5.components.memory.single_channel import SingleChannelDDR4_2400  # noqa: E402
from gem5.components.processors.cpu_types import CPUTypes  # noqa: E402
from gem5.components.processors.simple_switchable_processor import (  # noqa: E402
    SimpleSwitchableProcessor,
)
from gem5.isas import ISA  # noqa: E402
from gem5.resources.resource import BootloaderResource, DiskImageResource, KernelResource  # noqa: E402
from gem5.simulate.exit_event import ExitEvent  # noqa: E402
from gem5.simulate.simulator import Simulator  # noqa: E402

import network  # noqa: E402
import overrides  # noqa: E402
import systems  # noqa: E402

# m5 fail codes of the run script and the client (vSwarm-u's protocol).
FAIL_CODES = {
    1: "booted",
    5: "ready for the run script (gem5init; a boot checkpoint is taken here)",
    2: "function started",
    3: "function pinned to core 1",
    4: "warming done",
    6: "function stopped",
    7: "Docker did not start in the guest (its status and journal are on the guest's console)",
    10: "client started",
    11: "client finished",
    20: "client connected",
    21: "request sent",
    22: "response received",
    31: "warm-up started",
    32: "warm-up done",
    -1: "run script finished",
}
WARM_DONE = 32
READY_FOR_SCRIPT = 5
SCRIPT_END = -1
DOCKER_FAILED = 7
WORK_ITEM_BASE = 100

# Kernel arguments that keep the guest from wasting the measured window:
# gem5 wakes a core that idles in MWAIT late (the function's core waits on
# the client far longer than on real hardware), HLT it wakes at once.
GUEST_KERNEL_ARGS = ["idle=halt"]

CORE_TYPES = {
    "kvm": CPUTypes.KVM,
    "atomic": CPUTypes.ATOMIC,
    "timing": CPUTypes.TIMING,
    "minor": CPUTypes.MINOR,
    "o3": CPUTypes.O3,
}


def parse_args(argv):
    p = argparse.ArgumentParser(description="Simulate one serverless function (vswarmu-mage).")
    p.add_argument("--kernel", required=True, help="vmlinux to boot")
    p.add_argument("--disk", required=True, help="raw disk image")
    p.add_argument("--function", default="", help="function name (setup and evaluation)")
    p.add_argument(
        "--mode",
        choices=["boot", "setup", "evaluation"],
        required=True,
        help="boot: boot and checkpoint before the run script; setup: start the function and checkpoint; evaluation: restore and measure",
    )
    p.add_argument("--checkpoint-dir", required=True, help="where boot and setup write their checkpoint and evaluation reads it")
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
                   help="x86: halt adds GUEST_KERNEL_ARGS (idle=halt); kernel leaves the idle loop to the kernel (MWAIT)")
    p.add_argument("--init", default="", help="the test system's init (init= on its kernel command line), \"\" for the disk's own")
    p.add_argument("--isa", choices=["x86", "arm"], default="x86",
                   help="x86: gem5's X86Board; arm: its ArmBoard (VExpress_GEM5_Foundation), which needs --bootloader")
    p.add_argument("--bootloader", help="arm: the boot loader (gem5's boot_foundation.arm64)")
    p.add_argument("--max-ticks", type=int, help="check the configuration: run this many ticks per phase, no guest protocol")
    p.add_argument("--topology", choices=["single", "two-machine"], default="single",
                   help="single: the client runs on core 0 of the simulated system; two-machine: on a drive system of its own")
    p.add_argument("--drive-disk", help="two-machine: the drive system's disk (the client)")
    p.add_argument("--drive-script", help="two-machine: the drive system's run script (m5 readfile)")
    p.add_argument("--drive-memory", default="256MB", help="two-machine: the drive system's memory")
    p.add_argument("--link-delay", default="1us", help="two-machine: the link's delay")
    p.add_argument("--link-bandwidth", default="1Gbps", help="two-machine: the link's bandwidth")
    overrides.add_arguments(p)
    args = p.parse_args(argv)
    if args.cpus < 2:
        p.error("--cpus must be at least 2: the function is pinned to core 1")
    if args.atomic_warming < 0 or args.num_invocations < 1:
        p.error("--atomic-warming must be >= 0 and --num-invocations >= 1")
    if args.mode == "setup" and not args.script and not args.max_ticks:
        p.error("--script is required in setup mode")
    if args.mode != "boot" and not args.function:
        p.error("--function is required in %s mode" % args.mode)
    if args.boot_checkpoint and args.mode != "setup":
        p.error("--boot-checkpoint is for setup mode")
    if args.max_ticks is not None and args.max_ticks < 1:
        p.error("--max-ticks must be positive")
    if args.topology == "two-machine":
        if not args.drive_disk:
            p.error("--drive-disk is required with --topology two-machine")
        if args.mode == "setup" and not args.drive_script and not args.max_ticks:
            p.error("--drive-script is required in setup mode with --topology two-machine")
    elif args.drive_disk or args.drive_script:
        p.error("--drive-disk and --drive-script are for --topology two-machine")
    if args.isa == "arm":
        if not args.bootloader:
            p.error("--bootloader is required with --isa arm (gem5:bootloader builds boot_foundation.arm64)")
        if args.topology == "two-machine":
            p.error("--topology two-machine is for --isa x86: its drive system and link are X86 boards")
    elif args.bootloader:
        p.error("--bootloader is for --isa arm")
    if not args.detailed_cpu:
        args.detailed_cpu = systems.SYSTEMS[args.system].detailed
    try:
        args.evaluated = overrides.apply(systems.SYSTEMS[args.system], args)
    except overrides.OverrideError as e:
        p.error("%s: %s" % ("sweep point " + args.point if args.point else "overrides", e))
    return args


def build_board(args):
    system = args.evaluated if args.mode == "evaluation" else systems.SYSTEMS[systems.SETUP]
    if args.mode != "evaluation":
        start, switch = args.setup_cpu, "atomic"
    else:
        start, switch = "atomic", args.detailed_cpu
    # Boot, setup and evaluation build the same processor (start and switch
    # cores of the same number), so the checkpoint's objects match on restore.
    processor = SimpleSwitchableProcessor(
        starting_core_type=CORE_TYPES[start],
        switch_core_type=CORE_TYPES[switch],
        num_cores=args.cpus,
        isa=ISA.ARM if args.isa == "arm" else ISA.X86,
    )
    systems.tune(system, processor)
    parts = dict(
        clk_freq=system.clock,
        processor=processor,
        memory=SingleChannelDDR4_2400(size=args.memory),
        cache_hierarchy=system.caches(),
    )
    if args.isa == "arm":
        return arm_board(parts), processor
    board_type = network.NetworkedX86Board if args.topology == "two-machine" else X86Board
    return board_type(**parts), processor


# Where the Arm guest's m5 ops reach gem5 by address (the m5 utility's and
# the client's default on arm64, vSwarm-u's 0x10010000); instruction-based
# m5 ops work besides it.
ARM_M5OPS_BASE = 0x10010000


def arm_board(parts):
    """gem5's ArmBoard on the VExpress_GEM5_Foundation platform (GICv3:
    boot_foundation.arm64 is its boot loader), with m5 ops by address."""
    from gem5.components.boards.arm_board import ArmBoard
    from m5.objects import ArmDefaultRelease, VExpress_GEM5_Foundation

    board = ArmBoard(platform=VExpress_GEM5_Foundation(), release=ArmDefaultRelease(), **parts)
    board.m5ops_base = ARM_M5OPS_BASE
    return board


def set_workload(board, args, cpt, disk=None, script=None, client=True):
    """The kernel, disk and run script of a board; client says whether
    the client runs on it (its work items end an evaluation's phases)."""
    script = script if script is not None else args.script
    contents = Path(script).read_text() if script else ""
    console, idle = board_kernel_args(args)
    kernel_args = console + ["root=" + args.root, "rw", "isolcpus=1", "vswarmu.gem5=1"] + idle + args.kernel_args.split()
    if args.init and disk is None:
        kernel_args.append("init=" + args.init)  # the test system's disk only
    if args.topology == "two-machine":
        kernel_args.append("net.ifnames=0")  # the card is eth0 on every disk
    arm = {"bootloader": BootloaderResource(local_path=args.bootloader)} if args.isa == "arm" else {}
    board.set_kernel_disk_workload(
        kernel=KernelResource(local_path=args.kernel),
        disk_image=DiskImageResource(local_path=disk or args.disk),
        readfile_contents=contents or None,
        kernel_args=kernel_args,
        # Only the evaluation stops on work items; the setup's client runs
        # them after the checkpoint.
        exit_on_work_items=client and args.mode == "evaluation",
        # The workload restores the checkpoint (v24 takes a str path only
        # here, not in Simulator(checkpoint_path=)).
        checkpoint=restored_checkpoint(args, cpt),
        **arm,
    )


def board_kernel_args(args):
    """The kernel arguments of the board's console, and of its idle loop:
    the X86 board's serial port and idle=halt (GUEST_KERNEL_ARGS, unless
    --guest-idle kernel); the Arm
    board's PL011 (ttyAMA0), its memory and no randomised mappings, as
    gem5's ArmBoard gives them, and no idle= (arm64 idles in WFI)."""
    if args.isa == "arm":
        return ["console=ttyAMA0", "lpj=19988480", "norandmaps", "mem=" + args.memory], []
    idle = GUEST_KERNEL_ARGS if args.guest_idle == "halt" else []
    return ["earlyprintk=ttyS0", "console=ttyS0", "lpj=7999923"], idle


def build_drive(args, cpt):
    """The drive system of a two-machine run, with its disk and script."""
    core = args.setup_cpu if args.mode != "evaluation" else "atomic"
    drive = network.drive_board(CORE_TYPES[core], args.drive_memory)
    set_workload(drive, args, cpt, disk=args.drive_disk, script=args.drive_script or "")
    return drive


def restored_checkpoint(args, cpt):
    """The checkpoint a run starts from: an evaluation's setup checkpoint,
    a setup's boot checkpoint, or none (a boot)."""
    if args.mode == "evaluation":
        return cpt
    if args.boot_checkpoint:
        return Path(args.boot_checkpoint)
    return None


def protocol_handlers(run):
    """The exit-event handlers of a run driven by the guest protocol."""
    args, processor, cpt, state = run.args, run.processor, run.cpt, run.state
    last = args.atomic_warming + args.num_invocations - 1

    def on_fail():
        while True:
            code = run.simulator.get_last_exit_event_code()
            print("m5 fail %d: %s" % (code, FAIL_CODES.get(code, "unknown code")), flush=True)
            if args.mode == "boot" and code == READY_FOR_SCRIPT:
                state["ready"] += 1
                if state["ready"] < run.systems:
                    print("%d of %d systems ready for their run scripts" % (state["ready"], run.systems), flush=True)
                    yield False
                    continue
            if (args.mode, code) in (("setup", WARM_DONE), ("boot", READY_FOR_SCRIPT)):
                cpt.mkdir(parents=True, exist_ok=True)
                run.simulator.save_checkpoint(cpt)
                state["checkpoint"] = True
                print("Checkpoint taken: %s" % cpt, flush=True)
                yield True
            else:
                yield code in (SCRIPT_END, DOCKER_FAILED)

    per_invocation = args.measurement == "per-invocation"

    def on_workbegin():
        while True:
            i = run.simulator.get_last_exit_event_code() - WORK_ITEM_BASE
            if i == args.atomic_warming:
                # The warming is done: measure on the detailed cores.
                processor.switch()
                m5.stats.reset()
                print("Switched to the detailed cores (%s); statistics reset" % args.detailed_cpu, flush=True)
            elif per_invocation and i > args.atomic_warming:
                m5.stats.reset()
            print("Start invokation %d at tick %d" % (i, m5.curTick()), flush=True)
            yield False

    def on_workend():
        while True:
            i = run.simulator.get_last_exit_event_code() - WORK_ITEM_BASE
            print("End invokation %d at tick %d" % (i, m5.curTick()), flush=True)
            if i >= args.atomic_warming:
                state["measured"] += 1
                if per_invocation:
                    m5.stats.dump()  # one dump per measured invocation
            if i == last:
                if not per_invocation:
                    m5.stats.dump()
                yield True
            else:
                yield False

    def on_exit():
        print("m5 exit: the guest ended the run", flush=True)
        yield True

    return {
        ExitEvent.FAIL: on_fail(),
        ExitEvent.WORKBEGIN: on_workbegin(),
        ExitEvent.WORKEND: on_workend(),
        ExitEvent.EXIT: on_exit(),
    }


def bounded_handlers(run):
    """The handlers of a --max-ticks configuration check."""
    args, processor, cpt, state = run.args, run.processor, run.cpt, run.state

    def on_max_tick():
        if args.mode != "evaluation":
            state["checkpoint"] = None  # none is owed
            print("Booted for %d ticks on the setup board (a bounded check takes no checkpoint)" % args.max_ticks, flush=True)
            yield True
            return
        processor.switch()
        m5.stats.reset()
        print("Switched to the detailed cores (%s) after %d ticks" % (args.detailed_cpu, args.max_ticks), flush=True)
        yield False  # the simulator runs max_ticks more
        m5.stats.dump()
        state["measured"] = args.num_invocations
        print("Ran %d ticks on the detailed cores" % args.max_ticks, flush=True)
        yield True

    return {ExitEvent.MAX_TICK: on_max_tick()}


def make_simulator(args, board, run):
    """The run's simulator: of the board, or with two machines of the
    test system (board), the drive system and the link between them."""
    handlers = bounded_handlers if args.max_ticks else protocol_handlers
    options = dict(board=board, on_exit_event=handlers(run), max_ticks=args.max_ticks or m5.MaxTick)
    if args.topology != "two-machine":
        return Simulator(**options)
    drive = build_drive(args, run.cpt)
    run.systems = 2
    ethernet = network.link(board, drive, args.link_delay, args.link_bandwidth)
    print("vswarmu: two machines: test system %s, drive system %s (1 core, %s), link %s, %s"
          % (network.TEST_IP, network.DRIVE_IP, network.DRIVE_CLOCK, args.link_delay, args.link_bandwidth), flush=True)
    return network.TwoMachineSimulator(drive=drive, ethernet=ethernet, **options)


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


def last_exit(simulator):
    """The last exit event, a fail code with its meaning."""
    cause = simulator.get_last_exit_event_cause()
    if "m5_fail" in cause:
        code = simulator.get_last_exit_event_code()
        cause = "m5 fail %d: %s" % (code, FAIL_CODES.get(code, "unknown code"))
    return cause


def check_outcome(args, state, cause):
    """Exits with status 3 when the run did not do what its mode owes."""
    if args.mode == "boot" and state["checkpoint"] is False and "interrupt" in cause:
        why = "Boot ended without a checkpoint (last exit: %s): stopped before the guest was ready for its run script" % cause
    elif args.mode == "boot" and state["checkpoint"] is False:
        why = ("Boot ended without a checkpoint (last exit: %s): the guest never sent m5 fail %d before reading its "
               "run script; a disk made before boot checkpoints has an older gem5init (rebuild it, or BOOT_CHECKPOINT=0)"
               % (cause, READY_FOR_SCRIPT))
    elif args.mode == "setup" and state["checkpoint"] is False:
        why = "Setup ended without a checkpoint (last exit: %s)" % cause
    elif args.mode == "evaluation" and state["measured"] < args.num_invocations:
        why = "Evaluation ended after %d of %d measured invocations (last exit: %s)" % (
            state["measured"], args.num_invocations, cause)
    else:
        return
    print(why, flush=True)
    sys.exit(3)


def main(argv):
    args = parse_args(argv)
    board, processor = build_board(args)
    cpt = Path(args.checkpoint_dir)
    set_workload(board, args, cpt, client=args.topology == "single")
    # The handlers reach the simulator through run, which is made after them.
    run = SimpleNamespace(args=args, processor=processor, cpt=cpt, systems=1,
                          state={"checkpoint": False, "measured": 0, "ready": 0})
    run.simulator = make_simulator(args, board, run)
    announce(args)
    run.simulator.run()
    check_outcome(args, run.state, last_exit(run.simulator))
    print("Simulation done", flush=True)


if __name__ == "__m5_main__" or __name__ == "__main__":
    main(sys.argv[1:])
