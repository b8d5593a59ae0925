"""Stand-in gem5.simulate.simulator.Simulator, as v24.0's: generators,
lists of functions or functions per exit event, the default behaviour for
events without one, max_ticks per run, and the checkpoint taken from the
board's workload (a checkpoint_path given here reaches the C++ side as
is, so a pathlib.Path fails there)."""
from types import GeneratorType

import m5
from m5 import _standin
from m5.util import warn

from .exit_event import ExitEvent


def _exit():
    while True:
        yield True


def _continue_with(action):
    while True:
        action()
        yield False


class Simulator:
    def __init__(self, board, full_system=None, on_exit_event=None, expected_execution_order=None,
                 checkpoint_path=None, max_ticks=m5.MaxTick, id=None):
        self._board = board
        self._max_ticks = max_ticks
        self._defaults = {
            ExitEvent.WORKBEGIN: _continue_with(m5.stats.reset),
            ExitEvent.WORKEND: _continue_with(m5.stats.dump),
            ExitEvent.SWITCHCPU: _continue_with(lambda: board.get_processor().switch()),
        }
        self._on_exit_event = {}
        for key, value in (on_exit_event or {}).items():
            if isinstance(value, GeneratorType):
                self._on_exit_event[key] = value
            elif isinstance(value, list):
                self._on_exit_event[key] = (f() for f in value)
            elif callable(value):
                self._on_exit_event[key] = (value() for _ in iter(int, 1))
            else:
                raise Exception("`on_exit_event` for '%s' event is not a Generator or List[Callable]." % key.value)
        if checkpoint_path:
            warn("Setting the checkpoint path via the Simulator constructor is deprecated")
        self._checkpoint_path = checkpoint_path
        self._last_exit_event = None
        self._instantiated = False

    def _instantiate(self):
        if not self._instantiated:
            _standin.sim.board = self._board
            self._board._pre_instantiate()
            if self._board._checkpoint:
                m5.instantiate(self._board._checkpoint.as_posix())
            else:
                m5.instantiate(self._checkpoint_path)
            self._instantiated = True

    def get_last_exit_event_cause(self):
        return self._last_exit_event.getCause() if self._last_exit_event else ""

    def get_last_exit_event_code(self):
        return self._last_exit_event.getCode()

    def get_current_tick(self):
        return m5.curTick()

    def set_max_ticks(self, max_ticks):
        self._max_ticks = max_ticks

    def save_checkpoint(self, checkpoint_dir):
        m5.checkpoint(str(checkpoint_dir))

    def run(self, max_ticks=None):
        if max_ticks:
            self._max_ticks = max_ticks
        self._instantiate()
        if getattr(self._board, "_se_binary", None):
            self._last_exit_event = _standin.run_se(self._board._se_binary, self._board._se_env)
            return
        while True:
            self._last_exit_event = m5.simulate(self._max_ticks)
            kind = ExitEvent.translate_exit_status(self._last_exit_event.getCause())
            handler = self._on_exit_event.get(kind) or self._defaults.get(kind) or _exit()
            try:
                stop = next(handler)
            except StopIteration:
                stop = next(self._defaults.get(kind) or _exit())
            if stop:
                return
