# Runs vswarmu-mage's misdecode probe (a static x86-64 program, one thread)
# in gem5's syscall-emulation mode and prints its exit status, whose bits
# say which encodings the gem5 executed wrongly:
#   gem5.opt probe.py <program> [atomic|timing|o3]
import sys

import compat

compat.allow_builds_without_ruby()

from gem5.components.boards.simple_board import SimpleBoard  # noqa: E402
from gem5.components.cachehierarchies.classic.no_cache import NoCache  # noqa: E402
from gem5.components.memory.single_channel import SingleChannelDDR3_1600  # noqa: E402
from gem5.components.processors.cpu_types import CPUTypes  # noqa: E402
from gem5.components.processors.simple_processor import SimpleProcessor  # noqa: E402
from gem5.isas import ISA  # noqa: E402
from gem5.resources.resource import BinaryResource  # noqa: E402
from gem5.simulate.simulator import Simulator  # noqa: E402

CPUS = {"atomic": CPUTypes.ATOMIC, "timing": CPUTypes.TIMING, "o3": CPUTypes.O3}

program = sys.argv[1]
cpu = sys.argv[2] if len(sys.argv) > 2 else "atomic"
if cpu not in CPUS:
    sys.exit("probe.py: CPU %r is not one of %s" % (cpu, ", ".join(CPUS)))
board = SimpleBoard(
    clk_freq="1GHz",
    processor=SimpleProcessor(cpu_type=CPUS[cpu], isa=ISA.X86, num_cores=1),
    memory=SingleChannelDDR3_1600("64MiB"),
    cache_hierarchy=NoCache(),
)
board.set_se_binary_workload(BinaryResource(local_path=program))
simulator = Simulator(board=board)
simulator.run()
print(
    "vswarmu probe: status %d (%s)"
    % (simulator.get_last_exit_event_code(), simulator.get_last_exit_event_cause()),
    flush=True,
)
