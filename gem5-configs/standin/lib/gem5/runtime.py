"""Stand-in gem5.runtime, as v24.0's: the coherence protocol is looked up
in buildEnv and an empty one (a gem5 built without Ruby) is an error."""
from m5.defines import buildEnv

from .coherence_protocol import CoherenceProtocol
from .isas import ISA


def get_supported_isas():
    return {isa for isa, key in ((ISA.X86, "USE_X86_ISA"), (ISA.ARM, "USE_ARM_ISA")) if buildEnv.get(key)}


def get_runtime_coherence_protocol():
    protocol_map = {"mesi_two_level": CoherenceProtocol.MESI_TWO_LEVEL, "mi_example": CoherenceProtocol.MI_EXAMPLE,
                    "chi": CoherenceProtocol.CHI, "mesi_three_level": CoherenceProtocol.MESI_THREE_LEVEL}
    protocol_str = str(buildEnv["PROTOCOL"]).lower()
    if protocol_str not in protocol_map:
        raise NotImplementedError("Protocol '" + buildEnv["PROTOCOL"] + "' not recognized.")
    return protocol_map[protocol_str]
