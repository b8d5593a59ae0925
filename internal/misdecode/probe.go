package misdecode

// The probe: a static x86-64 Linux program of a few kilobytes, made here
// byte by byte (no toolchain, the same bytes on every host), that runs each
// XCHG and NOP encoding of interest, checks the registers afterwards,
// prints one line saying which encodings went wrong and exits with a status
// that says whether any did. Run in gem5's syscall-emulation mode it tells,
// in seconds and on any CPU model (it has one thread), which known
// misdecodes that gem5 has.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// ProbeCase is one encoding the probe runs: rAX and the other register are
// loaded with two values, the encoding runs, and both are compared with
// what a real CPU leaves in them.
type ProbeCase struct {
	Encoding string // the instruction's bytes in hex ("49 90")
	Asm      string // what it is on a real CPU
	Swaps    bool   // a real CPU exchanges rAX and the other register
	// Misdecode is the known misdecode this case detects ("" for a
	// control: a case every working gem5 gets right).
	Misdecode string
	other     int  // the other register's number (r8 = 8)
	writes32  bool // a 32-bit form: a real CPU zeroes the upper half of each register it writes
}

// XchgREXB is a known misdecode of gem5 v24.0 and earlier: opcode 0x90
// with REX.B (the short XCHG of rAX with r8) decoded as a NOP.
const XchgREXB = "xchg-rex-b"

// XchgSameReg is a known misdecode of gem5 v24.0 and earlier: XCHG of a
// register with itself (xchg %rbx,%rbx, the end of Valgrind's client
// request sequence) zeroes the register (gem5 swaps with three xors).
const XchgSameReg = "xchg-same-register"

// ProbeCases are the encodings the probe runs, in the order of its line.
func ProbeCases() []ProbeCase {
	return []ProbeCase{
		{Encoding: "49 90", Asm: "xchg %rax,%r8", Swaps: true, Misdecode: XchgREXB, other: 8},
		{Encoding: "41 90", Asm: "xchg %eax,%r8d", Swaps: true, Misdecode: XchgREXB, other: 8, writes32: true},
		{Encoding: "48 87 db", Asm: "xchg %rbx,%rbx", Misdecode: XchgSameReg, other: 3},
		{Encoding: "87 db", Asm: "xchg %ebx,%ebx", Misdecode: XchgSameReg, other: 3, writes32: true},
		{Encoding: "4d 87 c9", Asm: "xchg %r9,%r9", Misdecode: XchgSameReg, other: 9},
		{Encoding: "86 db", Asm: "xchg %bl,%bl", Misdecode: XchgSameReg, other: 3},
		{Encoding: "49 91", Asm: "xchg %rax,%r9", Swaps: true, other: 9},
		{Encoding: "48 91", Asm: "xchg %rax,%rcx", Swaps: true, other: 1},
		{Encoding: "4c 87 c0", Asm: "xchg %r8,%rax", Swaps: true, other: 8},
		{Encoding: "48 87 d8", Asm: "xchg %rbx,%rax", Swaps: true, other: 3},
		{Encoding: "48 90", Asm: "nop (rex.w)", other: 8},
		{Encoding: "90", Asm: "nop", other: 8},
	}
}

// probeEnd is the exit status bit that says the probe reached its end;
// probeWrong says a case went wrong (its line says which).
const probeEnd, probeWrong = 0x80, 0x01

// ProbeLine starts the probe's line: "VSWARMU-PROBE " and one character per
// case, in ProbeCases' order, 1 for a case that went wrong, 0 for one that
// ran right.
const ProbeLine = "VSWARMU-PROBE "

// The two values the probe loads into rAX and the other register (every
// byte of each differs from the other's and from zero).
const probeA, probeB = 0x1111_2222_3333_4444, 0x5555_6666_7777_8888

// The probe's layout: its line lies at a fixed place after the code.
const probeBase, probeLineAt = 0x400000, 0x800

// ProbeProgram is the probe: a static ELF64 x86-64 Linux executable.
func ProbeProgram() []byte {
	cases := ProbeCases()
	line := ProbeLine + strings.Repeat("0", len(cases)) + "\n"
	lineAddr := uint32(probeBase + probeLineAt)
	var code bytes.Buffer
	code.Write([]byte{0x45, 0x31, 0xe4}) // xor %r12d,%r12d: the status
	for i, c := range cases {
		writeProbeCase(&code, lineAddr+uint32(len(ProbeLine)+i), c)
	}
	code.Write([]byte{0xb8, 1, 0, 0, 0}) // mov $1 (write),%eax
	code.Write([]byte{0xbf, 1, 0, 0, 0}) // mov $1 (stdout),%edi
	code.Write(append([]byte{0xbe}, binary.LittleEndian.AppendUint32(nil, lineAddr)...))
	code.Write(append([]byte{0xba}, binary.LittleEndian.AppendUint32(nil, uint32(len(line)))...))
	code.Write([]byte{0x0f, 0x05})                          // syscall
	code.Write([]byte{0x41, 0x81, 0xcc, probeEnd, 0, 0, 0}) // or $0x80,%r12d
	code.Write([]byte{0x44, 0x89, 0xe7})                    // mov %r12d,%edi
	code.Write([]byte{0xb8, 231, 0, 0, 0})                  // mov $231 (exit_group),%eax
	code.Write([]byte{0x0f, 0x05})                          // syscall
	return elfExecutable(code.Bytes(), []byte(line))
}

// writeProbeCase writes one case: load, run the encoding, compare both
// registers with what a real CPU leaves, and if either differs mark the
// case's character of the line (at mark) and the status.
func writeProbeCase(code *bytes.Buffer, mark uint32, c ProbeCase) {
	wantA, wantOther := c.want()
	enc, _ := hex.DecodeString(strings.ReplaceAll(c.Encoding, " ", ""))
	movImm(code, 0, probeA)
	movImm(code, c.other, probeB)
	code.Write(enc)
	movImm(code, 11, wantA)
	cmpR11(code, 0)
	code.Write([]byte{0x75, 17}) // jne bad (over mov 10, cmp 3, jne 2, jmp 2)
	movImm(code, 11, wantOther)
	cmpR11(code, c.other)
	code.Write([]byte{0x75, 2})  // jne bad
	code.Write([]byte{0xeb, 12}) // jmp next (over the 8 and 4 bytes of bad)
	// bad: movb $'1',mark; or $1,%r12d
	code.Write(append(append([]byte{0xc6, 0x04, 0x25}, binary.LittleEndian.AppendUint32(nil, mark)...), '1'))
	code.Write([]byte{0x41, 0x83, 0xcc, probeWrong})
}

// want is what a real CPU leaves in rAX and the other register.
func (c ProbeCase) want() (a, other uint64) {
	a, other = probeA, probeB
	if c.Swaps {
		a, other = probeB, probeA
	}
	if !c.writes32 {
		return a, other
	}
	other &= 0xffff_ffff
	if c.Swaps {
		a &= 0xffff_ffff
	}
	return a, other
}

// movImm writes mov $v,%reg (64 bits; reg 0-15).
func movImm(code *bytes.Buffer, reg int, v uint64) {
	rex := byte(0x48)
	if reg >= 8 {
		rex |= 0x01
	}
	code.Write([]byte{rex, 0xb8 + byte(reg&7)})
	code.Write(binary.LittleEndian.AppendUint64(nil, v))
}

// cmpR11 writes cmp %r11,%reg (64 bits).
func cmpR11(code *bytes.Buffer, reg int) {
	rex := byte(0x4c) // REX.W, REX.R for r11
	if reg >= 8 {
		rex |= 0x01
	}
	code.Write([]byte{rex, 0x39, 0xd8 | byte(reg&7)})
}

// elfExecutable wraps code and data in a static ELF64 executable with one
// loadable segment (read, write, execute) at probeBase, entered at the
// code, with data at probeLineAt.
func elfExecutable(code, data []byte) []byte {
	const ehsize, phsize = 64, 56
	if ehsize+phsize+len(code) > probeLineAt {
		panic(fmt.Sprintf("misdecode: the probe's code (%d bytes) overlaps its line at %#x", len(code), probeLineAt))
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 3}) // 64-bit, little endian, version 1, Linux ABI
	b.Write(make([]byte, 8))
	for _, v := range []uint16{2, 62} { // ET_EXEC, EM_X86_64
		b.Write(le.AppendUint16(nil, v))
	}
	b.Write(le.AppendUint32(nil, 1))
	for _, v := range []uint64{probeBase + ehsize + phsize, ehsize, 0} { // entry, phoff, shoff
		b.Write(le.AppendUint64(nil, v))
	}
	b.Write(le.AppendUint32(nil, 0)) // flags
	for _, v := range []uint16{ehsize, phsize, 1, 64, 0, 0} {
		b.Write(le.AppendUint16(nil, v))
	}
	size := uint64(probeLineAt + len(data))
	b.Write(le.AppendUint32(nil, 1)) // PT_LOAD
	b.Write(le.AppendUint32(nil, 7)) // PF_R|PF_W|PF_X
	for _, v := range []uint64{0, probeBase, probeBase, size, size, 0x1000} {
		b.Write(le.AppendUint64(nil, v))
	}
	b.Write(code)
	b.Write(make([]byte, probeLineAt-b.Len()))
	b.Write(data)
	return b.Bytes()
}

// ProbeVersion names the probe program by its content: a gem5's answer is
// kept per gem5 binary and probe version.
func ProbeVersion() string {
	sum := sha256.Sum256(ProbeProgram())
	return hex.EncodeToString(sum[:8])
}

// ProbeOutcome is one case's result.
type ProbeOutcome struct {
	ProbeCase
	Right bool // the registers held what a real CPU leaves
}

// probeLineRE finds the probe's line in what gem5 printed.
var probeLineRE = regexp.MustCompile(`(?m)^` + ProbeLine + `([01]+)$`)

// ReadProbe turns the probe's exit status and its line (found in output,
// what gem5 printed) into each case's outcome and the known misdecodes
// found, in Misdecodes' order. A status without the end bit, a line
// missing or not saying what the status says, or a control case gone
// wrong, is an error: the gem5 did not run the probe as any working x86
// CPU would, which the probe cannot name.
func ReadProbe(status int, output string) ([]ProbeOutcome, []string, error) {
	cases := ProbeCases()
	if status&^0xff != 0 || status&probeEnd == 0 {
		return nil, nil, fmt.Errorf("the probe exited with status %d: it did not reach its end", status)
	}
	m := probeLineRE.FindAllStringSubmatch(output, -1)
	if len(m) != 1 || len(m[0][1]) != len(cases) {
		return nil, nil, fmt.Errorf("the probe's output has no line %q with one mark per case (%d): it did not run as written", ProbeLine, len(cases))
	}
	marks := m[0][1]
	if wrong := strings.Contains(marks, "1"); wrong != (status&probeWrong != 0) {
		return nil, nil, fmt.Errorf("the probe's status %d and its line %q disagree: it did not run as written", status, marks)
	}
	var outcomes []ProbeOutcome
	seen := map[string]bool{}
	for i, c := range cases {
		o := ProbeOutcome{ProbeCase: c, Right: marks[i] == '0'}
		outcomes = append(outcomes, o)
		if !o.Right && c.Misdecode == "" {
			return outcomes, nil, fmt.Errorf("the probe's control %s (%s) ran wrongly: this gem5 misexecutes more than the known misdecodes", c.Encoding, c.Asm)
		}
		seen[c.Misdecode] = seen[c.Misdecode] || !o.Right
	}
	var found []string
	for _, id := range Misdecodes() {
		if seen[id] {
			found = append(found, id)
		}
	}
	return outcomes, found, nil
}
