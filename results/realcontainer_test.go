package results

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// realContainer is the first run of functions in their containers on a
// real gem5 v24.0.0.1 (the default EXEC_MODE): the Debian disk with the
// built container runtime, booted on atomic cores with containerd and
// Docker started before the boot checkpoint (1h39m), one setup per
// function from it (compose v2 up, pinned to core 1, 100 warm-up
// invocations: 1h21m and 1h16m), then evaluations on the simple system's
// timing and O3 cores (10 atomic warming, 10 measured invocations each).
// boot/ and setup/ keep the consoles; stats.txt and config.ini are gzip'd.
// realContainerFixed is the same after containerd's collector fix
// (pause_threshold = 0.0): a new disk, boot (21m45s), setups (21m39s and
// 21m52s) and evaluations.
const (
	realContainer      = "testdata/real-debian-container"
	realContainerFixed = "testdata/real-debian-container-fixed"
)

// TestRealContainerRunsAreReported checks docs/containers-under-gem5.md's container-mode rows
// against the dumps: the function's core's instructions and cycles per
// invocation, its busy share, the client's core, and that every run says
// it ran the function in its container on a real gem5.
func TestRealContainerRunsAreReported(t *testing.T) {
	for _, c := range []struct {
		dir, run          string
		kInsts, mCycles   float64 // the function's core per invocation (docs/containers-under-gem5.md)
		busy              float64 // its busy share of the window (timing only)
		clientKInsts      float64 // the client's core per invocation
		clientBusyAtLeast float64
	}{
		{realContainer, "fibonacci-go", 169.3, 4.320, 0.346, 1356, 0.999},
		{realContainer, "fibonacci-go@o3", 166.2, 1.112, 0, 2171, 0},
		{realContainer, "aes-go", 174.1, 4.352, 0.381, 1099, 0.999},
		{realContainer, "aes-go@o3", 171.9, 1.134, 0, 1280, 0},
		{realContainerFixed, "fibonacci-go", 167.3, 3.040, 0.493, 151, 0.65},
		{realContainerFixed, "fibonacci-go@o3", 165.7, 1.028, 0, 149, 0},
		{realContainerFixed, "aes-go", 168.1, 3.098, 0.482, 168, 0.66},
		{realContainerFixed, "aes-go@o3", 165.3, 1.032, 0, 163, 0},
	} {
		t.Run(filepath.Base(c.dir)+"/"+c.run, func(t *testing.T) {
			run, err := LoadRun(unpackRun(t, filepath.Join(c.dir, c.run)))
			if err != nil {
				t.Fatal(err)
			}
			d, cpu, ok := run.Measured()
			if !ok || cpu.Name != "board.processor.switch1.core" {
				t.Fatalf("measured %q (%s)", cpu.Name, run.Why)
			}
			n := float64(run.Meta.Invocations)
			insts, _ := cpu.Instructions.Value.Float()
			cycles, _ := cpu.Cycles.Value.Float()
			if got := insts / n / 1e3; math.Abs(got-c.kInsts) > 0.05 {
				t.Errorf("%.2f k instructions per invocation, docs/containers-under-gem5.md says %.1f k", got, c.kInsts)
			}
			if got := cycles / n / 1e6; math.Abs(got-c.mCycles) > 0.0005 {
				t.Errorf("%.4f M cycles per invocation, docs/containers-under-gem5.md says %.3f M", got, c.mCycles)
			}
			if c.busy > 0 && math.Abs(cpu.Utilisation()-c.busy) > 0.0005 {
				t.Errorf("busy %.4f of the window, docs/containers-under-gem5.md says %.3f", cpu.Utilisation(), c.busy)
			}
			client := clientCore(t, d)
			ci, _ := client.Instructions.Value.Float()
			if got := ci / n / 1e3; math.Abs(got-c.clientKInsts) > 0.5 {
				t.Errorf("client's core: %.1f k instructions per invocation, docs/containers-under-gem5.md says %.0f k", got, c.clientKInsts)
			}
			if client.Utilisation() < c.clientBusyAtLeast {
				t.Errorf("client's core busy %.4f, docs/containers-under-gem5.md says at least %.2f", client.Utilisation(), c.clientBusyAtLeast)
			}
			p := run.Provenance
			if p.ExecMode != "container" || p.Standin || p.Gem5Version != "24.0.0.1" || p.Gem5SHA256 == "" ||
				!strings.HasPrefix(p.Image, "vhiveease/") || !strings.Contains(p.String(), "function run as a container") {
				t.Errorf("provenance: %s", p)
			}
		})
	}
}

// clientCore is the client's core (board.processor.switch0.core) in a dump.
func clientCore(t *testing.T, d DumpMetrics) CPU {
	t.Helper()
	for _, c := range d.CPUs {
		if c.Name == "board.processor.switch0.core" {
			return c
		}
	}
	t.Fatalf("no client core among %d CPUs", len(d.CPUs))
	return CPU{}
}

// ansiEscape matches a terminal control sequence.
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;?]*[a-zA-Z]`)

// The consoles show the container path itself: the boot started the built
// runtime before its checkpoint, and the setup's compose v2 started the
// function's container on the compose bridge.
func TestRealContainerConsolesShowTheRuntime(t *testing.T) {
	for _, c := range []struct{ dir, file, want string }{
		{realContainer, "boot/board.pc.com_1.device", "gem5init: containerd and Docker are up"},
		{realContainer, "boot/board.pc.com_1.device", "gem5init: dockerd without iptables"},
		{realContainer, "setup/fibonacci-go/board.pc.com_1.device", "Container function       Started"},
		{realContainer, "setup/fibonacci-go/board.pc.com_1.device", "entered forwarding state"},
		{realContainer, "setup/fibonacci-go/board.pc.com_1.device", "warming up with 100 invocations"},
		{realContainerFixed, "boot/board.pc.com_1.device", "gem5init: containerd and Docker are up"},
		// compose's output through a pipe: plain lines and its exit status.
		{realContainerFixed, "setup/fibonacci-go/board.pc.com_1.device", "\n Container function  Started\r\ndocker-compose: exit status 0\r\n"},
		{realContainerFixed, "setup/aes-go/board.pc.com_1.device", "\n Container function  Started\r\ndocker-compose: exit status 0\r\n"},
		{realContainerFixed, "setup/aes-go/board.pc.com_1.device", "warming up with 100 invocations"},
	} {
		b, err := os.ReadFile(filepath.Join(c.dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		// compose v2 drew its progress with ANSI escapes on that console.
		if text := ansiEscape.ReplaceAllString(string(b), ""); !strings.Contains(text, c.want) {
			t.Errorf("%s lacks %q", c.file, c.want)
		}
	}
}

// The idle windows of container-mode boot checkpoints on the real gem5:
// restored on atomic cores with containerd and dockerd running and no
// container, script.sh (handed by m5 readfile) reset the statistics, slept
// 0.1 s, dumped them and listed each process's CPU ticks over the window
// (run_sim.py in setup mode with --script and --boot-checkpoint, by hand).
// idle-window is the disk before containerd's collector fix, idle-window-fixed
// the disk with pause_threshold = 0.0.
const (
	realIdleWindow      = "testdata/real-debian-container/idle-window"
	realIdleWindowFixed = "testdata/real-debian-container/idle-window-fixed"
)

// TestRealIdleWindows checks docs/containers-under-gem5.md's account of the idle windows: before
// the fix core 0 busy every cycle and the ticks all containerd's; after it
// core 0 busy 3.4% of the window (the sleep and m5 programs the script
// starts) and no process given a tick.
func TestRealIdleWindows(t *testing.T) {
	cases := []struct {
		dir            string
		busy0          float64 // core 0's busy share of its cycles
		insts0, insts1 float64 // instructions, M and k
		ticks          *regexp.Regexp
	}{
		{realIdleWindow, 1, 131.9, 41, regexp.MustCompile(`(?m)^\d+ \(containerd\) 14 0\r?\nprocesses:`)},
		{realIdleWindowFixed, 0.034, 3.2, 39, regexp.MustCompile(`ticks per process over it \(pid comm ticks last-cpu\):\r?\nprocesses:`)},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			dir := unpackRun(t, c.dir)
			stats := filepath.Join(dir, "stats.txt")
			value := func(name string) float64 { return statFloat(t, stats, name) }
			core0, core1 := "board.processor.start0.core.", "board.processor.start1.core."
			cycles, busy := value(core0+"numCycles"), value(core0+"exec_context.thread_0.numBusyCycles")
			if math.Abs(busy/cycles-c.busy0) > 0.0005 {
				t.Errorf("core 0: busy %.4f of its cycles, docs/containers-under-gem5.md says %.3f", busy/cycles, c.busy0)
			}
			if n := value(core0 + "commitStats0.numInsts"); math.Abs(n/1e6-c.insts0) > 0.05 {
				t.Errorf("core 0: %.2f M instructions, docs/containers-under-gem5.md says %.1f M", n/1e6, c.insts0)
			}
			if n := value(core1 + "commitStats0.numInsts"); math.Abs(n/1e3-c.insts1) > 0.5 {
				t.Errorf("core 1: %.1f k instructions, docs/containers-under-gem5.md says %.0f k", n/1e3, c.insts1)
			}
			console, err := os.ReadFile(filepath.Join(dir, "board.pc.com_1.device"))
			if err != nil {
				t.Fatal(err)
			}
			if !c.ticks.Match(console) {
				t.Errorf("console's tick list is not docs/containers-under-gem5.md's (%s):\n%s", c.ticks, console)
			}
		})
	}
}
