"""Stand-in m5.objects: SimObjects that behave like gem5's where a config
can tell: parameters and ports are checked against the names of gem5
v24.0's classes (params.json, read off a real gem5.opt), a SimObject or a
list of them assigned to an attribute becomes a child named as gem5 names
it (a list of one is not numbered; longer lists are numbered with
zero-padded indices), and any other unknown attribute is an error with
gem5's message."""
import json
import math
import os
import re

with open(os.path.join(os.path.dirname(__file__), "params.json")) as _f:
    _KNOWN = json.load(_f)


def _is_simobjects(v):
    if isinstance(v, SimObject):
        return True
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, SimObject) for x in v)


class Port:
    """A port of a SimObject; assignments connect it."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __repr__(self):
        return "%s.%s" % (self.owner.path(), self.name)


class SimObject:
    """Parameters, ports and children, as gem5's SimObject takes them."""

    _params = ()
    _ports = ()
    type = "SimObject"

    def __init__(self, **kwargs):
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_children", {})
        object.__setattr__(self, "_parent", None)
        object.__setattr__(self, "_name", None)
        object.__setattr__(self, "_connections", {})
        for k, v in kwargs.items():
            setattr(self, k, v)

    def __setattr__(self, attr, value):
        # In gem5's order: private names, ports, parameters, children;
        # then Python attributes a class defines; anything else is an error.
        if attr.startswith("_"):
            object.__setattr__(self, attr, value)
        elif attr in self._ports:
            self._connections.setdefault(attr, []).append(value)
        elif attr in self._params:
            self._values[attr] = value
            if _is_simobjects(value):
                self._adopt(attr, value)
        elif _is_simobjects(value):
            self._children[attr] = value
            self._adopt(attr, value)
        elif any(attr in c.__dict__ for c in type(self).__mro__):
            object.__setattr__(self, attr, value)
        else:
            raise AttributeError("Class %s has no parameter %s" % (type(self).__name__, attr))

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        if attr in self._children:
            return self._children[attr]
        if attr in self._values:
            return self._values[attr]
        if attr in self._ports:
            return Port(self, attr)
        if attr in self._params:
            return None
        raise AttributeError("object '%s' has no attribute '%s'" % (type(self).__name__, attr))

    def _adopt(self, name, value):
        if isinstance(value, SimObject):
            value._set_parent(self, name)
            return
        if len(value) == 1:
            value[0]._set_parent(self, name)
            return
        width = int(math.ceil(math.log(len(value)) / math.log(10)))
        for i, v in enumerate(value):
            v._set_parent(self, "%s%0*d" % (name, width, i))

    def _set_parent(self, parent, name):
        object.__setattr__(self, "_parent", parent)
        object.__setattr__(self, "_name", name)

    def path(self):
        if self._parent is None:
            return self._name or "root"
        return self._parent.path() + "." + self._name

    def child_groups(self):
        """The children by the attribute they were assigned to: a SimObject
        or a list of them."""
        out = dict(self._children)
        out.update({k: v for k, v in self._values.items() if _is_simobjects(v)})
        return out

    def children(self):
        """The direct children, in assignment order, flattened."""
        out = []
        for v in list(self._children.values()) + [v for v in self._values.values() if _is_simobjects(v)]:
            out.extend([v] if isinstance(v, SimObject) else v)
        return out

    def descendants(self):
        yield self
        for c in self.children():
            yield from c.descendants()

    def params(self):
        """Parameter values for config.json/config.ini (scalars as text)."""
        out = {}
        for k, v in self._values.items():
            if _is_simobjects(v):
                continue
            out[k] = v if isinstance(v, (int, float, bool)) else _bytes(str(v))
        return out


_SIZE = re.compile(r"^(\d+)([kKMGT]?)i?B$")


def _bytes(text):
    """A memory size as gem5 writes it (16kB -> 16384); other text as is."""
    m = _SIZE.match(text)
    if not m:
        return text
    return int(m.group(1)) << {"": 0, "k": 10, "K": 10, "M": 20, "G": 30, "T": 40}[m.group(2)]


def _make(name, bases, typ=None, cxx=None):
    """A class with gem5's parameters and ports for name; typ is the type
    gem5 writes in config.ini/config.json (the C++ SimObject's: an ISA's
    CPU class writes its base's), cxx the C++ class."""
    known = _KNOWN.get(name, {"params": [], "ports": []})
    typ = typ or name
    return type(name, bases, {"_params": frozenset(known["params"]), "_ports": frozenset(known["ports"]), "type": typ,
                              "cxx_class": cxx or "gem5::" + typ})


# Classes the configs and the stand-in library use, with gem5's bases.
SubSystem = _make("SubSystem", (SimObject,))
ClockedObject = _make("ClockedObject", (SimObject,))
BaseCPU = _make("BaseCPU", (ClockedObject,))
BaseO3CPU = _make("BaseO3CPU", (BaseCPU,))
X86O3CPU = _make("X86O3CPU", (BaseO3CPU,), "BaseO3CPU", "gem5::o3::CPU")
X86TimingSimpleCPU = _make("X86TimingSimpleCPU", (BaseCPU,), "BaseTimingSimpleCPU", "gem5::TimingSimpleCPU")
X86AtomicSimpleCPU = _make("X86AtomicSimpleCPU", (BaseCPU,), "BaseAtomicSimpleCPU", "gem5::AtomicSimpleCPU")
X86MinorCPU = _make("X86MinorCPU", (BaseCPU,), "BaseMinorCPU", "gem5::minor::MinorCPU")
X86KvmCPU = _make("X86KvmCPU", (BaseCPU,), "X86KvmCPU", "gem5::X86KvmCPU")
Cache = _make("Cache", (ClockedObject,))
L2XBar = _make("L2XBar", (ClockedObject,))
SystemXBar = _make("SystemXBar", (ClockedObject,))
BadAddr = _make("BadAddr", (ClockedObject,))
TaggedPrefetcher = _make("TaggedPrefetcher", (ClockedObject,))
LTAGE = _make("LTAGE", (SimObject,))
