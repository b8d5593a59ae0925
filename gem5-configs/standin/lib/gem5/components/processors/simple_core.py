"""Stand-in SimpleCore: a subsystem with the CPU SimObject as its child
`core`; it checks its requirements as v24.0's does."""
import m5.objects

from ...isas import ISA
from ...utils.requires import requires
from .cpu_types import CPUTypes

_CLASS = {
    CPUTypes.ATOMIC: "X86AtomicSimpleCPU",
    CPUTypes.KVM: "X86KvmCPU",
    CPUTypes.O3: "X86O3CPU",
    CPUTypes.TIMING: "X86TimingSimpleCPU",
    CPUTypes.MINOR: "X86MinorCPU",
}


class SimpleCore(m5.objects.SubSystem):
    def __init__(self, cpu_type, core_id, isa):
        requires(isa_required=isa)
        super().__init__()
        self._cpu_type = cpu_type
        self._isa = isa
        self.core = getattr(m5.objects, _CLASS[cpu_type])(cpu_id=core_id)

    def get_simobject(self):
        return self.core

    def get_type(self):
        return self._cpu_type

    def get_isa(self):
        return self._isa

    def is_kvm_core(self):
        return self._cpu_type == CPUTypes.KVM

    def connect_icache(self, port):
        self.core.icache_port = port

    def connect_dcache(self, port):
        self.core.dcache_port = port

    def connect_walker_ports(self, port1, port2):
        pass

    def connect_interrupt(self, interrupt_requestor=None, interrupt_responce=None):
        pass
