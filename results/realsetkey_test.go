package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realSetKey is README's container line with Docker's network hook as a
// program of its own (image/patches/docker 0001), dockerd asking runc for
// its features once instead of twice (the first form of 0002), no IPv6 on
// the one-machine guest and no CPU time snapshots (GUEST_CPU_TIMES unset).
const realSetKey = "testdata/real-debian-container-setkey"

// The cuts take the steps docs/containers-under-gem5.md gives, the boot
// had no IPv6 and the setup no snapshots, and the function's invocations
// stay within 5% of the run before them.
func TestTheHookAndIPv6CutsKeepTheFunctionsPath(t *testing.T) {
	boot, setup := stepInstructions(t, realSetKey)
	checkPageFigures(t, []pageFigure{
		{"dockerd's start (13)", boot[13], 239.8},
		{"the boot", boot[12] + boot[13] + boot[5], 658.9},
		{"the setup's first step, no snapshot (1)", setup[1], 6.7},
		{"the function's start (2)", setup[2], 289.1},
		{"pinned, client started, connected (3, 10, 20)", setup[3] + setup[10] + setup[20], 66.6},
		{"the setup", sum(setup), 395.0},
	})
	b, err := os.ReadFile(filepath.Join(realSetKey, "boot", "board.pc.com_1.device"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), " ipv6.disable=1") {
		t.Errorf("the boot's kernel command line has no ipv6.disable=1")
	}
	if snaps, err := ReadCPUTimes(filepath.Join(realSetKey, "setup", "fibonacci-go")); err != nil || len(snaps) != 0 {
		t.Errorf("the setup took %d CPU time snapshots (%v), want none", len(snaps), err)
	}
	checkSamePath(t, realCuts, realSetKey)
}

// realPatches is README's container line with the runtime image:runtime
// builds now (all three Docker patches, the hook's program) and no IPv6:
// the last column of docs/containers-under-gem5.md's table; realRestore
// the same runtime on a disk with fibonacci-go and fibonacci-python.
const (
	realPatches = "testdata/real-debian-container-patches"
	realRestore = "testdata/real-debian-container-restore"
)

// The three Docker patches take the steps the page gives, the runtime
// built for the run names them, and fibonacci-go's invocations stay within
// 5% of the run before the cuts; Python's setup is what the page says.
func TestDockerPatchesKeepTheFunctionsPath(t *testing.T) {
	boot, setup := stepInstructions(t, realPatches)
	checkPageFigures(t, []pageFigure{
		{"kernel and containerd (12)", boot[12], 376.1},
		{"dockerd's start (13)", boot[13], 251.4},
		{"the ping (5)", boot[5], 44.4},
		{"the boot", boot[12] + boot[13] + boot[5], 671.9},
		{"the function's start (2)", setup[2], 275.0},
		{"pinned, client started, connected (3, 10, 20)", setup[3] + setup[10] + setup[20], 63.6},
		{"the setup", sum(setup), 377.8},
	})
	rec, err := os.ReadFile(filepath.Join(realPatches, "build.log.resources"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"0001-daemon-run-the-libnetwork-setkey-hook", "0002-daemon-ask-a-runtime-for-its-features",
		"0003-libnetwork-set-up-the-resolver-s-nat-rules"} {
		if !strings.Contains(string(rec), p) {
			t.Errorf("the run's image:runtime record does not name the patch %s", p)
		}
	}
	checkSamePath(t, realCuts, realPatches)
	_, goSetup := stepInstructions(t, realRestore)
	pySteps := runSteps(t, filepath.Join(realRestore, "setup", "fibonacci-python"))
	checkPageFigures(t, []pageFigure{
		{"fibonacci-go's setup beside Python on the disk", sum(goSetup), 378.3},
		{"Python's start (2)", pySteps[2], 283.8},
		{"Python's server listening (20)", pySteps[20], 413.2},
		{"Python's warm-ups (31, 32)", pySteps[31] + pySteps[32], 72.0},
		{"Python's setup", sum(pySteps), 790.8},
	})
}
