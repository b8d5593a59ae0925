package image

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/misdecode/misdecodetest"
)

func TestCheckDecodableRefusesWhatGem5Misdecodes(t *testing.T) {
	script := filepath.Join(t.TempDir(), "dockerd")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	self, _ := os.Executable() // this test binary: Go 1.26, nothing gem5 misdecodes
	cases := []struct {
		name, bin string
		want      string // "" = accepted
	}{
		{"a program with xchg %rax,%r8", misdecodetest.Probe(t), "holds 2 instruction(s) gem5 v24 misexecutes"},
		{"a current Go program", self, ""},
		{"not a program", script, ""},
		{"missing", filepath.Join(t.TempDir(), "none"), "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := checkDecodable(c.bin)
			if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("checkDecodable(%s): %v, want %q", c.bin, err, c.want)
			}
		})
	}
}

func TestDistributionRuntimeIsCheckedOnTheDisk(t *testing.T) {
	for _, tool := range []string{"mkfs.ext4", "sfdisk", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install e2fsprogs fdisk)", tool)
		}
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "usr", "bin"), 0o755)
	probe, err := os.ReadFile(misdecodetest.Probe(t))
	if err != nil {
		t.Fatal(err)
	}
	// containerd as a program gem5 misdecodes, runc as one it runs right, no dockerd.
	os.WriteFile(filepath.Join(root, "usr", "bin", "containerd"), probe, 0o755)
	self, _ := os.Executable()
	b, _ := os.ReadFile(self)
	os.MkdirAll(filepath.Join(root, "usr", "sbin"), 0o755)
	os.WriteFile(filepath.Join(root, "usr", "sbin", "runc"), b, 0o755)
	raw := filepath.Join(dir, "disk.raw")
	if err := MakeDisk(context.Background(), plainRunner{}, root, raw, 64<<20+int64(len(probe)+len(b))); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	warnDistributionRuntime(context.Background(), job.Local{W: &log}, raw)
	warnings := strings.Count(log.String(), "CONTAINER_RUNTIME=distribution: ")
	if warnings != 1 || !strings.Contains(log.String(), "the disk's /usr/bin/containerd (built with go1.") ||
		!strings.Contains(log.String(), "CONTAINER_RUNTIME=built") {
		t.Fatalf("%d warnings, want one for /usr/bin/containerd:\n%s", warnings, log.String())
	}
}
