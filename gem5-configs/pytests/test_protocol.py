"""Unit tests of protocol.py: the guest protocol's handlers, driven by a
fake simulator (exit codes in order), with fake statistics and processor,
as gem5's Simulator drives them (next() on the handler of each event)."""

import contextlib
import io
import tempfile
import unittest
from pathlib import Path

import protocol
from gem5.simulate.exit_event import ExitEvent


class Recorder:
    """The statistics, the processor and the simulator of a run, as one
    log of what the handlers did."""

    def __init__(self):
        self.log = []
        self.code = None

    # statistics
    def reset(self):
        self.log.append("reset")

    def dump(self):
        self.log.append("dump")

    # processor
    def switch(self):
        self.log.append("switch")

    # simulator
    def get_last_exit_event_code(self):
        return self.code

    def save_checkpoint(self, path):
        self.log.append("checkpoint")


def drive(handlers, rec, events):
    """Feeds (event, code) pairs to the handlers; returns what each
    answered (True: the simulation stops) and the printed lines."""
    out, answers = io.StringIO(), []
    with contextlib.redirect_stdout(out):
        for event, code in events:
            rec.code = code
            answers.append(next(handlers[event]))
    return answers, out.getvalue()


def run(mode, events, measurement=protocol.Measurement(), systems=1):
    rec = Recorder()
    with tempfile.TemporaryDirectory() as d:
        p = protocol.Protocol(mode, Path(d) / "cpt", rec, measurement, systems=systems, stats=rec, tick=lambda: 7)
        p.bind(rec)
        answers, printed = drive(p.handlers(), rec, events)
    return p, rec, answers, printed


FAIL, BEGIN, END = ExitEvent.FAIL, ExitEvent.WORKBEGIN, ExitEvent.WORKEND


def invocations(first, last):
    """The work items of invocations first..last."""
    out = []
    for i in range(first, last + 1):
        out += [(BEGIN, protocol.WORK_ITEM_BASE + i), (END, protocol.WORK_ITEM_BASE + i)]
    return out


class ProtocolTest(unittest.TestCase):
    def test_boot_checkpoints_when_the_guest_is_ready(self):
        p, rec, answers, printed = run("boot", [(FAIL, 1), (FAIL, protocol.READY_FOR_SCRIPT)])
        self.assertEqual(answers, [False, True])
        self.assertEqual(rec.log, ["dump", "dump", "checkpoint"])
        self.assertIn("Step dump 2: code 5 at tick 7", printed)
        self.assertIs(p.state.checkpoint, True)
        self.assertIn("m5 fail 1: booted", printed)

    def test_boot_of_two_systems_waits_for_both(self):
        p, rec, answers, printed = run("boot", [(FAIL, 5), (FAIL, 5)], systems=2)
        self.assertEqual(answers, [False, True])
        self.assertEqual(rec.log, ["dump", "dump", "checkpoint"])
        self.assertIn("1 of 2 systems ready", printed)

    def test_setup_checkpoints_after_the_warm_up(self):
        p, rec, answers, _ = run("setup", [(FAIL, 2), (FAIL, 5), (FAIL, 31), (FAIL, protocol.WARM_DONE)])
        self.assertEqual(answers, [False, False, False, True])
        self.assertEqual(rec.log, ["dump"] * 4 + ["checkpoint"], "a statistics dump at each step, then the checkpoint")

    def test_script_end_and_docker_failure_stop_the_run(self):
        for code in (protocol.SCRIPT_END, protocol.DOCKER_FAILED):
            with self.subTest(code=code):
                p, rec, answers, printed = run("setup", [(FAIL, code)])
                self.assertEqual(answers, [True])
                self.assertIs(p.state.checkpoint, False)
                self.assertIn(protocol.FAIL_CODES[code], printed)

    def test_evaluation_switches_after_warming_and_dumps_once(self):
        m = protocol.Measurement(warming=2, invocations=3, detailed_cpu="o3")
        p, rec, answers, printed = run("evaluation", invocations(0, 4), m)
        self.assertEqual(rec.log, ["switch", "reset", "dump"])
        self.assertEqual(answers[-1], True)
        self.assertNotIn(True, answers[:-1])
        self.assertEqual(p.state.measured, 3)
        self.assertIn("Start invokation 2 at tick 7", printed)
        self.assertIn("Switched to the detailed cores (o3)", printed)

    def test_per_invocation_resets_and_dumps_each(self):
        m = protocol.Measurement(warming=1, invocations=3, per_invocation=True)
        p, rec, _, _ = run("evaluation", invocations(0, 3), m)
        self.assertEqual(rec.log, ["switch", "reset", "dump", "reset", "dump", "reset", "dump"])
        self.assertEqual(p.state.measured, 3)

    def test_an_unknown_mode_is_refused(self):
        with self.assertRaises(ValueError):
            protocol.Protocol("warm", Path("x"), Recorder())


class BoundedCheckTest(unittest.TestCase):
    def test_evaluation_runs_both_phases(self):
        rec = Recorder()
        b = protocol.BoundedCheck("evaluation", 1000, rec, protocol.Measurement(invocations=4), stats=rec)
        answers, _ = drive(b.handlers(), rec, [(ExitEvent.MAX_TICK, 0)] * 2)
        self.assertEqual(answers, [False, True])
        self.assertEqual(rec.log, ["switch", "reset", "dump"])
        self.assertEqual(b.state.measured, 4)
        self.assertIsNone(protocol.failure("evaluation", b.state, "max tick", 4))

    def test_boot_owes_no_checkpoint(self):
        rec = Recorder()
        b = protocol.BoundedCheck("boot", 1000, rec, stats=rec)
        answers, _ = drive(b.handlers(), rec, [(ExitEvent.MAX_TICK, 0)])
        self.assertEqual(answers, [True])
        self.assertIsNone(protocol.failure("boot", b.state, "max tick", 10))


class FailureTest(unittest.TestCase):
    def test_what_each_mode_owes(self):
        owed = protocol.RunState()
        cases = [
            ("boot", owed, "user interrupt received", "stopped before the guest was ready"),
            ("boot", owed, "m5_exit", "older gem5init"),
            ("setup", owed, "m5 fail -1: run script finished", "Setup ended without a checkpoint"),
            ("evaluation", protocol.RunState(measured=9), "m5_exit", "after 9 of 10 measured invocations"),
            ("evaluation", protocol.RunState(measured=10), "m5_exit", None),
            ("setup", protocol.RunState(checkpoint=True), "m5_exit", None),
        ]
        for mode, state, cause, want in cases:
            with self.subTest(mode=mode, cause=cause):
                got = protocol.failure(mode, state, cause, 10)
                if want is None:
                    self.assertIsNone(got)
                else:
                    self.assertIn(want, got)

    def test_last_exit_names_the_fail_code(self):
        class Sim:
            def get_last_exit_event_cause(self):
                return "m5_fail instruction encountered"

            def get_last_exit_event_code(self):
                return 7

        self.assertEqual(protocol.last_exit(Sim()), "m5 fail 7: " + protocol.FAIL_CODES[7])


if __name__ == "__main__":
    unittest.main()
