#include "textflag.h"

// Each function loads a into rAX and b into the other register, runs one
// encoding of XCHG (given as bytes, so the assembler cannot pick another
// form), and returns rAX and the other register.

TEXT ·xchg4990(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), R8
	BYTE $0x49; BYTE $0x90
	MOVQ AX, ret+16(FP)
	MOVQ R8, ret1+24(FP)
	RET

TEXT ·xchg4190(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), R8
	BYTE $0x41; BYTE $0x90
	MOVQ AX, ret+16(FP)
	MOVQ R8, ret1+24(FP)
	RET

TEXT ·xchg4991(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), R9
	BYTE $0x49; BYTE $0x91
	MOVQ AX, ret+16(FP)
	MOVQ R9, ret1+24(FP)
	RET

TEXT ·xchg4891(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), CX
	BYTE $0x48; BYTE $0x91
	MOVQ AX, ret+16(FP)
	MOVQ CX, ret1+24(FP)
	RET

TEXT ·xchg4c87(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), AX
	MOVQ b+8(FP), R8
	BYTE $0x4c; BYTE $0x87; BYTE $0xc0
	MOVQ AX, ret+16(FP)
	MOVQ R8, ret1+24(FP)
	RET
