// Package m5 issues gem5's m5 ops from Go through gem5's memory-mapped
// interface: a load from base + op<<8, with the op's arguments in the
// registers gem5 reads (rdi, rsi on x86-64; x0, x1 on arm64). The load is
// done by a small assembly stub, so no cgo is needed and the client stays
// statically linked.
package m5

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"
)

// Op numbers (gem5's include/gem5/asm/generic/m5ops.h).
const (
	OpExit           = 0x21
	OpFail           = 0x22
	OpResetStats     = 0x40
	OpDumpStats      = 0x41
	OpDumpResetStats = 0x42
	OpWorkBegin      = 0x5a
	OpWorkEnd        = 0x5b
	OpWorkload       = 0x70
)

// MapSize is the size of gem5's m5 op region.
const MapSize = 0x10000

// Base is where gem5 maps the m5 op region for an architecture: the
// address the simulated system's m5ops_base names.
func Base(goarch string) uintptr {
	if goarch == "arm64" {
		return 0x10010000
	}
	return 0xffff0000
}

// Offset is where in the region an op's access goes.
func Offset(op int) uintptr { return uintptr(op) << 8 }

// Ops issues m5 ops; a disabled Ops does nothing.
type Ops struct {
	mem     []byte
	enabled bool
	why     string
}

// Disabled returns Ops that do nothing, saying why.
func Disabled(why string) *Ops { return &Ops{why: why} }

// Open maps gem5's m5 op region from /dev/mem. When that cannot work (not
// root, not in gem5, no /dev/mem) it returns Ops that do nothing and writes
// one warning to warn.
func Open(warn io.Writer) *Ops {
	o := open()
	if !o.enabled {
		fmt.Fprintf(warn, "warning: m5 ops disabled: %s; the run continues without them\n", o.why)
	}
	return o
}

func open() *Ops {
	if !supported {
		return Disabled("no m5 op support for " + runtime.GOARCH)
	}
	if os.Geteuid() != 0 {
		return Disabled("not root (mapping /dev/mem needs root)")
	}
	if inVM() {
		return Disabled("this machine runs under a hypervisor, not gem5")
	}
	f, err := os.OpenFile("/dev/mem", os.O_RDWR|os.O_SYNC, 0)
	if err != nil {
		return Disabled(fmt.Sprintf("cannot open /dev/mem: %v", err))
	}
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), int64(Base(runtime.GOARCH)), MapSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return Disabled(fmt.Sprintf("cannot map the m5 op region at %#x from /dev/mem: %v", Base(runtime.GOARCH), err))
	}
	return &Ops{mem: mem, enabled: true}
}

// inVM reports whether the CPU says it runs under a hypervisor (qemu, KVM
// guests); gem5's CPUs do not.
func inVM() bool {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "flags") && strings.Contains(" "+l+" ", " hypervisor ") {
			return true
		}
	}
	return false
}

// Enabled reports whether ops reach gem5.
func (o *Ops) Enabled() bool { return o.enabled }

// Why says why ops are disabled.
func (o *Ops) Why() string { return o.why }

// Close unmaps the region.
func (o *Ops) Close() error {
	if !o.enabled {
		return nil
	}
	o.enabled = false
	return syscall.Munmap(o.mem)
}

// call issues op with two arguments.
func (o *Ops) call(op int, a0, a1 uint64) uint64 {
	if !o.enabled {
		return 0
	}
	return load(uintptr(unsafe.Pointer(&o.mem[0]))+Offset(op), a0, a1)
}

// Exit ends the simulation after delay ticks.
func (o *Ops) Exit(delay uint64) { o.call(OpExit, delay, 0) }

// Fail reports code to the simulation script (vSwarm-u's protocol).
func (o *Ops) Fail(delay, code uint64) { o.call(OpFail, delay, code) }

// WorkBegin marks the start of work item id on thread.
func (o *Ops) WorkBegin(id, thread uint64) { o.call(OpWorkBegin, id, thread) }

// WorkEnd marks the end of work item id on thread.
func (o *Ops) WorkEnd(id, thread uint64) { o.call(OpWorkEnd, id, thread) }

// ResetStats resets gem5's statistics after delay, every period.
func (o *Ops) ResetStats(delay, period uint64) { o.call(OpResetStats, delay, period) }

// DumpStats dumps gem5's statistics after delay, every period.
func (o *Ops) DumpStats(delay, period uint64) { o.call(OpDumpStats, delay, period) }

// DumpResetStats dumps and resets gem5's statistics.
func (o *Ops) DumpResetStats(delay, period uint64) { o.call(OpDumpResetStats, delay, period) }
