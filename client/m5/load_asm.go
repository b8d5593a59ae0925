//go:build amd64 || arm64

package m5

const supported = true

// load reads the 64-bit word at addr with a0 to a3 in gem5's argument
// registers (implemented in assembly).
//
//go:noescape
func load(addr uintptr, a0, a1, a2, a3 uint64) uint64
