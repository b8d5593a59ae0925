# Runs one static x86-64 program in gem5's syscall-emulation mode on one
# of eight cores (Go starts threads) of the CPU model given: se.py <program> <atomic|timing|o3>.
import sys
from pathlib import Path

# The project's gem5-configs: compat.py lets v24.0's requires() run on a gem5
# built without Ruby, as the project's own configs do.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "gem5-configs"))
import compat  # noqa: E402

compat.allow_builds_without_ruby()

from gem5.components.boards.simple_board import SimpleBoard
from gem5.components.cachehierarchies.classic.no_cache import NoCache
from gem5.components.memory.single_channel import SingleChannelDDR3_1600
from gem5.components.processors.cpu_types import CPUTypes
from gem5.components.processors.simple_processor import SimpleProcessor
from gem5.isas import ISA
from gem5.resources.resource import BinaryResource
from gem5.simulate.simulator import Simulator

cpu = {"atomic": CPUTypes.ATOMIC, "timing": CPUTypes.TIMING, "o3": CPUTypes.O3}[sys.argv[2]]
board = SimpleBoard(
    clk_freq="2GHz",
    processor=SimpleProcessor(cpu_type=cpu, isa=ISA.X86, num_cores=8),  # Go starts threads: each needs a free core in SE mode
    memory=SingleChannelDDR3_1600("512MiB"),
    cache_hierarchy=NoCache(),
)
board.set_se_binary_workload(BinaryResource(local_path=sys.argv[1]), env_list=["GOMAXPROCS=1"])
Simulator(board=board).run()
