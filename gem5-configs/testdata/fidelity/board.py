# Builds run_sim.py's setup board for the fidelity checks: kernel, disk
# and what to do come from the command line.
import sys

sys.path.insert(0, sys.argv[1])  # gem5-configs

import compat  # noqa: E402

compat.allow_builds_without_ruby()

from gem5.components.boards.x86_board import X86Board  # noqa: E402
from gem5.components.memory.single_channel import SingleChannelDDR4_2400  # noqa: E402
from gem5.components.processors.cpu_types import CPUTypes  # noqa: E402
from gem5.components.processors.simple_switchable_processor import SimpleSwitchableProcessor  # noqa: E402
from gem5.isas import ISA  # noqa: E402
from gem5.resources.resource import DiskImageResource, KernelResource  # noqa: E402

import systems  # noqa: E402


def board(kernel, disk, **workload):
    processor = SimpleSwitchableProcessor(
        starting_core_type=CPUTypes.ATOMIC, switch_core_type=CPUTypes.TIMING, num_cores=2, isa=ISA.X86
    )
    b = X86Board(
        clk_freq="2.5GHz", processor=processor, memory=SingleChannelDDR4_2400(size="512MB"),
        cache_hierarchy=systems.SYSTEMS["simple"].caches(),
    )
    b.set_kernel_disk_workload(kernel=KernelResource(local_path=kernel), disk_image=DiskImageResource(local_path=disk),
                               **workload)
    return b
