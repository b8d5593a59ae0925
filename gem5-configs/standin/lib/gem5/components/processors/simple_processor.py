"""Stand-in SimpleProcessor: its cores are the child `cores`, named as gem5
names them (drive.processor.cores.core for one core)."""
from m5.objects import SubSystem

from .simple_core import SimpleCore


class SimpleProcessor(SubSystem):
    def __init__(self, cpu_type, num_cores, isa=None):
        if num_cores <= 0:
            raise AssertionError("Number of cores must be a positive integer!")
        super().__init__()
        self._isa = isa
        self.cores = [SimpleCore(cpu_type=cpu_type, core_id=i, isa=isa) for i in range(num_cores)]

    def get_isa(self):
        return self._isa

    def get_cores(self):
        return list(self.cores) if isinstance(self.cores, list) else [self.cores]

    def get_num_cores(self):
        return len(self.get_cores())

    def incorporate_processor(self, board):
        self._board = board
