#include "textflag.h"

// func load(addr uintptr, a0, a1, a2, a3 uint64) uint64
// gem5's x86 pseudo-instruction ABI reads arguments from rdi, rsi, rdx
// and rcx when the load from the m5 op region traps; the result comes
// back in rax.
TEXT ·load(SB), NOSPLIT, $0-48
	MOVQ addr+0(FP), R11
	MOVQ a0+8(FP), DI
	MOVQ a1+16(FP), SI
	MOVQ a2+24(FP), DX
	MOVQ a3+32(FP), CX
	MOVQ (R11), AX
	MOVQ AX, ret+40(FP)
	RET
