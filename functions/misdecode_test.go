package functions

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/misdecode/misdecodetest"
)

func TestMisdecodedProgramsNamesTheServer(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name   string
		server string
		want   []string // substrings of the one line, or none for no line
	}{
		{"a server gem5 misdecodes", misdecodetest.Probe(t), []string{
			"/app/server (built with go1.", "holds 2 instruction(s)", "49 90 xchg %rax,%r8", "main.xchg4990",
		}},
		{"a program gem5 runs right", writeScript(t, dir), nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			archive := filepath.Join(dir, c.name+".tar")
			if err := WriteServerImage("example/f"+string(rune('a'+i))+":latest", c.server, "amd64", archive); err != nil {
				t.Fatal(err)
			}
			lines, err := MisdecodedPrograms(archive)
			if err != nil {
				t.Fatal(err)
			}
			if c.want == nil {
				if len(lines) != 0 {
					t.Fatalf("lines %q, want none", lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("lines %q, want one", lines)
			}
			for _, w := range c.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("line %q lacks %q", lines[0], w)
				}
			}
		})
	}
}

func TestMisdecodedProgramsNamesABadArchive(t *testing.T) {
	p := writeScript(t, t.TempDir())
	if _, err := MisdecodedPrograms(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("err %v, want one naming %s", err, p)
	}
}

// writeScript writes a file that is not a program.
func writeScript(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "server.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInstallWarnsOfAMisdecodedImage(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "f.tar")
	if err := WriteServerImage("example/old-go:latest", misdecodetest.Probe(t), "amd64", archive); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	warnMisdecoded(job.Local{W: &log}, "example/old-go:latest", archive)
	for _, want := range []string{
		"image example/old-go:latest: /app/server", "one_byte_opcodes.isa", "rebuild it with Go 1.21 or later",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("warning lacks %q:\n%s", want, log.String())
		}
	}
}
