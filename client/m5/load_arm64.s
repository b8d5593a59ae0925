#include "textflag.h"

// func load(addr uintptr, a0, a1, a2, a3 uint64) uint64
// gem5's aarch64 pseudo-instruction ABI reads arguments from x0 to x3
// when the load from the m5 op region traps; the result comes back in x0.
TEXT ·load(SB), NOSPLIT, $0-48
	MOVD addr+0(FP), R9
	MOVD a0+8(FP), R0
	MOVD a1+16(FP), R1
	MOVD a2+24(FP), R2
	MOVD a3+32(FP), R3
	MOVD (R9), R0
	MOVD R0, ret+40(FP)
	RET
