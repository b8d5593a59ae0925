# The guest protocol of vswarmu-mage (vSwarm-u's): what a run does on each
# exit event its guest causes. The run script and the client send m5 fail
# codes (FAIL_CODES) and work items (WORK_ITEM_BASE + invocation); a boot
# checkpoints when its systems are ready for their run scripts, a setup
# when the client's warm-up is done, and an evaluation switches to the
# detailed cores after its atomic warming, measures its invocations and
# dumps the statistics.
#
# Protocol and BoundedCheck are objects with their inputs given to the
# constructor (in the spirit of gem5's stdlib components); the simulator
# they ask for exit codes is bound once it exists, since gem5's Simulator
# takes the handlers when it is made. The statistics and the tick clock
# are inputs too, so pytests/ drive them without gem5.

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import m5
from gem5.simulate.exit_event import ExitEvent

# m5 fail codes of the run script and the client (vSwarm-u's protocol).
FAIL_CODES = {
    1: "booted",
    5: "ready for the run script (gem5init; a boot checkpoint is taken here)",
    2: "function started",
    3: "function pinned to core 1",
    4: "warming done",
    6: "function stopped",
    7: "Docker did not start in the guest (its status and journal are on the guest's console)",
    8: "the function's container stopped before the run ended (it crashed: its last output is on the guest's console)",
    10: "client started",
    11: "client finished",
    12: "containerd answers (a container-mode boot's runtime start)",
    13: "dockerd's API answers (a container-mode boot's runtime start)",
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
FUNCTION_EXITED = 8
WORK_ITEM_BASE = 100
# A boot's or setup's statistics dump at a step of its run script:
# "Step dump <n>: code <fail code> at tick <tick>" (results.StepLine).
STEP_LINE = "Step dump"

MODES = ("boot", "setup", "evaluation")


@dataclass
class RunState:
    """What a run has done so far: its checkpoint (False: owed and not
    taken, None: none owed), its measured invocations, and how many
    systems are ready for their run scripts (boot)."""

    checkpoint: Optional[bool] = False
    measured: int = 0
    ready: int = 0
    steps: int = 0


@dataclass(frozen=True)
class Measurement:
    """An evaluation's phases: invocations on atomic cores (warming), then
    measured ones on the detailed cores, with one statistics dump over
    all of them or one per invocation."""

    warming: int = 10
    invocations: int = 10
    per_invocation: bool = False
    detailed_cpu: str = ""

    @property
    def last(self) -> int:
        """The number of the run's last invocation."""
        return self.warming + self.invocations - 1


def describe(code: int) -> str:
    """An m5 fail code with its meaning."""
    return "m5 fail %d: %s" % (code, FAIL_CODES.get(code, "unknown code"))


class Protocol:
    """The exit-event handlers of a run the guest drives."""

    def __init__(self, mode: str, checkpoint_dir: Path, processor, measurement: Measurement = Measurement(),
                 systems: int = 1, stats=None, tick=None):
        if mode not in MODES:
            raise ValueError("mode %r: not one of %s" % (mode, ", ".join(MODES)))
        self.mode, self.checkpoint_dir, self.processor = mode, Path(checkpoint_dir), processor
        self.measurement, self.systems = measurement, systems
        self.stats = stats or m5.stats
        self.tick = tick or m5.curTick
        self.state = RunState()
        self.simulator = None

    def bind(self, simulator) -> None:
        """Gives the handlers the simulator whose exit codes they read."""
        self.simulator = simulator

    def handlers(self) -> dict:
        """The handlers by exit event, as gem5's Simulator takes them."""
        return {
            ExitEvent.FAIL: self._on_fail(),
            ExitEvent.WORKBEGIN: self._on_workbegin(),
            ExitEvent.WORKEND: self._on_workend(),
            ExitEvent.EXIT: self._on_exit(),
        }

    def _code(self) -> int:
        return self.simulator.get_last_exit_event_code()

    def _on_fail(self):
        while True:
            code = self._code()
            print(describe(code), flush=True)
            if self.mode in ("boot", "setup"):
                self._step_dump(code)
            if self.mode == "boot" and code == READY_FOR_SCRIPT and not self._all_ready():
                yield False
            elif (self.mode, code) in (("setup", WARM_DONE), ("boot", READY_FOR_SCRIPT)):
                self._checkpoint()
                yield True
            else:
                yield code in (SCRIPT_END, DOCKER_FAILED, FUNCTION_EXITED)

    def _step_dump(self, code: int) -> None:
        """Dumps the statistics at each step of a boot's or setup's run
        script (without a reset: each dump holds the run so far, so a step's
        instructions are the difference of two dumps; report:steps reads
        them)."""
        self.state.steps += 1
        self.stats.dump()
        print("%s %d: code %d at tick %d" % (STEP_LINE, self.state.steps, code, self.tick()), flush=True)

    def _all_ready(self) -> bool:
        """Counts a system ready for its run script; says whether all are."""
        self.state.ready += 1
        if self.state.ready < self.systems:
            print("%d of %d systems ready for their run scripts" % (self.state.ready, self.systems), flush=True)
            return False
        return True

    def _checkpoint(self) -> None:
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        self.simulator.save_checkpoint(self.checkpoint_dir)
        self.state.checkpoint = True
        print("Checkpoint taken: %s" % self.checkpoint_dir, flush=True)

    def _on_workbegin(self):
        m = self.measurement
        while True:
            i = self._code() - WORK_ITEM_BASE
            if i == m.warming:
                # The warming is done: measure on the detailed cores.
                self.processor.switch()
                self.stats.reset()
                print("Switched to the detailed cores (%s); statistics reset" % m.detailed_cpu, flush=True)
            elif m.per_invocation and i > m.warming:
                self.stats.reset()
            print("Start invokation %d at tick %d" % (i, self.tick()), flush=True)
            yield False

    def _on_workend(self):
        m = self.measurement
        while True:
            i = self._code() - WORK_ITEM_BASE
            print("End invokation %d at tick %d" % (i, self.tick()), flush=True)
            if i >= m.warming:
                self.state.measured += 1
                if m.per_invocation:
                    self.stats.dump()  # one dump per measured invocation
            if i == m.last and not m.per_invocation:
                self.stats.dump()
            yield i == m.last

    def _on_exit(self):
        while True:
            print("m5 exit: the guest ended the run", flush=True)
            yield True


class BoundedCheck:
    """The handlers of a --max-ticks configuration check: no guest
    protocol; a boot or setup stops after max_ticks, an evaluation
    switches to the detailed cores after max_ticks and runs max_ticks
    more."""

    def __init__(self, mode: str, max_ticks: int, processor, measurement: Measurement = Measurement(), stats=None):
        self.mode, self.max_ticks, self.processor, self.measurement = mode, max_ticks, processor, measurement
        self.stats = stats or m5.stats
        self.state = RunState()

    def bind(self, simulator) -> None:
        """A bounded check reads no exit codes."""

    def handlers(self) -> dict:
        """The handler of the max-tick event."""
        return {ExitEvent.MAX_TICK: self._on_max_tick()}

    def _on_max_tick(self):
        if self.mode != "evaluation":
            self.state.checkpoint = None  # none is owed
            print("Booted for %d ticks on the setup board (a bounded check takes no checkpoint)" % self.max_ticks,
                  flush=True)
            yield True
            return
        self.processor.switch()
        self.stats.reset()
        print("Switched to the detailed cores (%s) after %d ticks" % (self.measurement.detailed_cpu, self.max_ticks),
              flush=True)
        yield False  # the simulator runs max_ticks more
        self.stats.dump()
        self.state.measured = self.measurement.invocations
        print("Ran %d ticks on the detailed cores" % self.max_ticks, flush=True)
        yield True


def last_exit(simulator) -> str:
    """The simulator's last exit event, a fail code with its meaning."""
    cause = simulator.get_last_exit_event_cause()
    if "m5_fail" in cause:
        cause = describe(simulator.get_last_exit_event_code())
    return cause


def failure(mode: str, state: RunState, cause: str, invocations: int) -> Optional[str]:
    """Why a run did not do what its mode owes (None when it did)."""
    if mode == "boot" and state.checkpoint is False and "interrupt" in cause:
        return ("Boot ended without a checkpoint (last exit: %s): stopped before the guest was ready for its run script"
                % cause)
    if mode == "boot" and state.checkpoint is False:
        return ("Boot ended without a checkpoint (last exit: %s): the guest never sent m5 fail %d before reading its "
                "run script; a disk made before boot checkpoints has an older gem5init (rebuild it, or "
                "BOOT_CHECKPOINT=0)" % (cause, READY_FOR_SCRIPT))
    if mode == "setup" and state.checkpoint is False:
        return "Setup ended without a checkpoint (last exit: %s)" % cause
    if mode == "evaluation" and state.measured < invocations:
        return "Evaluation ended after %d of %d measured invocations (last exit: %s)" % (state.measured, invocations,
                                                                                         cause)
    return None
