package image

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
		{"a program with xchg %rax,%r8", misdecodetest.Probe(t), "holds 2 instruction(s) gem5 v24 executes as a NOP"},
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
