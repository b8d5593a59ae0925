"""Stand-in gem5.coherence_protocol."""
from enum import Enum


class CoherenceProtocol(Enum):
    MESI_THREE_LEVEL = 1
    MESI_TWO_LEVEL = 3
    MI_EXAMPLE = 4
    CHI = 9
