# How the simulated machines are arranged (TOPOLOGY=, run_sim.py's
# --topology). The arrangements' data (names, descriptions, the number of
# systems, addresses, the drive system and the link) are topologies.json
# beside this file, which the Go side reads too (gem5-configs/topology.go);
# their behaviour is a class here, registered in KINDS by name, in the
# spirit of SYSTEMS (systems.py). A new arrangement is one entry in
# topologies.json, one class and one KINDS entry here, and one Go type.

import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from gem5.simulate.simulator import Simulator

CATALOGUE = Path(__file__).with_name("topologies.json")


@dataclass(frozen=True)
class Drive:
    """The drive system of a topology that has one: its object under the
    simulation's Root, its clock, cores and memory."""

    object: str
    clock: str
    cores: int
    memory: str


@dataclass(frozen=True)
class Link:
    """The Ethernet link of a topology that has one, and its defaults."""

    object: str
    delay: str
    bandwidth: str


@dataclass(frozen=True)
class Spec:
    """One entry of topologies.json."""

    name: str
    description: str
    systems: int
    test_ip: str = ""
    drive_ip: str = ""
    drive: Optional[Drive] = None
    link: Optional[Link] = None


@dataclass(frozen=True)
class DriveRun:
    """What a run gives a drive system: its cores (a CPUTypes), memory,
    disk and run script, and the link's delay and bandwidth."""

    core_type: object
    memory: str
    disk: str
    script: str
    link_delay: str
    link_bandwidth: str


@dataclass(frozen=True)
class Request:
    """The run's choices a topology checks: its mode, ISA, drive disk and
    script, and whether it is a bounded check (--max-ticks)."""

    mode: str
    isa: str = "x86"
    drive_disk: str = ""
    drive_script: str = ""
    bounded: bool = False


class Single:
    """One simulated system: the client runs on core 0, beside the
    function on core 1, so its work items end an evaluation's phases."""

    client_on_test_system = True
    kernel_args: List[str] = []

    def __init__(self, spec: Spec):
        self.spec = spec

    def problems(self, req: Request) -> List[str]:
        """What is wrong with the run's choices for this topology."""
        if req.drive_disk or req.drive_script:
            return ["--drive-disk and --drive-script are for --topology two-machine"]
        return []

    def board_type(self):
        """The X86 board class of the system under test. Imported here: an
        ARM gem5 has no X86 objects (Pc), and an Arm run never asks."""
        from gem5.components.boards.x86_board import X86Board

        return X86Board

    def simulator(self, board, options: dict, drive: Optional[DriveRun] = None, workload=None):
        """The run's simulator of the board (options: Simulator's)."""
        return Simulator(board=board, **options)

    def announcement(self, drive: Optional[DriveRun] = None) -> str:
        """A line on the arrangement for the run's log ("" for none)."""
        return ""


class TwoMachine(Single):
    """vSwarm-u's two machines: the test system runs the function, the
    drive system (network.py) runs the client, joined by an Ethernet link;
    only the drive system's work items reach the handlers."""

    client_on_test_system = False
    # The card is eth0 on every disk.
    kernel_args = ["net.ifnames=0"]

    def problems(self, req: Request) -> List[str]:
        """The drive disk (and, for a setup, its script) are required; the
        boards are X86 ones."""
        out = []
        if not req.drive_disk:
            out.append("--drive-disk is required with --topology two-machine")
        if req.mode == "setup" and not req.drive_script and not req.bounded:
            out.append("--drive-script is required in setup mode with --topology two-machine")
        if req.isa == "arm":
            out.append("--topology two-machine is for --isa x86: its drive system and link are X86 boards")
        return out

    def board_type(self):
        """The X86 board with a network card."""
        import network

        return network.NetworkedX86Board

    def simulator(self, board, options: dict, drive: Optional[DriveRun] = None, workload=None):
        """The simulator of the test system (board), the drive system
        (given its workload: workload.set_on) and the link."""
        import network

        d = network.drive_board(drive.core_type, drive.memory, self.spec.drive.clock, self.spec.drive.cores)
        workload.set_on(d, drive.disk, drive.script, self.spec.drive.clock, client=True)
        ethernet = network.link(board, d, drive.link_delay, drive.link_bandwidth)
        names = (self.spec.drive.object, self.spec.link.object)
        return network.TwoMachineSimulator(board=board, drive=d, ethernet=ethernet, names=names, **options)

    def announcement(self, drive: Optional[DriveRun] = None) -> str:
        """The systems' addresses and the link."""
        d = self.spec.drive
        return "vswarmu: two machines: test system %s, drive system %s (%d core, %s), link %s, %s" % (
            self.spec.test_ip, self.spec.drive_ip, d.cores, d.clock, drive.link_delay, drive.link_bandwidth)


# KINDS are the classes of the arrangements by name.
KINDS = {"single": Single, "two-machine": TwoMachine}


def load(path: Path = CATALOGUE) -> dict:
    """The arrangements of a topologies.json by name, each an instance of
    its KINDS class; an entry without a class is an error."""
    data = json.loads(Path(path).read_text())
    out = {}
    for entry in data["topologies"]:
        entry = dict(entry)
        if "drive" in entry:
            entry["drive"] = Drive(**entry["drive"])
        if "link" in entry:
            entry["link"] = Link(**entry["link"])
        spec = Spec(**entry)
        if spec.name not in KINDS:
            raise ValueError("%s: topology %r has no class in topologies.KINDS" % (path, spec.name))
        out[spec.name] = KINDS[spec.name](spec)
    return out


TOPOLOGIES = load()
