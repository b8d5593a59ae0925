//go:build !amd64 && !arm64

package m5

const supported = false

func load(addr uintptr, a0, a1, a2, a3 uint64) uint64 { return 0 }
