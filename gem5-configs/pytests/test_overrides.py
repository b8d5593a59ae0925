"""Unit tests of overrides.py: a sweep point's changes to a system."""

import argparse
import unittest

import overrides
import systems


def args(**kw):
    p = argparse.ArgumentParser()
    p.add_argument("--system", default="simple")
    overrides.add_arguments(p)
    a = p.parse_args([])
    for k, v in kw.items():
        setattr(a, k, v)
    return a


class OverridesTest(unittest.TestCase):
    def test_no_override_keeps_the_system(self):
        simple = systems.SYSTEMS["simple"]
        self.assertIs(overrides.apply(simple, args()), simple)

    def test_llc_size_and_clock(self):
        got = overrides.apply(systems.SYSTEMS["simple"], args(l2_size="1MB", clock="3GHz"))
        self.assertEqual(got.clock, "3GHz")
        self.assertEqual(got.caches().levels()["l2"].size, "1MB")
        self.assertEqual(systems.SYSTEMS["simple"].caches().levels()["l2"].size, "128kB", "the catalogue is unchanged")

    def test_prefetch_off(self):
        got = overrides.apply(systems.SYSTEMS["skylake"], args(prefetch="off"))
        levels = got.caches().levels()
        self.assertFalse(levels["l1i"].next_line_prefetch or levels["l1d"].next_line_prefetch)

    def test_memory_model(self):
        got = overrides.apply(systems.SYSTEMS["simple"], args(memory_model="DDR4_2400"))
        self.assertEqual(got.memory_name, "SingleChannelDDR4_2400")
        self.assertEqual(got.memory("2GB").get_size(), "2GB")
        back = overrides.apply(systems.SYSTEMS["simple-ddr4"], args(memory_model="simple"))
        self.assertEqual(back.memory_name, systems.SYSTEMS["simple"].memory_name)
        self.assertEqual(systems.SYSTEMS["simple"].memory_name[:12], "SimpleMemory", "the catalogue is unchanged")

    def test_refused(self):
        cases = [
            (dict(l2_size="96kB"), "a power of two"),
            (dict(l1i_assoc=3), "associativity 3"),
            (dict(l3_size="1MB"), "has no l3"),
            (dict(clock="fast"), "write it like 3GHz"),
            (dict(l1d_size="1kB", l1d_assoc=32), "sets"),
            (dict(l2_size="2 MB"), "write it like 32kB"),
            (dict(memory_model="DDR9"), "memory model 'DDR9' is not simple or one of"),
        ]
        for kw, want in cases:
            with self.subTest(**kw):
                with self.assertRaisesRegex(overrides.OverrideError, want):
                    overrides.apply(systems.SYSTEMS["simple"], args(**kw))


if __name__ == "__main__":
    unittest.main()
