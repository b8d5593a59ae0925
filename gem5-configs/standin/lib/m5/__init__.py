"""Stand-in m5 module (see ../../gem5.opt): the parts of gem5's m5 module
vswarmu-mage's config uses, over an emulated simulation."""
from types import SimpleNamespace

from . import _standin, defines, objects, stats, ticks, util  # noqa: F401

options = SimpleNamespace(outdir="m5out")
MaxTick = 2**64 - 1


def curTick():
    return _standin.sim.tick


def checkpoint(path):
    _standin.sim.checkpoint(_str_arg("checkpoint", path))


def instantiate(ckpt_dir=None):
    if ckpt_dir is not None:
        ckpt_dir = _str_arg("getCheckpoint", ckpt_dir)
    _standin.sim.instantiate(ckpt_dir)


def simulate(ticks=MaxTick):
    return _standin.sim.simulate(ticks)


def switchCpus(system, pairs):
    _standin.sim.switch_cpus(pairs)


def _str_arg(fn, value):
    """gem5's C++ bindings take a str, nothing else (a pathlib.Path
    included), with pybind11's message."""
    if not isinstance(value, str):
        raise TypeError(
            "%s(): incompatible function arguments. The following argument types are supported:\n"
            "    1. (arg0: str) -> ...\n\nInvoked with: %r" % (fn, value)
        )
    return value
