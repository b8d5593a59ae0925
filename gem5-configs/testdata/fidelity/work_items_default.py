# set_kernel_disk_workload's exit_on_work_items is True unless given, and
# it overrides what was set on the board before.
import sys

sys.path.insert(0, sys.argv[1])
from board import board  # noqa: E402

from gem5.simulate.simulator import Simulator  # noqa: E402

b = board(sys.argv[2], sys.argv[3])
Simulator(board=b, max_ticks=1000).run()
print("exit_on_work_items=%s" % b.exit_on_work_items)
