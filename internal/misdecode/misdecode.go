// Package misdecode finds, in x86-64 ELF programs, the instructions gem5's
// X86 decoder executes differently from a real CPU, so that a guest program
// gem5 would run wrongly is named before a simulation measures it.
//
// The forms known (gem5 v24.0.0.1, every CPU model):
//   - the short XCHG of rAX with r8-r15, a REX prefix with its B bit
//     followed by opcode 0x90 (`49 90` is `xchg %rax,%r8`). gem5's one-byte
//     opcode table decodes 0x90 as NOP whatever the REX prefix says, so
//     neither register changes. Go 1.20 and older use it in
//     runtime.gcWriteBarrierR8, so their collector stores the wrong word
//     whenever a write barrier is taken through r8.
//   - XCHG of a register with itself (`48 87 db` is `xchg %rbx,%rbx`):
//     gem5 swaps two registers with three xors, which zero a register
//     swapped with itself. Valgrind's client requests (valgrind.h) end with
//     it; V8 (Node.js) issues one whenever it patches code.
package misdecode

import (
	"archive/tar"
	"bytes"
	"cmp"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// knownMisdecode is what reports say of one known misdecode.
type knownMisdecode struct {
	id          string
	description string // what it does
	effect      string // what gem5 does instead, in a finding's line
	source      string // where gem5 goes wrong
}

// known are the known misdecodes, in the order reports list them.
var known = []knownMisdecode{
	{XchgREXB, "0x90 with REX.B (49 90 xchg %rax,%r8, 41 90) runs as a NOP", "nop",
		"src/arch/x86/isa/decoder/one_byte_opcodes.isa (opcode 0x90 decoded as NOP whatever REX.B says)"},
	{XchgSameReg, "xchg of a register with itself (48 87 db xchg %rbx,%rbx) zeroes the register", "zeroes it",
		"src/arch/x86/isa/insts/general_purpose/data_transfer/xchg.py (XCHG_R_R swaps with three xors)"},
}

// knownAs is the known misdecode id names (its id alone for another).
func knownAs(id string) knownMisdecode {
	for _, k := range known {
		if k.id == id {
			return k
		}
	}
	return knownMisdecode{id: id, description: id, effect: id, source: id}
}

// Misdecodes are the known misdecodes, in the order reports list them.
func Misdecodes() []string {
	ids := make([]string, len(known))
	for i, k := range known {
		ids[i] = k.id
	}
	return ids
}

// MisdecodeDescription says what a known misdecode does, for reports.
func MisdecodeDescription(id string) string { return knownAs(id).description }

// Gem5Source is where gem5 goes wrong on a known misdecode.
func Gem5Source(id string) string { return knownAs(id).source }

// Gem5Sources is where gem5 goes wrong on each of the misdecodes ids.
func Gem5Sources(ids []string) string {
	var where []string
	for _, id := range ids {
		where = append(where, Gem5Source(id))
	}
	return strings.Join(where, "; ")
}

// ErrNotX86 says a file is not an x86-64 ELF program, so there is nothing to scan.
var ErrNotX86 = errors.New("not an x86-64 ELF program")

// Finding is one instruction of a program that gem5 decodes wrongly.
type Finding struct {
	Addr  uint64 // its virtual address
	Bytes []byte // its encoding
	Asm   string // what a real CPU executes, in GNU syntax
	Func  string // the Go function that holds it, when the program has Go's tables
	// Misdecode is the known misdecode (XchgREXB, XchgSameReg).
	Misdecode string
}

// String is the finding on one line.
func (f Finding) String() string {
	// A finding without its misdecode is of the first one known, as every
	// finding was before the field.
	effect := knownAs(cmp.Or(f.Misdecode, XchgREXB)).effect
	s := fmt.Sprintf("%#x % x %s (gem5: %s)", f.Addr, f.Bytes, f.Asm, effect)
	if f.Func != "" {
		s += " in " + f.Func
	}
	return s
}

// Report is what Scan found in one program.
type Report struct {
	GoVersion string    // the Go release that built it, if it is a Go program
	Findings  []Finding // the instructions gem5 misdecodes, in address order
	InData    int       // forms left out: they lie amid data in a code section, not code
}

// Summary says in one line what gem5 misdecodes in the program, beginning
// with the Go release that built it: "(built with go1.19.8) holds 2
// instruction(s) gem5 v24 misexecutes, first ...". It is "" when nothing
// was found.
func (r Report) Summary() string {
	if len(r.Findings) == 0 {
		return ""
	}
	built := ""
	if r.GoVersion != "" {
		built = "(built with " + r.GoVersion + ") "
	}
	return fmt.Sprintf("%sholds %d instruction(s) gem5 v24 misexecutes, first %s", built, len(r.Findings), r.Findings[0])
}

// Misdecodes are the known misdecodes of the report's findings, in
// Misdecodes' order.
func (r Report) Misdecodes() []string {
	var ids []string
	for _, id := range Misdecodes() {
		if slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Misdecode == id }) {
			ids = append(ids, id)
		}
	}
	return ids
}

// ScanFile scans the program at path.
func ScanFile(path string) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	r, err := Scan(f)
	if err != nil {
		return r, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Scan decodes the executable sections of an x86-64 ELF program and
// returns the instructions gem5 misdecodes.
func Scan(r io.ReaderAt) (Report, error) {
	f, err := elf.NewFile(r)
	if err != nil || f.Machine != elf.EM_X86_64 {
		return Report{}, ErrNotX86
	}
	defer f.Close()
	var rep Report
	var cands []*candidate
	if bi, err := buildinfo.Read(io.NewSectionReader(r, 0, 1<<62)); err == nil {
		rep.GoVersion = bi.GoVersion
	}
	for _, s := range f.Sections {
		if s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_EXECINSTR == 0 {
			continue
		}
		code, err := s.Data()
		if err != nil {
			return rep, fmt.Errorf("section %s: %w", s.Name, err)
		}
		cands = append(cands, scanCode(code, s.Addr)...)
	}
	if !hasCodeSections(f) {
		// No section headers (stripped of them, or made without): the
		// executable segments are the code.
		for _, p := range f.Progs {
			if p.Type != elf.PT_LOAD || p.Flags&elf.PF_X == 0 {
				continue
			}
			code, err := io.ReadAll(p.Open())
			if err != nil {
				return rep, fmt.Errorf("segment at %#x: %w", p.Vaddr, err)
			}
			addr := p.Vaddr
			if f.Entry > addr && f.Entry < addr+uint64(len(code)) {
				// What precedes the entry point (the headers, as a rule) is no code.
				code, addr = code[f.Entry-addr:], f.Entry
			}
			cands = append(cands, scanCode(code, addr)...)
		}
	}
	keepCode(f, &rep, cands)
	return rep, nil
}

// keepCode keeps the candidates that are code: the short XCHG in a Go
// function (Go's tables say so; Go's write barriers hold it) and those
// whose surroundings decode as code; the others are counted as data. An
// XCHG of a register with itself needs code around it in Go functions too:
// Go's compilers never emit it, and in Go's assembly a sweep that cannot
// decode VEX instructions (x86asm) comes upon one inside a jump's
// displacement.
func keepCode(f *elf.File, rep *Report, cands []*candidate) {
	fs := make([]Finding, len(cands))
	for i, c := range cands {
		fs[i] = c.Finding
	}
	nameFuncs(f, fs)
	for i, c := range cands {
		if c.data && (fs[i].Func == "" || c.Misdecode != XchgREXB) {
			rep.InData++
			continue
		}
		rep.Findings = append(rep.Findings, fs[i])
	}
}

// hasCodeSections says whether f has executable sections to scan.
func hasCodeSections(f *elf.File) bool {
	for _, s := range f.Sections {
		if s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0 {
			return true
		}
	}
	return false
}

// scanCode decodes code linearly (Go's and C compilers' text is
// instructions and padding) and returns the misdecoded forms, each marked
// when what surrounds it looks like data (plausible.go).
func scanCode(code []byte, addr uint64) []*candidate {
	if !hasCandidate(code) {
		return nil
	}
	var s sweep
	for i := 0; i < len(code); {
		inst, err := x86asm.Decode(code[i:], 64)
		if err != nil || inst.Len == 0 {
			s.step(true)
			i++
			continue
		}
		s.step(unlikelyCode(inst, code[i:i+inst.Len]))
		if id := misdecodeOf(code[i:i+inst.Len], inst); id != "" {
			s.add(Finding{
				Addr:      addr + uint64(i),
				Bytes:     bytes.Clone(code[i : i+inst.Len]),
				Asm:       x86asm.GNUSyntax(inst, addr+uint64(i), nil),
				Misdecode: id,
			})
		}
		i += inst.Len
	}
	return s.end()
}

// hasCandidate is a cheap pass: without a REX.B byte before 0x90, or an
// XCHG opcode before a ModRM byte naming one register twice, anywhere
// there is nothing to decode for.
func hasCandidate(code []byte) bool {
	for i := 1; i < len(code); i++ {
		if code[i] == 0x90 && isREXB(code[i-1]) || sameRegModRM(code[i]) && code[i-1]&0xfe == 0x86 {
			return true
		}
	}
	return false
}

// sameRegModRM tells a ModRM byte of two registers with one number.
func sameRegModRM(b byte) bool { return b>>6 == 3 && b>>3&7 == b&7 }

// misdecodeOf says which known misdecode an instruction is ("" for none).
func misdecodeOf(enc []byte, inst x86asm.Inst) string {
	switch {
	case isShortXchgREXB(enc, inst):
		return XchgREXB
	case isXchgSameReg(enc, inst):
		return XchgSameReg
	}
	return ""
}

// isXchgSameReg tells XCHG (86 /r, 87 /r) of a register with itself,
// which gem5 zeroes. The short forms (0x90+r) always name two registers.
func isXchgSameReg(enc []byte, inst x86asm.Inst) bool {
	if inst.Op != x86asm.XCHG || len(enc) < 2 || enc[len(enc)-2]&0xfe != 0x86 {
		return false
	}
	r0, ok0 := inst.Args[0].(x86asm.Reg)
	r1, ok1 := inst.Args[1].(x86asm.Reg)
	return ok0 && ok1 && r0 == r1
}

func isREXB(b byte) bool { return b&0xf1 == 0x41 }

// isShortXchgREXB tells the short XCHG with r8-r15 (REX.B, then 0x90),
// which gem5 executes as a NOP. With an F3 prefix CPUs treat it as PAUSE,
// as gem5 does, so that form is not a finding.
func isShortXchgREXB(enc []byte, inst x86asm.Inst) bool {
	n := len(enc)
	if n < 2 || enc[n-1] != 0x90 || !isREXB(enc[n-2]) {
		return false
	}
	return inst.Op == x86asm.XCHG && bytes.IndexByte(enc[:n-2], 0xf3) < 0
}

// Program is a program of a file system that holds findings.
type Program struct {
	Path string
	Report
}

// maxProgram bounds the programs ScanTar reads.
const maxProgram = 512 << 20

// ScanTar scans every regular file of a tar stream (an image's flattened
// layers, or a container's exported file system) that is an x86-64
// program, and returns those that hold findings.
func ScanTar(r io.Reader) ([]Program, error) {
	var out []Program
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if h.Typeflag != tar.TypeReg || h.Size < 64 || h.Size > maxProgram {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return out, fmt.Errorf("/%s: %w", h.Name, err)
		}
		if rep, err := Scan(bytes.NewReader(data)); err == nil && len(rep.Findings) > 0 {
			out = append(out, Program{Path: path.Clean("/" + h.Name), Report: rep})
		}
	}
}
