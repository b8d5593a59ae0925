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
const realContainer = "testdata/real-debian-container"

// TestRealContainerRunsAreReported checks README's container-mode rows
// against the dumps: the function's core's instructions and cycles per
// invocation, its busy share, the client's core, and that every run says
// it ran the function in its container on a real gem5.
func TestRealContainerRunsAreReported(t *testing.T) {
	for _, c := range []struct {
		run               string
		kInsts, mCycles   float64 // the function's core per invocation (README)
		busy              float64 // its busy share of the window (timing only)
		clientKInsts      float64 // the client's core per invocation
		clientBusyAtLeast float64
	}{
		{"fibonacci-go", 169.3, 4.320, 0.346, 1356, 0.999},
		{"fibonacci-go@o3", 166.2, 1.112, 0, 2171, 0},
		{"aes-go", 174.1, 4.352, 0.381, 1099, 0.999},
		{"aes-go@o3", 171.9, 1.134, 0, 1280, 0},
	} {
		t.Run(c.run, func(t *testing.T) {
			run, err := LoadRun(unpackRun(t, filepath.Join(realContainer, c.run)))
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
				t.Errorf("%.2f k instructions per invocation, README says %.1f k", got, c.kInsts)
			}
			if got := cycles / n / 1e6; math.Abs(got-c.mCycles) > 0.0005 {
				t.Errorf("%.4f M cycles per invocation, README says %.3f M", got, c.mCycles)
			}
			if c.busy > 0 && math.Abs(cpu.Utilisation()-c.busy) > 0.0005 {
				t.Errorf("busy %.4f of the window, README says %.3f", cpu.Utilisation(), c.busy)
			}
			client := clientCore(t, d)
			ci, _ := client.Instructions.Value.Float()
			if got := ci / n / 1e3; math.Abs(got-c.clientKInsts) > 0.5 {
				t.Errorf("client's core: %.1f k instructions per invocation, README says %.0f k", got, c.clientKInsts)
			}
			if client.Utilisation() < c.clientBusyAtLeast {
				t.Errorf("client's core busy %.4f, README says always busy", client.Utilisation())
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
	for _, c := range []struct{ file, want string }{
		{"boot/board.pc.com_1.device", "gem5init: containerd and Docker are up"},
		{"boot/board.pc.com_1.device", "gem5init: dockerd without iptables"},
		{"setup/fibonacci-go/board.pc.com_1.device", "Container function       Started"},
		{"setup/fibonacci-go/board.pc.com_1.device", "entered forwarding state"},
		{"setup/fibonacci-go/board.pc.com_1.device", "warming up with 100 invocations"},
	} {
		b, err := os.ReadFile(filepath.Join(realContainer, c.file))
		if err != nil {
			t.Fatal(err)
		}
		// compose v2 drew its progress with ANSI escapes on that console.
		if text := ansiEscape.ReplaceAllString(string(b), ""); !strings.Contains(text, c.want) {
			t.Errorf("%s lacks %q", c.file, c.want)
		}
	}
}

// realIdleWindow is an idle window of the container-mode boot checkpoint
// on the real gem5: restored on atomic cores with containerd and dockerd
// running and no container, script.sh (handed by m5 readfile) reset the
// statistics, slept 0.1 s, dumped them and listed each process's CPU
// ticks over the window (run_sim.py in setup mode with --script and
// --boot-checkpoint, by hand).
const realIdleWindow = "testdata/real-debian-container/idle-window"

// TestRealIdleWindowShowsContainerdSpinning checks README's account of the
// idle window: core 0 busy every cycle, core 1 idle, and the ticks all
// containerd's.
func TestRealIdleWindowShowsContainerdSpinning(t *testing.T) {
	dir := unpackRun(t, realIdleWindow)
	stats := filepath.Join(dir, "stats.txt")
	value := func(name string) float64 {
		f, ok := Value(statLine(t, stats, name)).Float()
		if !ok {
			t.Fatalf("%s is not a number", name)
		}
		return f
	}
	core0, core1 := "board.processor.start0.core.", "board.processor.start1.core."
	if c, b := value(core0+"numCycles"), value(core0+"exec_context.thread_0.numBusyCycles"); c != b || c == 0 {
		t.Errorf("core 0: %.0f busy of %.0f cycles, README says busy every cycle", b, c)
	}
	if n := value(core0 + "commitStats0.numInsts"); math.Abs(n/1e6-131.9) > 0.05 {
		t.Errorf("core 0: %.1f M instructions, README says 131.9 M", n/1e6)
	}
	if n := value(core1 + "commitStats0.numInsts"); math.Abs(n/1e3-41) > 0.5 {
		t.Errorf("core 1: %.1f k instructions, README says 41 k", n/1e3)
	}
	console, err := os.ReadFile(filepath.Join(dir, "board.pc.com_1.device"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\d+ \(containerd\) 14 0\r?$`).Match(console) ||
		strings.Contains(string(console), "(dockerd)") {
		t.Errorf("console's tick list does not give containerd alone 14 ticks on CPU 0:\n%s", console)
	}
}
