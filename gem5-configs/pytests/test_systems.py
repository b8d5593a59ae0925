"""Unit tests of systems.py and caches.py: the catalogue as run_sim.py
builds it. Run with the stand-in's m5 library on the path (no gem5):
go test -run TestPythonUnitTests ./gem5-configs, or
PYTHONPATH=..:../standin/lib python3 -m unittest discover -s ."""

import json
import tempfile
import unittest
from pathlib import Path

import systems


class CatalogueTest(unittest.TestCase):
    def test_builtin_catalogue(self):
        self.assertEqual(list(systems.SYSTEMS), ["simple", "simple-ddr4", "skylake"])
        self.assertEqual(systems.DETAILED_CPUS, ("timing", "o3"))
        self.assertEqual(systems.SETUP, "simple")

    def test_levels_as_the_statistics_name_them(self):
        cases = {"simple": ["l1i", "l1d", "l2"], "skylake": ["l1i", "l1d", "l2", "l3"]}
        for name, want in cases.items():
            with self.subTest(system=name):
                self.assertEqual(list(systems.SYSTEMS[name].caches().levels()), want)

    def test_skylake_as_published(self):
        sky = systems.SYSTEMS["skylake"]
        levels = sky.caches().levels()
        self.assertEqual((levels["l3"].size, levels["l3"].assoc, levels["l3"].latency), ("8MB", 16, 36))
        self.assertTrue(levels["l1i"].next_line_prefetch)
        self.assertEqual(sky.o3["numROBEntries"], 336)
        self.assertTrue(callable(sky.o3["branchPred"]), "an {object: ...} value is a factory")

    def test_each_build_is_a_new_hierarchy(self):
        simple = systems.SYSTEMS["simple"]
        self.assertIsNot(simple.caches(), simple.caches())

    def test_a_new_system_is_one_entry(self):
        data = json.loads(systems.CATALOGUE.read_text())
        data["systems"].append({"name": "big-llc", "description": "2 MB LLC", "clock": "2.5GHz", "detailed": "timing",
                                "memory": {"kind": "DDR3_1600"},
                                "caches": {"l1i": {"size": "16kB", "assoc": 8, "latency": 1, "response_latency": 2},
                                           "l1d": {"size": "16kB", "assoc": 8, "latency": 1, "response_latency": 2},
                                           "llc": {"size": "2MB", "assoc": 16, "latency": 20, "response_latency": 20}}})
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "systems.json"
            path.write_text(json.dumps(data))
            table, detailed, setup = systems.load(path)
        self.assertEqual(table["big-llc"].caches().levels()["l2"].size, "2MB")
        self.assertEqual((detailed, setup), (("timing", "o3"), "simple"))

    def test_memory_as_vswarm_u_configures_it(self):
        """simple has SimpleMemory with gem5's defaults; simple-ddr4 the
        same caches with a DDR4-2400 channel; each build is a new memory of
        the size asked for."""
        simple, ddr4 = systems.SYSTEMS["simple"], systems.SYSTEMS["simple-ddr4"]
        self.assertEqual(simple.memory_name, "SimpleMemory 30ns (\u00b10ns), 12.8GiB/s")
        self.assertEqual(ddr4.memory_name, "SingleChannelDDR4_2400")
        mem = simple.memory("2GB")
        self.assertEqual((mem._latency, mem._latency_var, mem._bandwidth, mem.get_size()), ("30ns", "0ns", "12.8GiB/s", "2GB"))
        self.assertIsNot(simple.memory("2GB"), mem)
        self.assertEqual(ddr4.memory("1GB").get_size(), "1GB")
        self.assertEqual(simple.caches().levels()["l2"].size, ddr4.caches().levels()["l2"].size)

    def test_unknown_level_field_is_refused(self):
        data = json.loads(systems.CATALOGUE.read_text())
        data["systems"][0]["caches"]["l1i"]["sise"] = "16kB"
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "systems.json"
            path.write_text(json.dumps(data))
            with self.assertRaises(TypeError):
                systems.load(path)


if __name__ == "__main__":
    unittest.main()
