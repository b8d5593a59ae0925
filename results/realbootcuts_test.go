package results

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// README's container line after the boot's cuts (docs/containers-under-
// gem5.md): realAPIC with the kernel patch that gives the local APIC
// timer's clock and containerd without CRI and aufs (its setup was stopped
// while it wrote its checkpoint: no evaluation); realDocker27 with Docker
// 27.5 as well, evaluated on O3.
const (
	realAPIC     = "testdata/real-debian-container-apic-containerd"
	realDocker27 = "testdata/real-debian-container-docker27"
)

// The cuts take the boot's and the setup's steps where the page says, the
// kernel skipped its timer calibration because it was given the clock,
// and the function's invocations stay within 5% of the run before them.
func TestBootCutsKeepTheFunctionsPath(t *testing.T) {
	_, setupBefore := stepInstructions(t, realGOGC)
	curl, _ := stepInstructions(t, realBootCurl)
	apic, setupAPIC := stepInstructions(t, realAPIC)
	d27, setup27 := stepInstructions(t, realDocker27)
	checkPageFigures(t, []pageFigure{
		{"before: kernel and containerd (12)", curl[12], 609.2},
		{"kernel patch, containerd tags: kernel and containerd (12)", apic[12], 374.6},
		{"kernel patch, containerd tags: dockerd 26.1 (13)", apic[13], 401.5},
		{"Docker 27.5: dockerd (13)", d27[13], 251.8},
		{"before: the function's start (2)", setupBefore[2], 413.6},
		{"kernel patch, containerd tags: the function's start (2)", setupAPIC[2], 393.0},
		{"Docker 27.5: the function's start (2)", setup27[2], 353.0},
		{"before: the boot", curl[12] + curl[13] + curl[5], 1061.1},
		{"Docker 27.5: the boot", d27[12] + d27[13] + d27[5], 683.4},
		{"before: the setup", sum(setupBefore), 547.2},
		{"Docker 27.5: the setup", sum(setup27), 485.0},
	})
	for _, dir := range []string{realAPIC, realDocker27} {
		b, err := os.ReadFile(filepath.Join(dir, "boot", "board.pc.com_1.device"))
		if err != nil {
			t.Fatal(err)
		}
		console := string(b)
		if !strings.Contains(console, "lapic_timer_khz=156250 ") || strings.Contains(console, "calibrating APIC timer") {
			t.Errorf("%s: the kernel was not given its APIC timer's clock, or calibrated it anyway", dir)
		}
		for _, l := range strings.Split(console, "\n") {
			if strings.HasPrefix(l, "Unknown kernel command line parameters") && strings.Contains(l, "lapic_timer_khz") {
				t.Errorf("%s: the kernel did not know lapic_timer_khz (not patched): %s", dir, l)
			}
		}
	}
	checkSamePath(t, realGOGC, realDocker27)
}

// pageFigure is a figure docs/containers-under-gem5.md gives (want, M
// instructions) and what a committed run holds (got).
type pageFigure struct {
	what      string
	got, want float64
}

// checkPageFigures checks that the runs hold what the page says, to its
// 0.1 M rounding.
func checkPageFigures(t *testing.T, figures []pageFigure) {
	t.Helper()
	for _, f := range figures {
		if math.Abs(f.got-f.want) > 0.05 {
			t.Errorf("%s: %.1f M instructions, the page says %.1f", f.what, f.got, f.want)
		}
	}
}

// sum is a run script's steps together.
func sum(steps map[int]float64) float64 {
	var s float64
	for _, v := range steps {
		s += v
	}
	return s
}

// realCuts is README's container line after every cut (the boot pings
// dockerd, the snapshots by sed), on a machine with nothing else running.
const realCuts = "testdata/real-debian-container-cuts"

func TestAllCutsTogether(t *testing.T) {
	boot, setup := stepInstructions(t, realCuts)
	checkPageFigures(t, []pageFigure{
		{"the boot's ping (5)", boot[5], 44.5},
		{"the boot", boot[12] + boot[13] + boot[5], 669.6},
		{"the setup's first step, one snapshot by sed (1)", setup[1], 17.4},
		{"the function's start (2)", setup[2], 355.2},
		{"the setup", sum(setup), 480.7},
	})
	snaps, err := ReadCPUTimes(filepath.Join(realCuts, "setup", "fibonacci-go"))
	if err != nil || len(snaps) != 2 || len(snaps[0].CPUs) != 2 || len(snaps[1].Procs) < 20 {
		t.Fatalf("the sed snapshots: %d, %v", len(snaps), err)
	}
	checkSamePath(t, realGOGC, realCuts)
}
