"""The emulated simulation behind the stand-in m5 and gem5 modules.

A guest is emulated from the script given to `m5 readfile`: each
`m5 ... fail <code>` line is a FAIL exit with that code, each `m5 ... exit`
an EXIT; the test-client line with -m5ops gives fail 20, 31 (warm-up), 32
(warm-up done), then n work items 100..100+n-1 (WORKBEGIN/WORKEND exits
when the board exits on work items), as the real client does. Time and
instruction counts advance per event, per core; the detailed cores of
evaluation runs count cycles and instructions as gem5 would report them.
"""
import json
import os
import re
import shlex
import sys
import time

FREQ = 10**12  # ticks per second


class ExitInfo:
    def __init__(self, cause, code):
        self._cause, self._code = cause, code

    def getCause(self):
        return self._cause

    def getCode(self):
        return self._code


def events_from_script(script, exit_on_work_items):
    """The exit events a guest running script produces, in order, with a
    mark after the one at which setup takes its checkpoint."""
    events = []
    for raw in script.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        if any(w.endswith("m5") for w in words[:3]) or (words and words[0] in ("$M5", "${M5}")):
            if "fail" in words:
                code = int(words[words.index("fail") + 1])
                events.append(("m5_fail instruction encountered", code))
            elif "exit" in words:
                events.append(("m5_exit instruction encountered", 0))
            continue
        if any(os.path.basename(w) == "test-client" for w in words):
            n = int(_flag(words, "-n", "10"))
            w = int(_flag(words, "-w", "0"))
            if "-m5ops" not in words:
                continue
            events.append(("m5_fail instruction encountered", 20))
            if w > 0:
                events.append(("m5_fail instruction encountered", 31))
                events.append(("m5_fail instruction encountered", 32))
            for i in range(n):
                if exit_on_work_items:
                    events.append(("workbegin", 100 + i))
                    events.append(("workend", 100 + i))
                else:
                    events.append(("work", 100 + i))
    return events


def _flag(words, name, default):
    if name in words and words.index(name) + 1 < len(words):
        return words[words.index(name) + 1]
    return default


class Sim:
    def __init__(self):
        self.tick = 0
        self.behavior = ""
        self.board = None
        self.instantiated = False
        self.events = []
        self.position = 0
        self.stats_start_tick = 0
        self.dumps = 0
        self.host_start = time.time()
        self.counters = {}  # core name -> [cycles, instructions]

    def configure(self, behavior):
        self.behavior = behavior

    # -- configuration -------------------------------------------------
    def instantiate(self, ckpt_dir=None):
        import m5

        if self.board is None:
            raise RuntimeError("stand-in: instantiate() before a board exists")
        outdir = m5.options.outdir
        self.write_config(outdir)
        script = self.board.readfile_contents or ""
        if ckpt_dir:
            cpt = os.path.join(str(ckpt_dir), "m5.cpt")
            if not os.path.isfile(cpt):
                sys.stderr.write("fatal: Can't open checkpoint file '%s'\n" % cpt)
                sys.exit(1)
            with open(cpt) as f:
                state = json.load(f)
            script = state["script"]
            self.tick = state["tick"]
            self.events = events_from_script(script, self.board.exit_on_work_items)
            self.position = state["position"]
        else:
            self.events = events_from_script(script, self.board.exit_on_work_items)
        self.stats_start_tick = self.tick
        self.instantiated = True

    def write_config(self, outdir):
        board = self.board
        objs = {"type": "Root", "path": "root", "name": "root", "full_system": True,
                "board": board.config_json()}
        with open(os.path.join(outdir, "config.json"), "w") as f:
            json.dump(objs, f, indent=4)
        with open(os.path.join(outdir, "config.ini"), "w") as f:
            f.write("[root]\ntype=Root\nchildren=board\nfull_system=true\n\n")
            for path, typ, params in board.config_ini():
                f.write("[%s]\ntype=%s\n" % (path, typ))
                for k, v in params.items():
                    f.write("%s=%s\n" % (k, v))
                f.write("\n")

    # -- running ---------------------------------------------------------
    def next_event(self):
        """Advance to the next exit event and return it (None at the end)."""
        import m5

        if self.behavior.startswith("slow:"):
            time.sleep(float(self.behavior.split(":", 1)[1]))
        hang = self.behavior == "hang"
        if self.behavior == "hang-once":
            marker = os.path.join(m5.options.outdir, ".standin-hung-once")
            if not os.path.exists(marker):
                open(marker, "w").close()
                hang = True
        if hang and self.position >= 1:
            print("(stand-in: the guest stopped making progress)", flush=True)
            while True:
                time.sleep(3600)
        while self.position < len(self.events):
            cause, code = self.events[self.position]
            self.position += 1
            self.advance(cause, code)
            if cause == "work":  # a work item the board does not exit on
                continue
            return ExitInfo(cause, code)
        return None

    def advance(self, cause, code):
        """Simulated time and instructions of one step of the guest."""
        if cause in ("workend", "work"):
            ticks, insts = 2_000_000_000, 4_900_000  # one invocation
        elif cause == "workbegin":
            ticks, insts = 40_000_000, 60_000
        else:
            ticks, insts = 500_000_000_000, 900_000_000  # boot, docker, ...
        self.tick += ticks
        proc = self.board.processor
        clock = self.board.clock_period_ticks()
        for idx, core in enumerate(proc.get_cores()):
            name = proc.core_path(core)
            c = self.counters.setdefault(name, [0, 0])
            cycles = ticks // clock
            share = insts if idx == 1 else insts // 7  # the function runs on core 1
            if core.cpu_type.name == "KVM":
                continue  # KVM cores report no simulated cycles
            cpi = {"ATOMIC": 1.0, "TIMING": 2.5, "O3": 1.1, "MINOR": 1.8}[core.cpu_type.name]
            c[0] += cycles if idx != 1 else int(share * cpi)
            c[1] += share

    def checkpoint(self, path):
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "m5.cpt"), "w") as f:
            json.dump({"tick": self.tick, "position": self.position,
                       "script": self.board.readfile_contents}, f)

    # -- statistics --------------------------------------------------------
    def reset_stats(self):
        self.counters = {}
        self.stats_start_tick = self.tick

    def dump_stats(self):
        import m5

        ticks = self.tick - self.stats_start_tick
        host = max(time.time() - self.host_start, 0.01)
        total_insts = sum(c[1] for c in self.counters.values())
        lines = [
            ("simSeconds", "%f" % (ticks / FREQ), "Number of seconds simulated (Second)"),
            ("simTicks", str(ticks), "Number of ticks simulated (Tick)"),
            ("finalTick", str(self.tick), "Number of ticks from beginning of simulation (restored from checkpoints and never reset) (Tick)"),
            ("simFreq", str(FREQ), "The number of ticks per simulated second ((Tick/Second))"),
            ("hostSeconds", "%.2f" % host, "Real time elapsed on the host (Second)"),
            ("simInsts", str(total_insts), "Number of instructions simulated (Count)"),
        ]
        proc = self.board.processor
        for idx, core in enumerate(proc.get_cores()):
            name = proc.core_path(core)
            cycles, insts = self.counters.get(name, [0, 0])
            lines.append((name + ".numCycles", str(cycles), "Number of cpu cycles simulated (Cycle)"))
            if insts and cycles:
                lines.append((name + ".cpi", "%f" % (cycles / insts), "CPI: cycles per instruction (core level) ((Cycle/Count))"))
                lines.append((name + ".ipc", "%f" % (insts / cycles), "IPC: instructions per cycle (core level) ((Count/Cycle))"))
            lines.append((name + ".commitStats0.numInsts", str(insts), "Number of instructions committed (thread level) (Count)"))
            k = idx
            for cache, per_kilo in (("l1icaches%d" % k, 2), ("l1dcaches%d" % k, 9)):
                misses = insts * per_kilo // 1000
                lines.append(("board.cache_hierarchy.%s.overallMisses::total" % cache, str(misses), "number of overall misses (Count)"))
        l2 = sum(c[1] for c in self.counters.values()) * 3 // 1000
        lines.append(("board.cache_hierarchy.%s.overallMisses::total" % self.board.cache_hierarchy.l2_name(0), str(l2), "number of overall misses (Count)"))
        with open(os.path.join(m5.options.outdir, "stats.txt"), "a") as f:
            f.write("\n---------- Begin Simulation Statistics ----------\n")
            for name, value, desc in lines:
                f.write("%-60s %20s %30s\n" % (name, value, "# " + desc))
            f.write("\n---------- End Simulation Statistics   ----------\n")
        self.dumps += 1


sim = Sim()


def configure(behavior):
    sim.configure(behavior)
