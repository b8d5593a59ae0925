"""Stand-in m5 module (see ../../gem5.opt): the parts of gem5's m5 module
vswarmu-mage's config uses, over an emulated simulation."""
from types import SimpleNamespace

from . import _standin, stats  # noqa: F401

options = SimpleNamespace(outdir="m5out")
MaxTick = 2**64 - 1


def curTick():
    return _standin.sim.tick


def checkpoint(path):
    _standin.sim.checkpoint(str(path))


def instantiate(ckpt_dir=None):
    _standin.sim.instantiate(ckpt_dir)
