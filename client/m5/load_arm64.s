#include "textflag.h"

// func load(addr uintptr, a0, a1 uint64) uint64
// gem5's aarch64 pseudo-instruction ABI reads arguments from x0 and x1
// when the load from the m5 op region traps; the result comes back in x0.
TEXT ·load(SB), NOSPLIT, $0-32
	MOVD addr+0(FP), R9
	MOVD a0+8(FP), R0
	MOVD a1+16(FP), R1
	MOVD (R9), R0
	MOVD R0, ret+24(FP)
	RET
