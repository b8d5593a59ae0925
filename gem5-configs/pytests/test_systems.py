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
        self.assertEqual(list(systems.SYSTEMS), ["simple", "skylake"])
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
                                "caches": {"l1i": {"size": "16kB", "assoc": 8, "latency": 1, "response_latency": 2},
                                           "l1d": {"size": "16kB", "assoc": 8, "latency": 1, "response_latency": 2},
                                           "llc": {"size": "2MB", "assoc": 16, "latency": 20, "response_latency": 20}}})
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "systems.json"
            path.write_text(json.dumps(data))
            table, detailed, setup = systems.load(path)
        self.assertEqual(table["big-llc"].caches().levels()["l2"].size, "2MB")
        self.assertEqual((detailed, setup), (("timing", "o3"), "simple"))

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
