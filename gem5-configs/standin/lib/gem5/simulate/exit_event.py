"""Stand-in gem5.simulate.exit_event (v24.0's names and strings)."""
from enum import Enum


class ExitEvent(Enum):
    EXIT = "exit"
    WORKBEGIN = "workbegin"
    WORKEND = "workend"
    SWITCHCPU = "switchcpu"
    FAIL = "fail"
    CHECKPOINT = "checkpoint"
    SCHEDULED_TICK = "scheduled tick exit"
    MAX_TICK = "max tick"
    USER_INTERRUPT = "user interupt"
    SIMPOINT_BEGIN = "simpoint begins"
    MAX_INSTS = "number of instructions reached"
    KERNEL_PANIC = "kernel panic in simulated system"
    KERNEL_OOPS = "kernel oops in simulated system"

    @classmethod
    def translate_exit_status(cls, exit_string):
        table = {
            "m5_workbegin instruction encountered": cls.WORKBEGIN,
            "workbegin": cls.WORKBEGIN,
            "m5_workend instruction encountered": cls.WORKEND,
            "workend": cls.WORKEND,
            "m5_exit instruction encountered": cls.EXIT,
            "exiting with last active thread context": cls.EXIT,
            "simulate() limit reached": cls.MAX_TICK,
            "m5_fail instruction encountered": cls.FAIL,
            "checkpoint": cls.CHECKPOINT,
            "user interrupt received": cls.USER_INTERRUPT,
            "Kernel panic in simulated system.": cls.KERNEL_PANIC,
        }
        if exit_string not in table:
            raise NotImplementedError("Exit event '%s' not implemented" % exit_string)
        return table[exit_string]
