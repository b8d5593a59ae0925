package misdecode

// The probe: a static x86-64 Linux program of a few hundred bytes, made
// here byte by byte (no toolchain, the same bytes on every host), that runs
// each XCHG and NOP encoding of interest, checks both registers afterwards
// and exits with a status whose bits say which encodings went wrong. Run in
// gem5's syscall-emulation mode it tells, in seconds and on any CPU model
// (it has one thread), which known misdecodes that gem5 has.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
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
	other     int // the other register's number (r8 = 8)
}

// XchgREXB is the known misdecode of gem5 v24.0 and earlier: opcode 0x90
// with REX.B (the short XCHG of rAX with r8) decoded as a NOP.
const XchgREXB = "xchg-rex-b"

// ProbeCases are the encodings the probe runs, in the order of the exit
// status' bits (bit 7 says the probe ran to its end).
func ProbeCases() []ProbeCase {
	return []ProbeCase{
		{Encoding: "49 90", Asm: "xchg %rax,%r8", Swaps: true, Misdecode: XchgREXB, other: 8},
		{Encoding: "41 90", Asm: "xchg %eax,%r8d", Swaps: true, Misdecode: XchgREXB, other: 8},
		{Encoding: "49 91", Asm: "xchg %rax,%r9", Swaps: true, other: 9},
		{Encoding: "48 91", Asm: "xchg %rax,%rcx", Swaps: true, other: 1},
		{Encoding: "4c 87 c0", Asm: "xchg %r8,%rax", Swaps: true, other: 8},
		{Encoding: "48 90", Asm: "nop (rex.w)", other: 8},
		{Encoding: "90", Asm: "nop", other: 8},
	}
}

// MisdecodeDescription says what a known misdecode does, for reports.
func MisdecodeDescription(id string) string {
	if id == XchgREXB {
		return "0x90 with REX.B (49 90 xchg %rax,%r8, 41 90) runs as a NOP"
	}
	return id
}

// probeEnd is the exit status bit that says the probe reached its end.
const probeEnd = 0x80

// The two values the probe loads into rAX and the other register.
const probeA, probeB = 0x1111_2222_3333_4444, 0x5555_6666_7777_0000

// ProbeProgram is the probe: a static ELF64 x86-64 Linux executable.
func ProbeProgram() []byte {
	var code bytes.Buffer
	code.Write([]byte{0x45, 0x31, 0xe4}) // xor %r12d,%r12d: the status
	for i, c := range ProbeCases() {
		writeProbeCase(&code, i, c)
	}
	code.Write([]byte{0x41, 0x81, 0xcc, probeEnd, 0, 0, 0}) // or $0x80,%r12d
	code.Write([]byte{0x44, 0x89, 0xe7})                    // mov %r12d,%edi
	code.Write([]byte{0xb8, 231, 0, 0, 0})                  // mov $231 (exit_group),%eax
	code.Write([]byte{0x0f, 0x05})                          // syscall
	return elfExecutable(code.Bytes())
}

// writeProbeCase writes one case: load, run the encoding, compare both
// registers with what a real CPU leaves, and set bit i of %r12d if either
// differs.
func writeProbeCase(code *bytes.Buffer, i int, c ProbeCase) {
	wantA, wantOther := uint64(probeA), uint64(probeB)
	if c.Swaps {
		wantA, wantOther = probeB, probeA
		if strings.HasPrefix(c.Encoding, "41 ") { // 32 bits: the upper halves are zeroed
			wantA, wantOther = probeB&0xffff_ffff, probeA&0xffff_ffff
		}
	}
	enc, _ := hex.DecodeString(strings.ReplaceAll(c.Encoding, " ", ""))
	movImm(code, 0, probeA)
	movImm(code, c.other, probeB)
	code.Write(enc)
	movImm(code, 11, wantA)
	cmpR11(code, 0)
	code.Write([]byte{0x75, 17}) // jne bad (over mov 10, cmp 3, jne 2, jmp 2)
	movImm(code, 11, wantOther)
	cmpR11(code, c.other)
	code.Write([]byte{0x75, 2})                        // jne bad
	code.Write([]byte{0xeb, 4})                        // jmp next
	code.Write([]byte{0x41, 0x83, 0xcc, byte(1 << i)}) // bad: or $bit,%r12d
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

// elfExecutable wraps code in a static ELF64 executable with one loadable
// segment (read, write, execute) at 0x400000, entered at the code.
func elfExecutable(code []byte) []byte {
	const base, ehsize, phsize = 0x400000, 64, 56
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 3}) // 64-bit, little endian, version 1, Linux ABI
	b.Write(make([]byte, 8))
	for _, v := range []uint16{2, 62} { // ET_EXEC, EM_X86_64
		b.Write(le.AppendUint16(nil, v))
	}
	b.Write(le.AppendUint32(nil, 1))
	for _, v := range []uint64{base + ehsize + phsize, ehsize, 0} { // entry, phoff, shoff
		b.Write(le.AppendUint64(nil, v))
	}
	b.Write(le.AppendUint32(nil, 0)) // flags
	for _, v := range []uint16{ehsize, phsize, 1, 64, 0, 0} {
		b.Write(le.AppendUint16(nil, v))
	}
	size := uint64(ehsize + phsize + len(code))
	b.Write(le.AppendUint32(nil, 1)) // PT_LOAD
	b.Write(le.AppendUint32(nil, 7)) // PF_R|PF_W|PF_X
	for _, v := range []uint64{0, base, base, size, size, 0x1000} {
		b.Write(le.AppendUint64(nil, v))
	}
	b.Write(code)
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

// ReadProbeStatus turns the probe's exit status into each case's outcome
// and the known misdecodes found. A status without the end bit, or a
// control case gone wrong, is an error: the gem5 did not run the probe as
// any working x86 CPU would, which the probe cannot name.
func ReadProbeStatus(status int) ([]ProbeOutcome, []string, error) {
	if status&^0xff != 0 || status&probeEnd == 0 {
		return nil, nil, fmt.Errorf("the probe exited with status %d: it did not reach its end", status)
	}
	var outcomes []ProbeOutcome
	var found []string
	for i, c := range ProbeCases() {
		o := ProbeOutcome{ProbeCase: c, Right: status&(1<<i) == 0}
		outcomes = append(outcomes, o)
		switch {
		case !o.Right && c.Misdecode == "":
			return outcomes, nil, fmt.Errorf("the probe's control %s (%s) ran wrongly: this gem5 misexecutes more than the known misdecodes", c.Encoding, c.Asm)
		case !o.Right && (len(found) == 0 || found[len(found)-1] != c.Misdecode):
			found = append(found, c.Misdecode)
		}
	}
	return outcomes, found, nil
}
