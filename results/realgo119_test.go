package results

import (
	"path/filepath"
	"testing"
)

// realGo119 is the fibonacci server built with Go 1.19 (functions/src/go119)
// in its container on the Debian disk, booted, set up and evaluated (simple,
// O3) once on the stock gem5 v24.0.0.1 and once on the patched one; cross/
// holds each setup checkpoint evaluated on the other gem5 by the run's own
// recorded command (docs/gem5-decoder-fix.md).
const realGo119 = "testdata/real-go119"

// TestGo119ServerOnBothGem5s: the stock gem5's run is suspect (its probe
// found the misdecode the program holds), the patched gem5's succeeds,
// neither has a wrong reply, and each checkpoint counts the same on
// either gem5 (the difference between the runs is their setups').
func TestGo119ServerOnBothGem5s(t *testing.T) {
	want := map[string]Outcome{"stock": Suspect, "patched": Succeeded}
	insts := map[string]float64{}
	for gem5, outcome := range want {
		dir := unpackRun(t, filepath.Join(realGo119, gem5, "fibonacci-go119@o3"))
		if c := CheckRun(dir, 10); c.Outcome != outcome {
			t.Errorf("%s gem5: %s (%s), want %s", gem5, c.Outcome, c.Reason, outcome)
		}
		if _, n := wrongReplies(dir, 1); n != 0 {
			t.Errorf("%s gem5: %d wrong replies", gem5, n)
		}
		insts[gem5] = statFloat(t, filepath.Join(dir, "stats.txt"), "board.processor.switch1.core.commitStats0.numInsts")
	}
	if insts["stock"] == insts["patched"] {
		t.Errorf("the two runs count alike (%v): the cross check below shows nothing", insts["stock"])
	}
	cross := unpackRun(t, filepath.Join(realGo119, "cross"))
	for file, run := range map[string]string{
		"stock-gem5-on-the-patched-run.stats.txt": "patched",
		"patched-gem5-on-the-stock-run.stats.txt": "stock",
	} {
		if got := statFloat(t, filepath.Join(cross, file), "board.processor.switch1.core.commitStats0.numInsts"); got != insts[run] {
			t.Errorf("%s: %v instructions, the %s run's own gem5 counted %v", file, got, run, insts[run])
		}
	}
}
