# gem5 v24.0's Simulator hands checkpoint_path to the C++ side as it is:
# a pathlib.Path fails there (the workload takes one, as run_sim.py does).
import sys
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from board import board  # noqa: E402

from gem5.simulate.simulator import Simulator  # noqa: E402

Simulator(board=board(sys.argv[2], sys.argv[3]), checkpoint_path=Path(sys.argv[4])).run()
