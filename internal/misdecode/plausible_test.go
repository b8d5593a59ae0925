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
		{"after enter", around([]byte{0xc8, 0xe6, 0x78, 0xfd}, nil), 0, 1},
		{"after ret $n", around([]byte{0xc2, 0x8b, 0x74}, nil), 0, 1},
		{"after es scas", around([]byte{0x26, 0xaf}, nil), 0, 1},
		{"cs nopw padding is code", around([]byte{0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}, nil), 1, 0},
		// libcrypto.so.3 (OpenSSL 3.0, Debian 12) at 0x1c98d0: a constant
		// table in .text holding 87 c0 (xchg %eax,%eax) at 0x1c98fc.
		{"OpenSSL's table", libcryptoTable, 0, 1},
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

// libcryptoTable are 96 bytes of Debian 12's libcrypto.so.3 text from
// 0x1c98d0, a constant table a linear sweep decodes as enter, x87
// instructions and an xchg %eax,%eax.
var libcryptoTable = []byte{
	0x31, 0x00, 0x57, 0x00, 0xaa, 0xa6, 0x36, 0x81, 0x68, 0xde, 0xdd, 0x1c, 0x8c, 0xf7, 0xaa, 0x55,
	0x52, 0x39, 0xc6, 0x59, 0x71, 0x93, 0x82, 0x26, 0xaf, 0x5b, 0xc2, 0x8b, 0x74, 0xd2, 0x3b, 0x3a,
	0xc3, 0x2d, 0xe5, 0xb7, 0x57, 0x86, 0xdf, 0xec, 0xc8, 0xe6, 0x78, 0xfd, 0x87, 0xc0, 0xd8, 0x2d,
	0x61, 0x14, 0x53, 0xf5, 0x74, 0x32, 0x55, 0x20, 0x9b, 0x49, 0x95, 0x5d, 0x81, 0x12, 0x4a, 0x8b,
	0xd2, 0xf9, 0x80, 0x1a, 0x3a, 0x76, 0xc8, 0xe2, 0x58, 0xc7, 0xde, 0x4d, 0x2b, 0xe3, 0xdb, 0xd1,
	0x69, 0x41, 0xc3, 0x30, 0x0d, 0x21, 0x12, 0xaf, 0x33, 0xa5, 0xba, 0x78, 0x53, 0xa9, 0x74, 0xba,
}
