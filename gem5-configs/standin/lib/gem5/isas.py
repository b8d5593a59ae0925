"""Stand-in gem5.isas."""
from enum import Enum


class ISA(Enum):
    X86 = "x86"
    ARM = "arm"
    RISCV = "riscv"
    NULL = "null"
