"""Stand-in X86Board: keeps the workload and describes itself for
config.json / config.ini."""
import re

_CLOCK = re.compile(r"(\d+(?:\.\d+)?)(GHz|MHz)")


class X86Board:
    def __init__(self, clk_freq, processor, memory, cache_hierarchy):
        m = _CLOCK.fullmatch(clk_freq)
        if not m:
            raise ValueError("clk_freq %r is not like 2.5GHz" % clk_freq)
        ghz = float(m.group(1)) / (1 if m.group(2) == "GHz" else 1000)
        self._period = int(round(1000 / ghz))
        self.processor = processor
        self.memory = memory
        self.cache_hierarchy = cache_hierarchy
        self.m5ops_base = 0
        self.exit_on_work_items = False
        self.readfile_contents = None
        self.kernel_args = []

    def get_processor(self):
        return self.processor

    def clock_period_ticks(self):
        return self._period

    def set_kernel_disk_workload(self, kernel, disk_image, readfile_contents=None, kernel_args=None,
                                 readfile=None, bootloader=None, checkpoint=None, exit_on_work_items=True):
        self.kernel = kernel.get_local_path()
        self.disk = disk_image.get_local_path()
        self.readfile_contents = readfile_contents
        self.kernel_args = list(kernel_args or [])

    def config_json(self):
        cores = []
        for i, c in enumerate(self.processor.cores):
            cores.append({"type": type(c.core).__name__, "path": "board.processor.cores%d.core" % i,
                          "name": "core", "clk_domain": "board.clk_domain"})
        caches = {}
        for i in range(len(self.processor.get_cores())):
            for kind in ("l1i", "l1d"):
                name = "%scaches%d" % (kind, i)
                caches[name] = {"type": "Cache", "path": "board.cache_hierarchy." + name, "name": name,
                                "size": self.cache_hierarchy.sizes[kind], "assoc": 8}
        l2 = self.cache_hierarchy.l2_name(0)
        caches[l2] = {"type": "Cache", "path": "board.cache_hierarchy." + l2, "name": l2,
                      "size": self.cache_hierarchy.sizes["l2"], "assoc": 16}
        return {
            "type": "X86Board", "path": "board", "name": "board", "m5ops_base": self.m5ops_base,
            "exit_on_work_items": self.exit_on_work_items, "readfile": "", "workload": {
                "type": "X86LinuxFsWorkload", "path": "board.workload", "name": "workload",
                "object_file": self.kernel, "command_line": " ".join(self.kernel_args)},
            "clk_domain": {"type": "SrcClockDomain", "path": "board.clk_domain", "name": "clk_domain",
                           "clock": [self._period]},
            "processor": {"type": "SimpleSwitchableProcessor", "path": "board.processor", "name": "processor",
                          "cores": [{"type": "SimpleCore", "path": "board.processor.cores%d" % i,
                                     "name": "cores%d" % i, "core": c} for i, c in enumerate(cores)]},
            "cache_hierarchy": dict({"type": "SubSystem", "path": "board.cache_hierarchy", "name": "cache_hierarchy"}, **caches),
        }

    def config_ini(self):
        out = [("board", "X86Board", {"m5ops_base": self.m5ops_base,
                                      "exit_on_work_items": str(self.exit_on_work_items).lower()})]
        for i, c in enumerate(self.processor.cores):
            out.append(("board.processor.cores%d.core" % i, type(c.core).__name__, {"clk_domain": "board.clk_domain"}))
        return out
