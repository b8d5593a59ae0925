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
	OpCheckpoint     = 0x43
	OpWriteFile      = 0x4f
	OpReadFile       = 0x50
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
	// trap issues one op; nil means the load from mem (gem5). Tests put
	// an emulation of gem5's side here.
	trap Trap
}

// Trap is gem5's side of an op, for emulations: the op, its four
// arguments, and the guest buffer the first argument points to (readfile
// and writefile), or nil.
type Trap func(op int, args [4]uint64, buf []byte) uint64

// Emulated returns Ops that go to trap instead of gem5: tests of m5's
// users emulate gem5 with it.
func Emulated(trap Trap) *Ops { return &Ops{enabled: true, trap: trap} }

// Disabled returns Ops that do nothing, saying why.
func Disabled(why string) *Ops { return &Ops{why: why} }

// Open maps gem5's m5 op region from /dev/mem. When that cannot work (not
// root, not in gem5, no /dev/mem) it returns Ops that do nothing and writes
// one warning to warn.
func Open(warn io.Writer) *Ops {
	o, err := OpenAt(Base(runtime.GOARCH))
	if err != nil {
		fmt.Fprintf(warn, "warning: m5 ops disabled: %v; the run continues without them\n", err)
		return Disabled(err.Error())
	}
	return o
}

// OpenAt maps the m5 op region at base from /dev/mem, or says why it
// cannot.
func OpenAt(base uintptr) (*Ops, error) {
	if !supported {
		return nil, fmt.Errorf("no m5 op support for %s", runtime.GOARCH)
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("not root (mapping /dev/mem needs root)")
	}
	if inVM() {
		return nil, fmt.Errorf("this machine runs under a hypervisor, not gem5")
	}
	f, err := os.OpenFile("/dev/mem", os.O_RDWR|os.O_SYNC, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open /dev/mem: %w", err)
	}
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), int64(base), MapSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("cannot map the m5 op region at %#x from /dev/mem: %w", base, err)
	}
	return &Ops{mem: mem, enabled: true}, nil
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
func (o *Ops) call(op int, a0, a1 uint64) uint64 { return o.callBuf(op, nil, a0, a1, 0, 0) }

// callBuf issues op with four arguments, the first of which points at buf
// when buf is not nil.
func (o *Ops) callBuf(op int, buf []byte, a0, a1, a2, a3 uint64) uint64 {
	if !o.enabled {
		return 0
	}
	if o.trap != nil {
		return o.trap(op, [4]uint64{a0, a1, a2, a3}, buf)
	}
	return load(uintptr(unsafe.Pointer(&o.mem[0]))+Offset(op), a0, a1, a2, a3)
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

// Checkpoint asks gem5 for a checkpoint after delay, every period.
func (o *Ops) Checkpoint(delay, period uint64) { o.call(OpCheckpoint, delay, period) }

// chunk is how much one read or write op moves (gem5's m5 utility uses
// the same size).
const chunk = 256 << 10

// pageSize is the smallest page a guest kernel maps.
const pageSize = 4096

// touched returns a buffer whose every page is mapped: gem5 writes into
// guest memory through the page table and cannot fault a page in, so a
// page Linux has not mapped yet (it maps on demand) would be lost.
func touched(n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += pageSize {
		b[i] = 1
		b[i] = 0
	}
	return b
}

// ReadFile copies the file the simulation hands to the guest (gem5's
// readfile, the run script) to w and returns its size.
func (o *Ops) ReadFile(w io.Writer) (int64, error) {
	if !o.enabled {
		return 0, fmt.Errorf("m5 ops disabled: %s", o.why)
	}
	buf := touched(chunk)
	var off int64
	for {
		n := int64(o.callBuf(OpReadFile, buf, uint64(uintptr(unsafe.Pointer(&buf[0]))), uint64(len(buf)), uint64(off), 0))
		runtime.KeepAlive(buf)
		if n <= 0 || n > int64(len(buf)) {
			return off, nil
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return off, err
		}
		off += n
	}
}

// WriteFile copies r to the file name in gem5's output directory (gem5's
// writefile) and returns how many bytes gem5 took.
func (o *Ops) WriteFile(r io.Reader, name string) (int64, error) {
	if !o.enabled {
		return 0, fmt.Errorf("m5 ops disabled: %s", o.why)
	}
	cname := append([]byte(name), 0)
	buf := touched(chunk)
	var off int64
	for {
		n, err := io.ReadFull(r, buf)
		for p := 0; p < n; {
			got := int(o.callBuf(OpWriteFile, buf[p:n], uint64(uintptr(unsafe.Pointer(&buf[p]))), uint64(n-p), uint64(off),
				uint64(uintptr(unsafe.Pointer(&cname[0])))))
			runtime.KeepAlive(cname)
			if got <= 0 {
				return off, fmt.Errorf("gem5 took no bytes of %s at offset %d", name, off)
			}
			p += got
			off += int64(got)
		}
		runtime.KeepAlive(buf)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return off, nil
		case err != nil:
			return off, err
		}
	}
}
