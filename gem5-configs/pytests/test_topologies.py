"""Unit tests of topologies.py: the arrangements as topologies.json and
KINDS declare them, the choices each refuses, and the simulator each
builds (on the stand-in's m5 library)."""

import json
import tempfile
import unittest
from pathlib import Path

import network
import run_sim
import topologies
from gem5.simulate.simulator import Simulator

Request = topologies.Request


class Recorder:
    """A workload that records the boards it is set on."""

    def __init__(self):
        self.set = []

    def set_on(self, board, disk, script, clock, client=True):
        self.set.append((type(board).__name__, disk, script, clock, client))


def drive_run():
    return topologies.DriveRun(core_type=run_sim.CORE_TYPES["atomic"], memory="256MB", disk="drive.raw",
                               script="drive.sh", link_delay="2us", link_bandwidth="10Gbps")


def board_of(topology):
    m = run_sim.Machine(run_sim.systems.SYSTEMS["simple"], "atomic", "timing", 2, "2GB", "x86", topology.board_type)
    return m.build()[0]


class TableTest(unittest.TestCase):
    def test_the_table_is_the_files(self):
        data = json.loads(topologies.CATALOGUE.read_text())
        self.assertEqual(list(topologies.TOPOLOGIES), [t["name"] for t in data["topologies"]])
        self.assertEqual(list(topologies.TOPOLOGIES), ["single", "two-machine"])

    def test_two_machines_as_vswarm_u_has_them(self):
        spec = topologies.TOPOLOGIES["two-machine"].spec
        self.assertEqual((spec.systems, spec.test_ip, spec.drive_ip), (2, "10.0.2.17", "10.0.2.18"))
        self.assertEqual((spec.drive.clock, spec.drive.cores, spec.drive.object), ("3.5GHz", 1, "drive"))

    def test_an_entry_without_a_class_is_an_error(self):
        data = json.loads(topologies.CATALOGUE.read_text())
        data["topologies"].append({"name": "ring", "description": "three", "systems": 3})
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "topologies.json"
            path.write_text(json.dumps(data))
            with self.assertRaisesRegex(ValueError, "ring"):
                topologies.load(path)

    def test_a_new_topology_is_one_entry_and_one_class(self):
        data = json.loads(topologies.CATALOGUE.read_text())
        data["topologies"].append({"name": "solo", "description": "one machine, kept apart", "systems": 1})
        saved = dict(topologies.KINDS)
        topologies.KINDS["solo"] = topologies.Single
        try:
            with tempfile.TemporaryDirectory() as d:
                path = Path(d) / "topologies.json"
                path.write_text(json.dumps(data))
                table = topologies.load(path)
        finally:
            topologies.KINDS.clear()
            topologies.KINDS.update(saved)
        self.assertIsInstance(table["solo"], topologies.Single)
        self.assertEqual(table["solo"].spec.description, "one machine, kept apart")


class ProblemsTest(unittest.TestCase):
    def test_choices(self):
        single, two = topologies.TOPOLOGIES["single"], topologies.TOPOLOGIES["two-machine"]
        cases = [
            (single, Request("setup"), None),
            (single, Request("setup", drive_disk="d.raw"), "are for --topology two-machine"),
            (two, Request("evaluation"), "--drive-disk is required"),
            (two, Request("setup", drive_disk="d.raw"), "--drive-script is required"),
            (two, Request("setup", drive_disk="d.raw", bounded=True), None),
            (two, Request("boot", drive_disk="d.raw"), None),
            (two, Request("boot", isa="arm", drive_disk="d.raw"), "is for --isa x86"),
        ]
        for topology, req, want in cases:
            with self.subTest(topology=topology.spec.name, req=req):
                got = topology.problems(req)
                if want is None:
                    self.assertEqual(got, [])
                else:
                    self.assertTrue(any(want in p for p in got), got)


class SimulatorTest(unittest.TestCase):
    def test_single_runs_one_board(self):
        single = topologies.TOPOLOGIES["single"]
        rec = Recorder()
        sim = single.simulator(board_of(single), {}, drive_run(), rec)
        self.assertIs(type(sim), Simulator)
        self.assertEqual(rec.set, [], "one machine boots no drive system")
        self.assertEqual(single.announcement(drive_run()), "")

    def test_two_machines_add_the_drive_system_and_the_link(self):
        two = topologies.TOPOLOGIES["two-machine"]
        rec = Recorder()
        board = board_of(two)
        sim = two.simulator(board, {}, drive_run(), rec)
        self.assertIsInstance(sim, network.TwoMachineSimulator)
        self.assertIsInstance(board, network.NetworkedX86Board)
        self.assertEqual(rec.set, [("NetworkedX86Board", "drive.raw", "drive.sh", "3.5GHz", True)])
        self.assertEqual(sim._names, ("drive", "link"))
        self.assertEqual(sim._link.delay, "2us")
        line = two.announcement(drive_run())
        self.assertIn("test system 10.0.2.17, drive system 10.0.2.18 (1 core, 3.5GHz), link 2us, 10Gbps", line)


if __name__ == "__main__":
    unittest.main()
