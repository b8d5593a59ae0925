"""Stand-in gem5.utils.requires, as v24.0's: it asks for the coherence
protocol whether or not one is required."""
import os

from ..runtime import get_runtime_coherence_protocol, get_supported_isas


def requires(isa_required=None, coherence_protocol_required=None, kvm_required=False):
    supported_isas = get_supported_isas()
    runtime_coherence_protocol = get_runtime_coherence_protocol()
    if isa_required is not None and isa_required.value not in (i.value for i in supported_isas):
        raise Exception("The required ISA is '%s'." % isa_required.name)
    if coherence_protocol_required is not None and coherence_protocol_required.value != runtime_coherence_protocol.value:
        raise Exception("The current coherence protocol is '%s'. Required: '%s'"
                        % (runtime_coherence_protocol.name, coherence_protocol_required.name))
    if kvm_required and not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise Exception("KVM is required but is unavailable on this system")
