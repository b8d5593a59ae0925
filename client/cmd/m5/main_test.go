package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/client/m5"
)

// gem5 emulates gem5's side of the ops: it records them, serves a
// readfile and collects a writefile.
type gem5 struct {
	ops      []string
	readfile []byte
	written  bytes.Buffer
	base     uintptr
}

func (g *gem5) open(base uintptr) (*m5.Ops, error) {
	g.base = base
	return m5.Emulated(g.trap), nil
}

func (g *gem5) trap(op int, a [4]uint64, buf []byte) uint64 {
	switch op {
	case m5.OpReadFile:
		off := int(a[2])
		if off >= len(g.readfile) {
			return 0
		}
		return uint64(copy(buf[:a[1]], g.readfile[off:]))
	case m5.OpWriteFile:
		g.written.Write(buf[:a[1]])
		return a[1]
	}
	g.ops = append(g.ops, fmt.Sprintf("%#x(%d,%d)", op, int64(a[0]), int64(a[1])))
	return 0
}

func TestCommands(t *testing.T) {
	script := strings.Repeat("echo run script line\n", 30000) // more than one 256 KiB chunk
	file := filepath.Join(t.TempDir(), "log.txt")
	os.WriteFile(file, []byte("guest log\n"), 0o644)
	cases := []struct {
		args   []string
		code   int
		ops    string
		stdout string
		stderr string
		base   uintptr
	}{
		{[]string{"--addr", "fail", "32"}, 0, "0x22(0,32)", "", "", 0xffff0000},
		{[]string{"--addr", "fail", "-1"}, 0, "0x22(0,-1)", "", "", 0xffff0000},
		{[]string{"fail", "3", "100"}, 0, "0x22(100,3)", "", "", 0xffff0000},
		{[]string{"--addr", "0xffff0000", "exit"}, 0, "0x21(0,0)", "", "", 0xffff0000},
		{[]string{"--addr=0x10010000", "exit", "5"}, 0, "0x21(5,0)", "", "", 0x10010000},
		{[]string{"workbegin", "107", "1"}, 0, "0x5a(107,1)", "", "", 0xffff0000},
		{[]string{"dumpresetstats"}, 0, "0x42(0,0)", "", "", 0xffff0000},
		{[]string{"checkpoint", "0", "10"}, 0, "0x43(0,10)", "", "", 0xffff0000},
		{[]string{"--addr", "readfile"}, 0, "", script, "", 0xffff0000},
		{[]string{"writefile", file}, 0, "", "Wrote 10 bytes.\n", "", 0xffff0000},
		{[]string{"fail"}, 1, "", "", "fail takes <code> [delay]", 0},
		{[]string{"fail", "x"}, 2, "", "", `"x" is not a number`, 0xffff0000},
		{[]string{"--inst", "exit"}, 1, "", "", "only the address interface", 0},
		{[]string{"frobnicate"}, 1, "", "", `unknown command "frobnicate"`, 0},
		{nil, 1, "", "", "usage: m5", 0},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			g := &gem5{readfile: []byte(script)}
			var stdout, stderr bytes.Buffer
			code := run(c.args, nil, &stdout, &stderr, g.open)
			if code != c.code || strings.Join(g.ops, " ") != c.ops || stdout.String() != c.stdout || !strings.Contains(stderr.String(), c.stderr) || g.base != c.base {
				t.Fatalf("exit %d, ops %v, base %#x, stdout %.80q, stderr %q", code, g.ops, g.base, stdout.String(), stderr.String())
			}
			if c.args != nil && c.args[0] == "writefile" && g.written.String() != "guest log\n" {
				t.Fatalf("gem5 got %q", g.written.String())
			}
		})
	}
}
