"""Unit tests of run_sim.py's parts: the command line's checks, the
kernel command lines a Workload gives each board, and the Machine each
mode builds (on the stand-in's m5 library)."""

import contextlib
import io
import unittest
from pathlib import Path

import run_sim
import systems

BASE = ["--kernel", "vmlinux", "--disk", "disk.raw", "--checkpoint-dir", "cpt"]


def parse(*extra):
    return run_sim.parse_args(BASE + list(extra))


class ParseArgsTest(unittest.TestCase):
    def test_refused_combinations(self):
        cases = [
            (["--mode", "setup", "--function", "f"], "--script is required in setup mode"),
            (["--mode", "evaluation"], "--function is required in evaluation mode"),
            (["--mode", "boot", "--cpus", "1"], "--cpus must be at least 2"),
            (["--mode", "boot", "--boot-checkpoint", "b"], "--boot-checkpoint is for setup mode"),
            (["--mode", "boot", "--isa", "arm"], "--bootloader is required with --isa arm"),
            (["--mode", "boot", "--bootloader", "b"], "--bootloader is for --isa arm"),
            (["--mode", "boot", "--drive-disk", "d"], "are for --topology two-machine"),
            (["--mode", "evaluation", "--function", "f", "--topology", "two-machine"], "--drive-disk is required"),
            (["--mode", "evaluation", "--function", "f", "--system", "simple", "--l2-size", "3kB"], "overrides"),
        ]
        for argv, want in cases:
            with self.subTest(argv=argv):
                err = io.StringIO()
                with contextlib.redirect_stderr(err), self.assertRaises(SystemExit):
                    parse(*argv)
                self.assertIn(want, err.getvalue())

    def test_defaults_come_from_the_catalogues(self):
        args = parse("--mode", "evaluation", "--function", "f", "--system", "skylake")
        self.assertEqual(args.detailed_cpu, systems.SYSTEMS["skylake"].detailed)
        self.assertEqual((args.drive_memory, args.link_delay, args.link_bandwidth), ("256MB", "1us", "1Gbps"))


class WorkloadTest(unittest.TestCase):
    def test_kernel_command_lines(self):
        x86 = run_sim.Workload(kernel="k")
        head = ["earlyprintk=ttyS0", "console=ttyS0", "lpj=7999923", "root=/dev/sda2", "rw", "isolcpus=1",
                "vswarmu.gem5=1"]
        cases = [
            ("x86", x86, True, head + ["idle=halt"]),
            ("kernel idle", run_sim.Workload(kernel="k", guest_idle="kernel"), True, head),
            ("init on the test system", run_sim.Workload(kernel="k", init="/sbin/x", extra_args="a=1 b"), True,
             head + ["idle=halt", "a=1", "b", "init=/sbin/x"]),
            ("no init on the drive system", run_sim.Workload(kernel="k", init="/sbin/x"), False, head + ["idle=halt"]),
            ("topology last", run_sim.Workload(kernel="k", topology_args=("net.ifnames=0",)), False,
             head + ["idle=halt", "net.ifnames=0"]),
            ("arm", run_sim.Workload(kernel="k", isa="arm", memory="1GB"), True,
             ["console=ttyAMA0", "lpj=19988480", "norandmaps", "mem=1GB", "root=/dev/sda2", "rw", "isolcpus=1",
              "vswarmu.gem5=1"]),
        ]
        for name, w, test_system, want in cases:
            with self.subTest(name):
                self.assertEqual(w.kernel_args(test_system), want)

    def test_the_local_apic_timer_clock_is_the_boards(self):
        # gem5's x86 local APIC timer counts at the core clock over 16.
        cases = [("2.5GHz", "lapic_timer_khz=156250"), ("3.5GHz", "lapic_timer_khz=218750"),
                 ("1000MHz", "lapic_timer_khz=62500")]
        for clock, want in cases:
            with self.subTest(clock):
                args = run_sim.Workload(kernel="k").kernel_args(True, clock)
                self.assertEqual([a for a in args if a.startswith("lapic_timer_khz=")], [want])
        arm = run_sim.Workload(kernel="k", isa="arm").kernel_args(True, "2.5GHz")
        self.assertFalse([a for a in arm if a.startswith("lapic")], "Arm's generic timer needs no calibration")
        with self.assertRaisesRegex(ValueError, "not a number and Hz"):
            run_sim.hertz("fast")

    def test_what_each_mode_restores(self):
        cases = [
            (["--mode", "boot"], None, False),
            (["--mode", "setup", "--function", "f", "--script", "s", "--boot-checkpoint", "b"], Path("b"), False),
            (["--mode", "setup", "--function", "f", "--script", "s"], None, False),
            (["--mode", "evaluation", "--function", "f"], Path("cpt"), True),
        ]
        for argv, restored, evaluate in cases:
            with self.subTest(argv=argv):
                args = parse(*argv)
                w = run_sim.workload_of(args, run_sim.topologies.TOPOLOGIES["single"], Path(args.checkpoint_dir))
                self.assertEqual((w.checkpoint, w.evaluate), (restored, evaluate))


class MachineTest(unittest.TestCase):
    def test_each_mode_builds_its_machine(self):
        single = run_sim.topologies.TOPOLOGIES["single"]
        boot = run_sim.machine_of(parse("--mode", "boot", "--setup-cpu", "atomic"), single)
        self.assertEqual((boot.system, boot.start, boot.switch), (systems.SYSTEMS[systems.SETUP], "atomic", "atomic"))
        ev = run_sim.machine_of(parse("--mode", "evaluation", "--function", "f", "--system", "skylake",
                                      "--detailed-cpu", "timing"), single)
        self.assertEqual((ev.start, ev.switch), ("atomic", "timing"))
        self.assertIs(ev.system, systems.SYSTEMS["skylake"])
        board, processor = ev.build()
        self.assertEqual(type(board).__name__, "X86Board")
        self.assertEqual(board.get_processor(), processor)


if __name__ == "__main__":
    unittest.main()
