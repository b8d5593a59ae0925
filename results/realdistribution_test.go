package results

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realDistributionPatched is a container-mode boot with Debian's own
// runtime (Go 1.19.8 programs that hold 49 90) on the patched gem5.
const realDistributionPatched = "testdata/real-debian-distribution-patched"

// TestDistributionRuntimeStartsOnThePatchedGem5: Debian's containerd and
// dockerd, which hold the instruction gem5 v24.0 runs as a NOP, start on
// the patched gem5 and the boot reaches its checkpoint; the run's record
// names the patched binary, probed with no misdecode; its steps (to
// containerd answering, to dockerd's API answering, to gem5init's m5 fail
// 5) are 707 M, 410 M and 124 M instructions.
func TestDistributionRuntimeStartsOnThePatchedGem5(t *testing.T) {
	dir := filepath.Join(realDistributionPatched, "boot")
	console, err := os.ReadFile(filepath.Join(dir, "board.pc.com_1.device"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"gem5init: containerd is up; starting dockerd", "gem5init: dockerd's API listens",
		"gem5init: containerd and Docker are up"} {
		if !strings.Contains(string(console), want) {
			t.Errorf("the console lacks %q", want)
		}
	}
	warnings, _ := os.ReadFile(filepath.Join(realDistributionPatched, "image-build-warnings.txt"))
	for _, prog := range []string{"/usr/bin/containerd ", "/usr/sbin/dockerd ", "/usr/sbin/runc "} {
		if !strings.Contains(string(warnings), "the disk's "+prog+"(built with go1.19.8) holds 2 instruction(s)") {
			t.Errorf("the disk's %s is not the distribution's Go 1.19 build that holds the instruction", prog)
		}
	}
	var meta RunMeta
	b, _ := os.ReadFile(filepath.Join(dir, MetaFile))
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Status != "ok" || meta.Gem5SHA256 != "4916ec67fdc2f566423b45499699368a3b9b0bddc805686b3d4ecf4566d06879" ||
		meta.Gem5Probe == nil || len(meta.Gem5Probe.Misdecodes) != 0 || meta.Gem5Probe.Error != "" || meta.ExecMode != "container" {
		t.Fatalf("the boot's record: %s", b)
	}
	steps, err := Steps(dir)
	want := []struct {
		code  int
		mInst float64
	}{{12, 707.1}, {13, 409.8}, {5, 124.4}}
	if err != nil || len(steps) != len(want) {
		t.Fatalf("steps %+v, %v", steps, err)
	}
	for i, w := range want {
		if steps[i].Code != w.code || math.Abs(steps[i].Instructions/1e6-w.mInst) > 0.1 {
			t.Errorf("step %d: %+v, want code %d and %.1f M instructions", i+1, steps[i], w.code, w.mInst)
		}
	}
}
