package misdecode

import (
	"bytes"
	"strings"
	"testing"
)

// TestFormsAmidDataAreNoFindings: a REX.B byte before 0x90 among bytes
// that decode as what user code never holds (a constant table in a code
// section, as OpenSSL's libcrypto has) is data; amid ordinary code it is a
// finding, as in libaom's SSE code, where a compiler emitted one.
func TestFormsAmidDataAreNoFindings(t *testing.T) {
	code := bytes.Repeat([]byte{0x48, 0x89, 0xc3}, 10) // mov %rax,%rbx
	around := func(before, after []byte) []byte {
		b := append(append(append(append([]byte{}, code...), before...), 0x41, 0x90), after...)
		return append(b, code...)
	}
	cases := []struct {
		name          string
		code          []byte
		found, inData int
	}{
		{"amid code", around(nil, nil), 1, 0},
		{"at a section's end", append(append([]byte{}, code...), 0x41, 0x90), 1, 0},
		{"after hlt", around([]byte{0xf4}, nil), 0, 1},
		{"before in $0x10,%al", around(nil, []byte{0xe4, 0x10}), 0, 1},
		{"after zeroed words", around([]byte{0, 0, 0, 0}, nil), 0, 1},
		{"after mov %eax,%ds", around([]byte{0x8e, 0xd8}, nil), 0, 1},
		{"after a loop", around([]byte{0xe2, 0xfe}, nil), 0, 1},
		{"after an undecodable byte", around([]byte{0x06}, nil), 0, 1},
		{"int3 padding is code", around([]byte{0xcc, 0xcc}, nil), 1, 0},
		{"far from the data", around(append([]byte{0xf4}, code...), nil), 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var found, inData int
			for _, cand := range scanCode(c.code, 0x1000) {
				if cand.data {
					inData++
				} else {
					found++
				}
			}
			if found != c.found || inData != c.inData {
				t.Fatalf("% x: %d found, %d amid data; want %d, %d", c.code, found, inData, c.found, c.inData)
			}
		})
	}
}

// TestValgrindClientRequestIsAFinding: the sequence valgrind.h ends its
// client requests with (four rol of %rdi, then xchg %rbx,%rbx), as V8's
// CpuFeatures::FlushICache holds it in Debian's libnode.so.108, is an
// instruction gem5 v24 zeroes %rbx with; xchg of two registers and the
// same-register forms' register-memory cousins are not.
func TestValgrindClientRequestIsAFinding(t *testing.T) {
	code := bytes.Repeat([]byte{0x48, 0x89, 0xc3}, 10) // mov %rax,%rbx
	rol := []byte{0x48, 0xc1, 0xc7, 0x03, 0x48, 0xc1, 0xc7, 0x0d, 0x48, 0xc1, 0xc7, 0x3d, 0x48, 0xc1, 0xc7, 0x33}
	cases := []struct {
		name string
		xchg []byte
		want string // the finding's instruction, "" for none
	}{
		{"xchg %rbx,%rbx", []byte{0x48, 0x87, 0xdb}, "xchg %rbx,%rbx"},
		{"xchg %ebx,%ebx", []byte{0x87, 0xdb}, "xchg %ebx,%ebx"},
		{"xchg %r9,%r9", []byte{0x4d, 0x87, 0xc9}, "xchg %r9,%r9"},
		{"xchg %bl,%bl", []byte{0x86, 0xdb}, "xchg %bl,%bl"},
		{"xchg %rbx,%r11 (REX.R only)", []byte{0x4c, 0x87, 0xdb}, ""},
		{"xchg %rbx,%rax", []byte{0x48, 0x87, 0xd8}, ""},
		{"xchg %rbx,(%rbx)", []byte{0x48, 0x87, 0x1b}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seq := append(append(append(append([]byte{}, code...), rol...), c.xchg...), code...)
			cands := scanCode(seq, 0x1000)
			if c.want == "" {
				if len(cands) != 0 {
					t.Fatalf("% x: findings %v, want none", c.xchg, cands[0].Finding)
				}
				return
			}
			if len(cands) != 1 || cands[0].data || cands[0].Misdecode != XchgSameReg || !strings.Contains(cands[0].String(), c.want+" (gem5: zeroes it)") {
				t.Fatalf("% x: %d candidates %+v, want one %s finding %q", c.xchg, len(cands), cands, XchgSameReg, c.want)
			}
		})
	}
}
