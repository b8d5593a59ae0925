package misdecode

import "golang.org/x/arch/x86/x86asm"

// Code sections hold data too: constant tables that compilers and
// hand-written assembly (OpenSSL's, for one) place between functions. A
// linear sweep decodes them as instructions, and a REX.B byte before 0x90
// in a table is no instruction anyone executes. A candidate counts when the
// instructions around it look like code: they decode, and none is one that
// user-space programs never execute (privileged, port I/O, far transfers)
// or compilers never emit (moves of segment registers, LOOP, ENTER, RET
// with an immediate, an ES, CS, SS or DS override outside a NOP, and 00 00,
// "add %al,(%rax)", which is what zeroed data decodes as).

// context is how many instructions on each side of a candidate must look
// like code.
const context = 8

// userInvalid are instructions a user-space program does not execute.
var userInvalid = map[x86asm.Op]bool{
	x86asm.HLT: true, x86asm.IN: true, x86asm.OUT: true, x86asm.INSB: true, x86asm.INSW: true,
	x86asm.INSD: true, x86asm.OUTSB: true, x86asm.OUTSW: true, x86asm.OUTSD: true, x86asm.CLI: true,
	x86asm.STI: true, x86asm.CLTS: true, x86asm.IRET: true, x86asm.IRETD: true, x86asm.IRETQ: true,
	x86asm.LRET: true, x86asm.LJMP: true, x86asm.LCALL: true, x86asm.LGDT: true, x86asm.LIDT: true,
	x86asm.LLDT: true, x86asm.LTR: true, x86asm.LMSW: true, x86asm.INVD: true, x86asm.INVLPG: true,
	x86asm.WBINVD: true, x86asm.RDMSR: true, x86asm.WRMSR: true, x86asm.SWAPGS: true,
	x86asm.SYSRET: true, x86asm.SYSEXIT: true, x86asm.LOOP: true, x86asm.LOOPE: true, x86asm.LOOPNE: true,
	x86asm.ENTER: true,
}

// unlikelyCode says whether inst (encoded as enc) is one user-space code
// does not hold.
func unlikelyCode(inst x86asm.Inst, enc []byte) bool {
	if userInvalid[inst.Op] || len(enc) == 2 && enc[0] == 0 && enc[1] == 0 || legacySegment(inst) {
		return true
	}
	if inst.Op == x86asm.RET && inst.Args[0] != nil { // ret $n: 32-bit stdcall, not x86-64
		return true
	}
	if inst.Op == x86asm.MOV {
		for _, a := range inst.Args {
			if r, ok := a.(x86asm.Reg); ok && r >= x86asm.ES && r <= x86asm.GS {
				return true
			}
		}
	}
	return false
}

// candidate is a misdecoded form found by the sweep, with whether its
// surroundings look like data.
type candidate struct {
	Finding
	data  bool
	after int // instructions still to see after it
}

// sweep keeps the last instructions' verdicts and the candidates whose
// following instructions are still to come.
type sweep struct {
	recent  [context]bool // whether each of the last instructions looked like data
	n       int
	pending []*candidate
	done    []*candidate
}

// step records one decoded instruction (or an undecodable byte: bad).
func (s *sweep) step(bad bool) {
	keep := s.pending[:0]
	for _, c := range s.pending {
		c.data = c.data || bad
		if c.after--; c.after == 0 {
			s.done = append(s.done, c)
		} else {
			keep = append(keep, c)
		}
	}
	s.pending = keep
	s.recent[s.n%context] = bad
	s.n++
}

// add starts a candidate at the current place of the sweep.
func (s *sweep) add(f Finding) {
	c := &candidate{Finding: f, after: context}
	for _, b := range s.recent {
		c.data = c.data || b
	}
	s.pending = append(s.pending, c)
}

// end closes the sweep (a section's end counts as code) and returns the
// candidates in address order.
func (s *sweep) end() []*candidate {
	return append(s.done, s.pending...)
}

// legacySegment tells an instruction with an ES, CS, SS or DS override,
// which 64-bit code has no use for (FS and GS address thread data), except
// the CS-prefixed NOPs compilers pad with.
func legacySegment(inst x86asm.Inst) bool {
	if inst.Op == x86asm.NOP {
		return false
	}
	for _, p := range inst.Prefix {
		switch p &^ (x86asm.PrefixImplicit | x86asm.PrefixIgnored | x86asm.PrefixInvalid) {
		case x86asm.PrefixES, x86asm.PrefixCS, x86asm.PrefixSS, x86asm.PrefixDS:
			return true
		}
	}
	return false
}
