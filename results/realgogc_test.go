package results

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

// realCPUTimes is README's container line (fibonacci-go, the tinyconfig
// kernel, the stock gem5 v24.0.0.1, O3 evaluation on simple) with the run
// script's CPU time snapshots; realGOGC the same line on a disk whose
// gem5init starts containerd and dockerd with GOGC=400, its own install,
// boot and setup (docs/containers-under-gem5.md).
const (
	realCPUTimes = "testdata/real-debian-container-cputimes"
	realGOGC     = "testdata/real-debian-container-gogc"
	realBootCurl = "testdata/real-debian-container-boot-curl" // the boot only, docker info by curl
)

// stepInstructions are a run's boot and setup step instructions by m5 fail
// code, in millions.
func stepInstructions(t *testing.T, dir string) (boot, setup map[int]float64) {
	t.Helper()
	boot = runSteps(t, filepath.Join(dir, "boot"))
	if _, err := os.Stat(filepath.Join(dir, "setup")); err != nil {
		return boot, nil
	}
	return boot, runSteps(t, filepath.Join(dir, "setup", "fibonacci-go"))
}

// runSteps is one run's steps: millions of instructions by m5 fail code.
func runSteps(t *testing.T, d string) map[int]float64 {
	t.Helper()
	steps, err := Steps(d)
	if err != nil || len(steps) == 0 {
		t.Fatalf("%s: steps %v, %v", d, steps, err)
	}
	out := map[int]float64{}
	for _, s := range steps {
		out[s.Code] = s.Instructions / 1e6
	}
	return out
}

// The daemons' collector setting cuts the boot's and the setup's
// instructions where docs/containers-under-gem5.md says, and leaves the
// function's invocations within 5% (the acceptance of the cut: the
// function's path is unchanged).
func TestDaemonGOGCCutsTheRuntimesStart(t *testing.T) {
	boot0, setup0 := stepInstructions(t, realCPUTimes)
	boot1, setup1 := stepInstructions(t, realGOGC)
	for _, c := range []struct {
		what          string
		before, after float64
		want0, want1  float64 // as the page gives them, M instructions
	}{
		{"containerd's start (12)", boot0[12], boot1[12], 673.6, 609.2},
		{"dockerd's start (13)", boot0[13], boot1[13], 507.2, 396.8},
		{"the function's start (2)", setup0[2], setup1[2], 529.4, 413.6},
	} {
		if math.Abs(c.before-c.want0) > 0.05 || math.Abs(c.after-c.want1) > 0.05 {
			t.Errorf("%s: %.1f M → %.1f M, the page says %.1f → %.1f", c.what, c.before, c.after, c.want0, c.want1)
		}
	}
	for _, dir := range []string{realCPUTimes, realGOGC} {
		snaps, err := ReadCPUTimes(filepath.Join(dir, "setup", "fibonacci-go"))
		if err != nil || len(snaps) != 2 || snaps[1].Since(snaps[0])[0].Comm != "containerd-shim" {
			t.Errorf("%s: the setup's CPU time snapshots %v, %v: want two, the shim (with runc) first", dir, len(snaps), err)
		}
	}
	if curl, _ := stepInstructions(t, realBootCurl); math.Abs(curl[5]-54.2) > 0.05 || math.Abs(boot1[5]-68.3) > 0.05 {
		t.Errorf("the boot's last step: %.1f M with docker info, %.1f M with curl; the page says 68.3 and 54.2", boot1[5], curl[5])
	}
	checkSamePath(t, realCPUTimes, realGOGC)
}

// checkSamePath checks that after's O3 evaluation of fibonacci-go agrees
// with before's within 5% per invocation, in instructions and in cycles
// (a cut that leaves the function's path unchanged).
func checkSamePath(t *testing.T, before, after string) {
	t.Helper()
	i0, c0 := o3PerInvocation(t, before)
	i1, c1 := o3PerInvocation(t, after)
	if math.Abs(i1/i0-1) > 0.05 || math.Abs(c1/c0-1) > 0.05 {
		t.Errorf("per invocation %.0f instructions, %.0f cycles in %s against %.0f, %.0f in %s: more than 5%% apart",
			i1, c1, after, i0, c0, before)
	}
}

// o3PerInvocation is a committed run's O3 evaluation of fibonacci-go per
// invocation: the measured core's instructions and cycles.
func o3PerInvocation(t *testing.T, dir string) (insts, cycles float64) {
	t.Helper()
	run, err := LoadRun(unpackRun(t, filepath.Join(dir, "fibonacci-go@o3")))
	if err != nil {
		t.Fatal(err)
	}
	_, cpu, ok := run.Measured()
	if !ok {
		t.Fatalf("%s: no measured core (%s)", dir, run.Why)
	}
	i, _ := cpu.Instructions.Value.Float()
	c, _ := cpu.Cycles.Value.Float()
	n := float64(run.Meta.Invocations)
	return i / n, c / n
}
