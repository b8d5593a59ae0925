"""Stand-in SimpleSwitchableProcessor: start cores, then switch cores, all
in one `cores` vector (board.processor.cores<N>.core), as gem5 names them."""
from .cpu_types import CPUTypes

_SIMOBJECT = {
    CPUTypes.ATOMIC: "X86AtomicSimpleCPU",
    CPUTypes.KVM: "X86KvmCPU",
    CPUTypes.O3: "X86O3CPU",
    CPUTypes.TIMING: "X86TimingSimpleCPU",
    CPUTypes.MINOR: "X86MinorCPU",
}


class _CPU:
    pass


class SimpleCore:
    def __init__(self, cpu_type, core_id, isa=None):
        self.cpu_type = cpu_type
        self.core_id = core_id
        self.core = type(_SIMOBJECT[cpu_type], (_CPU,), {})()

    def get_simobject(self):
        return self.core

    def is_kvm_core(self):
        return self.cpu_type == CPUTypes.KVM


class SimpleSwitchableProcessor:
    def __init__(self, starting_core_type, switch_core_type, num_cores, isa=None):
        if num_cores <= 0:
            raise AssertionError("num_cores must be positive")
        self._start = [SimpleCore(starting_core_type, i, isa) for i in range(num_cores)]
        self._switch = [SimpleCore(switch_core_type, i, isa) for i in range(num_cores)]
        self.cores = self._start + self._switch
        self._current = self._start

    def get_cores(self):
        return list(self._current)

    def _all_cores(self):
        return list(self.cores)

    def get_num_cores(self):
        return len(self._current)

    def switch(self):
        self._current = self._switch if self._current is self._start else self._start

    def core_path(self, core):
        return "board.processor.cores%d.core" % self.cores.index(core)
