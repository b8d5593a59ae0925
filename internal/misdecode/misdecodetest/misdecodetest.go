// Package misdecodetest builds, for tests, an x86-64 program that holds
// the instructions gem5 misdecodes beside ones it decodes right.
package misdecodetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Probe builds misdecode's testdata/probe (static, linux/amd64) into a
// temporary directory and returns its path. Each of its lines says whether
// one XCHG encoding swapped its registers on the CPU that ran it.
func Probe(t testing.TB) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	out := filepath.Join(t.TempDir(), "probe")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = filepath.Join(filepath.Dir(here), "..", "testdata", "probe")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=-mod=mod", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the probe: %v\n%s", err, b)
	}
	return out
}
