package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
	"github.com/vswarmu/vswarmu-mage/results"
)

// exported is a container's exported file system: a program gem5
// misexecutes (the probe holds 49 90, 41 90 and four xchg of a register
// with itself) and a script.
func exported(t *testing.T) *bytes.Buffer {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for name, data := range map[string][]byte{
		"app/server":   misdecode.ProbeProgram(),
		"bin/start.sh": []byte("#!/bin/sh\nexec /app/server\n" + strings.Repeat("#", 100)),
	} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	tw.Close()
	return &b
}

func TestScanPrintsEachProgramGem5Misexecutes(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-function", "fibonacci-go"}, exported(t), &out, &errs); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[1] != "VSWARMU-SCAN-DONE fibonacci-go 1" {
		t.Fatalf("output:\n%s", out.String())
	}
	js, ok := strings.CutPrefix(lines[0], results.ScanLine+" fibonacci-go ")
	var f results.ProgramFinding
	if !ok || json.Unmarshal([]byte(js), &f) != nil || f.Path != "/app/server" || f.Count != 6 ||
		!slices.Equal(f.Misdecodes, misdecode.Misdecodes()) || !strings.Contains(f.First, "49 90") {
		t.Fatalf("finding line %q", lines[0])
	}
}

func TestScanRefusesBadUse(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(nil, exported(t), &out, &errs); code != 2 || !strings.Contains(errs.String(), "usage") {
		t.Fatalf("no -function: exit %d, %s", code, errs.String())
	}
	if code := run([]string{"-function", "f"}, strings.NewReader("not a tar stream at all, but long enough to read a header from it"+strings.Repeat("x", 600)), &out, &errs); code != 1 {
		t.Fatalf("a stream that is no tar: exit %d", code)
	}
}
