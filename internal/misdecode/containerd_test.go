package misdecode

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// containerdOnGem5 is a real gem5 run (testdata/containerd-on-gem5):
// Debian's containerd --version, then the same binary with
// runtime.gcWriteBarrierR8's bytes rewritten as script.sh says.
const containerdOnGem5 = "testdata/containerd-on-gem5"

// TestRewritingTheXchgsLetsContainerdRun checks docs/containers-under-gem5.md's account of the
// experiment that ties the crash to the instruction: Debian's binary
// panics at addr 0x20; with only gcWriteBarrierR8's two short XCHGs
// rewritten (which Scan finds before the rewrite and not after) it runs a
// collection and prints its version.
func TestRewritingTheXchgsLetsContainerdRun(t *testing.T) {
	script, err := os.ReadFile(filepath.Join(containerdOnGem5, "script.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`\(([0-9a-f ]+)\) rewritten as ([0-9a-f ]+)\.`).FindSubmatch(script)
	if m == nil {
		t.Fatal("script.sh does not say which bytes were rewritten")
	}
	for _, c := range []struct {
		code  string
		finds int
	}{{string(m[1]), 2}, {string(m[2]), 0}} {
		b, err := hex.DecodeString(strings.ReplaceAll(c.code, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(scanCode(b, 0xcd1540)); n != c.finds {
			t.Errorf("% x: %d findings, want %d", b, n, c.finds)
		}
	}
	console, err := os.ReadFile(filepath.Join(containerdOnGem5, "console.txt"))
	if err != nil {
		t.Fatal(err)
	}
	runs := strings.Split(string(console), "=== ./containerd-patched --version")
	if len(runs) != 2 {
		t.Fatalf("console has %d parts:\n%s", len(runs), console)
	}
	for _, want := range []string{
		"=== ./containerd-debian --version\npanic: runtime error: invalid memory address or nil pointer dereference\n" +
			"[signal SIGSEGV: segmentation violation code=0x1 addr=0x20 pc=0x10274a0]\n=== rc=2\n",
		"=== env GODEBUG=gctrace=1 ./containerd-patched --version\ngc 1 @",
		"3->4->1 MB, 4 MB goal",
		"containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3\n=== rc=0\n",
	} {
		if !strings.Contains(runs[0], want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if !strings.Contains(runs[1], "containerd github.com/containerd/containerd 1.6.20~ds1") || !strings.Contains(runs[1], "=== rc=0") {
		t.Errorf("the patched binary without gctrace did not print its version:\n%s", runs[1])
	}
}
