"""Stand-in SimpleSwitchableProcessor: the start and switch cores are
children named as gem5 names them (board.processor.start0.core,
board.processor.switch1.core, ...); switch() swaps them."""
import m5
from m5.objects import SubSystem

from .simple_core import SimpleCore


class SimpleSwitchableProcessor(SubSystem):
    def __init__(self, starting_core_type, switch_core_type, num_cores, isa=None):
        if num_cores <= 0:
            raise AssertionError("Number of cores must be a positive integer!")
        super().__init__()
        self._isa = isa
        self._cores = {
            "start": [SimpleCore(cpu_type=starting_core_type, core_id=i, isa=isa) for i in range(num_cores)],
            "switch": [SimpleCore(cpu_type=switch_core_type, core_id=i, isa=isa) for i in range(num_cores)],
        }
        for name, cores in self._cores.items():
            setattr(self, name, cores)
        self._current = "start"

    def get_isa(self):
        return self._isa

    def get_cores(self):
        return list(self._cores[self._current])

    def get_num_cores(self):
        return len(self._cores[self._current])

    def incorporate_processor(self, board):
        self._board = board

    def switch(self):
        to = "switch" if self._current == "start" else "start"
        m5.switchCpus(self._board, list(zip([c.get_simobject() for c in self._cores[self._current]],
                                            [c.get_simobject() for c in self._cores[to]])))
        self._current = to
