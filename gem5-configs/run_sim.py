# Simulates one containerized serverless function on gem5 (X86, full system)
# for vswarmu-mage. Run by gem5 (v24.0 or later):
#
#   gem5.opt --outdir=<results>/<fn> run_sim.py --kernel vmlinux --disk disk.raw \
#       --function fibonacci-go --mode setup --checkpoint-dir cpt/fibonacci-go \
#       --script run.sh
#   gem5.opt --outdir=<results>/<fn> run_sim.py ... --mode evaluation \
#       --atomic-warming 10 --num-invocations 10
#
# The protocol follows vSwarm-u: the guest's gem5init service runs the
# script given with --script (read by `m5 readfile`); the script and the
# client signal progress with m5 fail codes and work items.
#
# Setup mode boots on KVM cores (or atomic with --setup-cpu atomic), starts
# the function's container, and takes a checkpoint when the client's
# warm-up is done (fail code 32). Evaluation mode restores that checkpoint
# on atomic cores, runs --atomic-warming invocations to warm the caches,
# switches to the detailed cores, resets the statistics, measures
# --num-invocations invocations (work items 100+i), dumps the statistics
# and ends.
#
# The log lines "Start invokation N", "End invokation N" and
# "Simulation done" are what the original's checks, and report:check, read.

import argparse
import sys
from pathlib import Path

import m5
from gem5.components.boards.x86_board import X86Board
from gem5.components.cachehierarchies.classic.private_l1_private_l2_cache_hierarchy import (
    PrivateL1PrivateL2CacheHierarchy,
)
from gem5.components.cachehierarchies.classic.private_l1_shared_l2_cache_hierarchy import (
    PrivateL1SharedL2CacheHierarchy,
)
from gem5.components.memory.single_channel import SingleChannelDDR4_2400
from gem5.components.processors.cpu_types import CPUTypes
from gem5.components.processors.simple_switchable_processor import (
    SimpleSwitchableProcessor,
)
from gem5.isas import ISA
from gem5.resources.resource import DiskImageResource, KernelResource
from gem5.simulate.exit_event import ExitEvent
from gem5.simulate.simulator import Simulator

# m5 fail codes of the run script and the client (vSwarm-u's protocol).
FAIL_CODES = {
    1: "booted",
    2: "container started",
    3: "container pinned to core 1",
    4: "warming done",
    6: "container stopped",
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
SCRIPT_END = -1
WORK_ITEM_BASE = 100

# The systems (vSwarm-u's "simple" and "skylake").
SYSTEMS = {
    "simple": dict(
        clock="2.5GHz",
        detailed=CPUTypes.TIMING,
        caches=lambda: PrivateL1SharedL2CacheHierarchy(
            l1d_size="16kB",
            l1d_assoc=8,
            l1i_size="16kB",
            l1i_assoc=8,
            l2_size="128kB",
            l2_assoc=16,
        ),
    ),
    # Skylake-like: O3 cores sized as Skylake (ROB 336, IQ 146, LQ 144,
    # SQ 112, LTAGE), 32 kB L1s and a 1 MB private L2. gem5 v24.0's
    # standard library has no three-level classic hierarchy, so the
    # 8 MB L3 of vSwarm-u's classic configuration is not modelled.
    "skylake": dict(
        clock="3GHz",
        detailed=CPUTypes.O3,
        caches=lambda: PrivateL1PrivateL2CacheHierarchy(
            l1d_size="32kB", l1i_size="32kB", l2_size="1MB"
        ),
    ),
}

SKYLAKE_O3 = dict(
    numROBEntries=336,
    numIQEntries=146,
    LQEntries=144,
    SQEntries=112,
)


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Simulate one serverless function (vswarmu-mage)."
    )
    p.add_argument("--kernel", required=True, help="vmlinux to boot")
    p.add_argument("--disk", required=True, help="raw disk image")
    p.add_argument("--function", required=True, help="function name")
    p.add_argument(
        "--mode",
        choices=["setup", "evaluation"],
        required=True,
        help="setup: boot and checkpoint; evaluation: restore and measure",
    )
    p.add_argument(
        "--checkpoint-dir",
        required=True,
        help="where setup writes the checkpoint and evaluation reads it",
    )
    p.add_argument("--script", help="run script handed to the guest (m5 readfile)")
    p.add_argument(
        "--system", choices=sorted(SYSTEMS), default="simple", help="simulated system"
    )
    p.add_argument("--cpus", type=int, default=2, help="cores (the function runs on core 1)")
    p.add_argument("--memory", default="2GB", help="memory size")
    p.add_argument(
        "--root", default="/dev/sda2", help="root device on the kernel command line"
    )
    p.add_argument(
        "--setup-cpu",
        choices=["kvm", "atomic"],
        default="kvm",
        help="cores that boot in setup mode",
    )
    p.add_argument(
        "--atomic-warming",
        type=int,
        default=10,
        help="invocations on atomic cores before the detailed cores take over",
    )
    p.add_argument(
        "--num-invocations", type=int, default=10, help="measured invocations"
    )
    args = p.parse_args(argv)
    if args.cpus < 2:
        p.error("--cpus must be at least 2: the function is pinned to core 1")
    if args.atomic_warming < 0 or args.num_invocations < 1:
        p.error("--atomic-warming must be >= 0 and --num-invocations >= 1")
    if args.mode == "setup" and not args.script:
        p.error("--script is required in setup mode")
    return args


def build_board(args):
    system = SYSTEMS[args.system]
    if args.mode == "setup":
        start = CPUTypes.KVM if args.setup_cpu == "kvm" else CPUTypes.ATOMIC
        switch = CPUTypes.ATOMIC
    else:
        start, switch = CPUTypes.ATOMIC, system["detailed"]
    processor = SimpleSwitchableProcessor(
        starting_core_type=start,
        switch_core_type=switch,
        num_cores=args.cpus,
        isa=ISA.X86,
    )
    if args.system == "skylake" and args.mode == "evaluation":
        tune_o3(processor)
    board = X86Board(
        clk_freq=system["clock"],
        processor=processor,
        memory=SingleChannelDDR4_2400(size=args.memory),
        cache_hierarchy=system["caches"](),
    )
    # m5 ops reach gem5 through memory-mapped I/O (the client and m5 use
    # the address interface: it works on KVM and simulated cores alike).
    board.m5ops_base = 0xFFFF0000
    board.exit_on_work_items = args.mode == "evaluation"
    return board, processor


def tune_o3(processor):
    for core in processor.get_cores() + list(getattr(processor, "_all_cores", lambda: [])()):
        obj = core.get_simobject() if hasattr(core, "get_simobject") else getattr(core, "core", None)
        if obj is None or "O3" not in type(obj).__name__:
            continue
        for name, value in SKYLAKE_O3.items():
            setattr(obj, name, value)


def exit_code(simulator):
    """The code of the last exit event (m5 fail code, work item id)."""
    if hasattr(simulator, "get_last_exit_event_code"):
        return simulator.get_last_exit_event_code()
    return simulator._last_exit_event.getCode()


def main(argv):
    args = parse_args(argv)
    board, processor = build_board(args)
    cpt = Path(args.checkpoint_dir)
    script = Path(args.script).read_text() if args.script else ""
    board.set_kernel_disk_workload(
        kernel=KernelResource(local_path=args.kernel),
        disk_image=DiskImageResource(local_path=args.disk),
        readfile_contents=script,
        kernel_args=[
            "earlyprintk=ttyS0",
            "console=ttyS0",
            "lpj=7999923",
            "root=" + args.root,
            "rw",
            "isolcpus=1",
            "vswarmu.gem5=1",
        ],
    )
    state = {"checkpoint": False, "measured": 0}
    last = args.atomic_warming + args.num_invocations - 1

    def on_fail():
        while True:
            code = exit_code(simulator)
            print(
                "m5 fail %d: %s" % (code, FAIL_CODES.get(code, "unknown code")),
                flush=True,
            )
            if args.mode == "setup" and code == WARM_DONE:
                cpt.mkdir(parents=True, exist_ok=True)
                simulator.save_checkpoint(cpt)
                state["checkpoint"] = True
                print("Checkpoint taken: %s" % cpt, flush=True)
                yield True
            elif code == SCRIPT_END:
                yield True
            else:
                yield False

    def on_workbegin():
        while True:
            i = exit_code(simulator) - WORK_ITEM_BASE
            if i == args.atomic_warming:
                # The warming is done: measure on the detailed cores.
                processor.switch()
                m5.stats.reset()
                print("Switched to the detailed cores; statistics reset", flush=True)
            print("Start invokation %d" % i, flush=True)
            yield False

    def on_workend():
        while True:
            i = exit_code(simulator) - WORK_ITEM_BASE
            print("End invokation %d" % i, flush=True)
            if i >= args.atomic_warming:
                state["measured"] += 1
            if i == last:
                m5.stats.dump()
                yield True
            else:
                yield False

    def on_exit():
        print("m5 exit: the guest ended the run", flush=True)
        yield True

    simulator = Simulator(
        board=board,
        checkpoint_path=cpt if args.mode == "evaluation" else None,
        on_exit_event={
            ExitEvent.FAIL: on_fail(),
            ExitEvent.WORKBEGIN: on_workbegin(),
            ExitEvent.WORKEND: on_workend(),
            ExitEvent.EXIT: on_exit(),
        },
    )
    print(
        "vswarmu: %s mode, function %s, system %s"
        % (args.mode, args.function, args.system),
        flush=True,
    )
    simulator.run()
    cause = simulator.get_last_exit_event_cause()
    if args.mode == "setup" and not state["checkpoint"]:
        print("Setup ended without a checkpoint (last exit: %s)" % cause, flush=True)
        sys.exit(3)
    if args.mode == "evaluation" and state["measured"] < args.num_invocations:
        print(
            "Evaluation ended after %d of %d measured invocations (last exit: %s)"
            % (state["measured"], args.num_invocations, cause),
            flush=True,
        )
        sys.exit(3)
    print("Simulation done", flush=True)


if __name__ == "__m5_main__" or __name__ == "__main__":
    main(sys.argv[1:])
