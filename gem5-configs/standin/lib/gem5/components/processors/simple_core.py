"""Stand-in SimpleCore: a subsystem with the CPU SimObject of its ISA as
its child `core`; it checks its requirements as v24.0's does."""
import m5.objects

from ...isas import ISA
from ...utils.requires import requires
from .cpu_types import CPUTypes

_CLASS = {
    CPUTypes.ATOMIC: "AtomicSimpleCPU",
    CPUTypes.KVM: "KvmCPU",
    CPUTypes.O3: "O3CPU",
    CPUTypes.TIMING: "TimingSimpleCPU",
    CPUTypes.MINOR: "MinorCPU",
}


def _cpu_class(cpu_type, isa):
    """The ISA's class of a core type, as v24.0's names them (ArmV8KvmCPU
    for KVM on Arm)."""
    if isa == ISA.ARM and cpu_type == CPUTypes.KVM:
        return "ArmV8KvmCPU"
    return {ISA.ARM: "Arm"}.get(isa, "X86") + _CLASS[cpu_type]


class SimpleCore(m5.objects.SubSystem):
    def __init__(self, cpu_type, core_id, isa):
        requires(isa_required=isa)
        super().__init__()
        self._cpu_type = cpu_type
        self._isa = isa
        self.core = getattr(m5.objects, _cpu_class(cpu_type, isa))(cpu_id=core_id)
        # The core's ISA object, as gem5 writes it (board....core.isa, X86ISA).
        self.core.isa = [m5.objects.ArmISA() if isa == ISA.ARM else m5.objects.X86ISA()]

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
