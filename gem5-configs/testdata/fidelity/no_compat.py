# gem5 v24.0's SimpleCore calls requires(), which asks for the coherence
# protocol even when none is required: on a gem5 built without Ruby this
# fails before any board exists (run_sim.py imports compat first).
from gem5.components.processors.cpu_types import CPUTypes
from gem5.components.processors.simple_switchable_processor import SimpleSwitchableProcessor
from gem5.isas import ISA

SimpleSwitchableProcessor(starting_core_type=CPUTypes.ATOMIC, switch_core_type=CPUTypes.TIMING, num_cores=2, isa=ISA.X86)
