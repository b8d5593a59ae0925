package results

import (
	"math"
	"path/filepath"
	"testing"
)

// realArm is a run on a real ARM gem5 v24.0.0.1 built by gem5:build
// (GEM5_ARCH=ARM): the tiny arm64 guest (the tinyconfig kernel, busybox,
// the functions as processes) on gem5's ArmBoard, set up on atomic cores
// (5 warm-up invocations), evaluated on the simple system's timing and O3
// cores (2 atomic warming, 3 measured invocations); stats.txt and
// config.ini are gzip'd.
const realArm = "testdata/real-arm-tiny"

// TestRealArmRunsAreReported checks docs/arm64.md's Arm instructions per
// invocation against the dumps and that each run says it is Arm on a real
// gem5.
func TestRealArmRunsAreReported(t *testing.T) {
	for _, c := range []struct {
		run   string
		insts float64 // the function's core per invocation (docs/arm64.md)
	}{
		{"fibonacci-go@arm-timing", 135344},
		{"fibonacci-go@arm-o3", 135289},
		{"aes-go@arm-timing", 233238},
		{"aes-go@arm-o3", 233190},
	} {
		t.Run(c.run, func(t *testing.T) {
			run, err := LoadRun(unpackRun(t, filepath.Join(realArm, c.run)))
			if err != nil {
				t.Fatal(err)
			}
			_, cpu, ok := run.Measured()
			insts, _ := cpu.Instructions.Value.Float()
			if !ok || run.Meta.Invocations != 3 {
				t.Fatalf("measured %q over %d invocations (%s)", cpu.Name, run.Meta.Invocations, run.Why)
			}
			if got := insts / 3; math.Abs(got-c.insts) > 1 {
				t.Errorf("%.0f instructions per invocation, docs/arm64.md says %.0f", got, c.insts)
			}
			p := run.Provenance
			if p.ISA != "Arm" || p.Standin || p.Gem5Version != "24.0.0.1" || p.Gem5SHA256 != armGem5SHA256 {
				t.Errorf("provenance: %s", p)
			}
		})
	}
}

// armGem5SHA256 is the ARM gem5.opt gem5:build built here (docs/arm64.md).
const armGem5SHA256 = "9adbf020d30efa9848a4046459c77faaacf4dfc3201b95ff821af16042e293f3"
