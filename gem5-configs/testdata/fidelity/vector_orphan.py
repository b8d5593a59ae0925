# A vector parameter adopts its SimObjects only when none of them has a
# parent: appending a new MP table entry to the board's entries leaves it
# an orphan, which instantiate refuses (network.py names it a child first).
import sys

sys.path.insert(0, sys.argv[1])
from board import board  # noqa: E402

from gem5.simulate.simulator import Simulator  # noqa: E402
from m5.objects import X86IntelMPIOIntAssignment  # noqa: E402

b = board(sys.argv[2], sys.argv[3])
table = b.workload.intel_mp_table
route = X86IntelMPIOIntAssignment(interrupt_type="INT", polarity="ConformPolarity", trigger="ConformTrigger",
                                  source_bus_id=0, source_bus_irq=2 << 2, dest_io_apic_id=2, dest_io_apic_intin=11)
table.base_entries = list(table.base_entries) + [route]
Simulator(board=b, max_ticks=1000).run()
