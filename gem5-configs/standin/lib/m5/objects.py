"""Stand-in m5.objects: SimObjects that behave like gem5's where a config
can tell: parameters and ports are checked against the names of gem5
v24.0's classes (params.json, read off a real gem5.opt), a SimObject or a
list of them assigned to an attribute becomes a child named as gem5 names
it (a list of one is not numbered; longer lists are numbered with
zero-padded indices; as in gem5, a value that has a parent already, or a
list of which one has, is not adopted again), and any other unknown
attribute is an error with gem5's message. Root registers itself with the
emulated simulation, as gem5's singleton does."""
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


def _has_parent(v):
    """gem5's has_parent() of a SimObject or a vector: any element's."""
    if isinstance(v, SimObject):
        return v._parent is not None
    return any(x._parent is not None for x in v)


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
            if _is_simobjects(value) and not _has_parent(value):
                self._adopt(attr, value)
        elif _is_simobjects(value):
            self._children[attr] = value
            if not _has_parent(value):
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
        if self._parent.type == "Root":
            return self._name  # gem5 names root's children without "root."
        return self._parent.path() + "." + self._name

    def child_groups(self):
        """The children by the attribute they were assigned to: a SimObject
        or a list of them."""
        out = dict(self._children)
        out.update({k: v for k, v in self._values.items() if _is_simobjects(v)})
        return out

    def children(self):
        """The direct children (the objects this one adopted), in
        assignment order, flattened."""
        out, seen = [], set()
        for v in list(self._children.values()) + [v for v in self._values.values() if _is_simobjects(v)]:
            for x in [v] if isinstance(v, SimObject) else v:
                if x._parent is self and id(x) not in seen:
                    seen.add(id(x))
                    out.append(x)
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


def _make(name, bases, typ=None, cxx=None, like=None):
    """A class with gem5's parameters and ports for name (or for like, a
    class of the X86 build params.json comes from with the same base: the
    Arm cores share their parameters with the X86 ones through BaseCPU and
    its subclasses); typ is the type gem5 writes in config.ini/config.json
    (the C++ SimObject's: an ISA's CPU class writes its base's), cxx the
    C++ class."""
    known = _KNOWN.get(like or name, {"params": [], "ports": []})
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
ArmO3CPU = _make("ArmO3CPU", (BaseO3CPU,), "BaseO3CPU", "gem5::o3::CPU", like="X86O3CPU")
ArmTimingSimpleCPU = _make("ArmTimingSimpleCPU", (BaseCPU,), "BaseTimingSimpleCPU", "gem5::TimingSimpleCPU", like="X86TimingSimpleCPU")
ArmAtomicSimpleCPU = _make("ArmAtomicSimpleCPU", (BaseCPU,), "BaseAtomicSimpleCPU", "gem5::AtomicSimpleCPU", like="X86AtomicSimpleCPU")
ArmMinorCPU = _make("ArmMinorCPU", (BaseCPU,), "BaseMinorCPU", "gem5::minor::MinorCPU", like="X86MinorCPU")
ArmV8KvmCPU = _make("ArmV8KvmCPU", (BaseCPU,), "ArmV8KvmCPU", "gem5::ArmV8KvmCPU", like="X86KvmCPU")
ArmFsLinux = _make("ArmFsLinux", (SimObject,))
X86ISA = _make("X86ISA", (SimObject,))
ArmISA = _make("ArmISA", (SimObject,))
ArmDefaultRelease = _make("ArmDefaultRelease", (SimObject,))
VExpress_GEM5_Foundation = _make("VExpress_GEM5_Foundation", (SimObject,))
Terminal = _make("Terminal", (SimObject,))
Cache = _make("Cache", (ClockedObject,))
L2XBar = _make("L2XBar", (ClockedObject,))
SystemXBar = _make("SystemXBar", (ClockedObject,))
BadAddr = _make("BadAddr", (ClockedObject,))
TaggedPrefetcher = _make("TaggedPrefetcher", (ClockedObject,))
LTAGE = _make("LTAGE", (SimObject,))
EtherLink = _make("EtherLink", (SimObject,))
IGbE_e1000 = _make("IGbE_e1000", (ClockedObject,), "IGbE", "gem5::IGbE")
X86IntelMPIOIntAssignment = _make("X86IntelMPIOIntAssignment", (SimObject,))
X86IntelMPConfigTable = _make("X86IntelMPConfigTable", (SimObject,))
X86FsLinux = _make("X86FsLinux", (SimObject,))
I82094AA = _make("I82094AA", (ClockedObject,))
SouthBridge = _make("SouthBridge", (SimObject,))
Pc = _make("Pc", (SimObject,))
IOXBar = _make("IOXBar", (ClockedObject,), "NoncoherentXBar", "gem5::NoncoherentXBar")
X86E820Entry = _make("X86E820Entry", (SimObject,))
X86E820Table = _make("X86E820Table", (SimObject,))
_Root = _make("Root", (SimObject,))


class Root(_Root):
    """gem5's Root: one per simulation, which instantiate() builds."""

    def __init__(self, **kwargs):
        from . import _standin

        if _standin.sim.root is not None:
            raise RuntimeError("Attempt to allocate multiple instances of Root.")
        super().__init__(**kwargs)
        _standin.sim.root = self


class AddrRange:
    """gem5's AddrRange: AddrRange(size) or AddrRange(start, size=n)."""

    def __init__(self, start, end=None, size=None):
        if size is None and end is None:
            start, size = 0, start
        self.start = start
        self.end = start + size if size is not None else end

    def size(self):
        return self.end - self.start

    def __str__(self):
        return "%d:%d" % (self.start, self.end)
