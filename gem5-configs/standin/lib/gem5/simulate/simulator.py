"""Stand-in gem5.simulate.simulator.Simulator over the emulated guest."""
import m5
from m5 import _standin

from .exit_event import ExitEvent


class Simulator:
    def __init__(self, board, full_system=None, on_exit_event=None,
                 expected_execution_order=None, checkpoint_path=None):
        for event, gen in (on_exit_event or {}).items():
            if not isinstance(event, ExitEvent):
                raise TypeError("on_exit_event keys must be ExitEvent values, not %r" % (event,))
            if not hasattr(gen, "__next__"):
                raise TypeError("the handler for %s must be a generator" % event)
        self._board = board
        self._on_exit_event = on_exit_event or {}
        self._checkpoint_path = checkpoint_path
        self._last_exit_event = None
        self._instantiated = False

    def _instantiate(self):
        if not self._instantiated:
            _standin.sim.board = self._board
            m5.instantiate(self._checkpoint_path)
            self._instantiated = True

    def get_last_exit_event_cause(self):
        return self._last_exit_event.getCause() if self._last_exit_event else ""

    def get_current_tick(self):
        return m5.curTick()

    def save_checkpoint(self, checkpoint_dir):
        m5.checkpoint(str(checkpoint_dir))

    def run(self, max_ticks=m5.MaxTick):
        self._instantiate()
        while True:
            ev = _standin.sim.next_event()
            if ev is None:
                # The guest script ran out: gem5 would wait forever; the
                # stand-in ends as if the last thread exited.
                self._last_exit_event = _standin.ExitInfo("exiting with last active thread context", 0)
                return
            self._last_exit_event = ev
            kind = ExitEvent.translate_exit_status(ev.getCause())
            handler = self._on_exit_event.get(kind)
            if handler is None:
                if kind in (ExitEvent.EXIT, ExitEvent.FAIL):
                    return
                continue
            try:
                stop = next(handler)
            except StopIteration:
                stop = kind in (ExitEvent.EXIT, ExitEvent.FAIL)
            if stop:
                return
