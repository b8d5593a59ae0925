"""Stand-in SimpleBoard: a board for syscall-emulation workloads. The
stand-in does not simulate one: Simulator.run runs the program natively
(m5._standin.run_se), which is a double of gem5's SE mode for programs
that only compute and exit, such as vswarmu-mage's misdecode probe."""
import os

from m5.objects import SubSystem


class SimpleBoard(SubSystem):
    def __init__(self, clk_freq, processor, memory, cache_hierarchy):
        super().__init__()
        self.processor, self.memory, self.cache_hierarchy = processor, memory, cache_hierarchy
        self._se_binary = None
        self._checkpoint = None

    def get_processor(self):
        return self.processor

    def is_fullsystem(self):
        return False

    def set_se_binary_workload(self, binary, exit_on_work_items=True, stdin_file=None,
                               stdout_file=None, stderr_file=None, env_list=None, arguments=[], checkpoint=None):
        path = binary.get_local_path()
        if not os.path.isfile(path):
            raise FileNotFoundError("binary %s does not exist" % path)
        self._se_binary = [path] + list(arguments)
        self._se_env = env_list or []

    def _pre_instantiate(self):
        if self._se_binary is None:
            raise Exception("SimpleBoard: no workload set (set_se_binary_workload)")
