// Package qemu boots guests: it builds qemu's command line from a Machine,
// runs it as a registered process group, copies the serial console to a
// log, enforces a time limit and says how the guest ended. It also finds
// out, by a real boot, whether KVM works.
package qemu

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// Disk is a drive attached to the guest.
type Disk struct {
	Path     string
	Format   string // raw or qcow2 (default: from the file name)
	Snapshot bool   // writes go to a temporary overlay and are dropped
	CDROM    bool   // an ISO image as a CD-ROM
}

// Machine describes one guest boot.
type Machine struct {
	Arch      string // amd64 or arm64
	Kernel    string // vmlinux, bzImage or Image
	Initrd    string
	Append    string // kernel command line
	Disks     []Disk
	MemoryMiB int64
	CPUs      int
	Accel     string // kvm or tcg
	CPU       string // -cpu model; default host (KVM) or max (TCG)
	Network   bool   // user-mode networking: the host is 10.0.2.2
	// Interactive attaches the terminal to the serial console.
	Interactive bool
	Extra       []string
}

// Binary returns the qemu executable for the guest architecture.
func (m Machine) Binary() string {
	if m.Arch == "arm64" {
		return "qemu-system-aarch64"
	}
	return "qemu-system-x86_64"
}

// Console is the serial console device name the guest kernel writes to.
func Console(arch string) string {
	if arch == "arm64" {
		return "ttyAMA0"
	}
	return "ttyS0"
}

// Args returns qemu's arguments (without the binary).
func (m Machine) Args() []string {
	mem := m.MemoryMiB
	if mem <= 0 {
		mem = 2048
	}
	cpus := max(m.CPUs, 1)
	cpu := m.CPU
	if cpu == "" {
		cpu = "max"
		if m.Accel == "kvm" {
			cpu = "host"
		} else if m.Arch == "arm64" {
			cpu = "cortex-a72"
		}
	}
	var a []string
	if m.Arch == "arm64" {
		a = append(a, "-machine", "virt")
	} else {
		a = append(a, "-machine", "pc")
	}
	a = append(a, "-accel", cmp.Or(m.Accel, "tcg"), "-cpu", cpu,
		"-m", strconv.FormatInt(mem, 10), "-smp", strconv.Itoa(cpus),
		"-display", "none", "-no-reboot")
	if m.Interactive {
		a = append(a, "-serial", "mon:stdio")
	} else {
		a = append(a, "-serial", "stdio", "-monitor", "none")
	}
	if m.Kernel != "" {
		a = append(a, "-kernel", m.Kernel)
		app := m.Append
		if !strings.Contains(app, "console=") {
			app = strings.TrimSpace("console=" + Console(m.Arch) + " " + app)
		}
		if !strings.Contains(app, "panic=") {
			app += " panic=-1" // a panic reboots, and -no-reboot ends qemu
		}
		a = append(a, "-append", app)
	}
	if m.Initrd != "" {
		a = append(a, "-initrd", m.Initrd)
	}
	for i, d := range m.Disks {
		if d.CDROM {
			a = append(a, "-drive", fmt.Sprintf("file=%s,media=cdrom,readonly=on,if=none,id=cd%d", d.Path, i))
			a = append(a, cdromDevice(m.Arch, i)...)
			continue
		}
		format := cmp.Or(d.Format, FormatOf(d.Path))
		spec := fmt.Sprintf("file=%s,format=%s,if=virtio", d.Path, format)
		if d.Snapshot {
			spec += ",snapshot=on"
		}
		a = append(a, "-drive", spec)
	}
	if m.Network {
		a = append(a, "-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0")
	}
	return append(a, m.Extra...)
}

// FormatOf is a disk image's format as its name tells: qcow2 for .qcow2,
// else raw.
func FormatOf(path string) string {
	if strings.HasSuffix(path, ".qcow2") {
		return "qcow2"
	}
	return "raw"
}

func cdromDevice(arch string, i int) []string {
	if arch == "arm64" {
		return []string{"-device", fmt.Sprintf("virtio-scsi-pci,id=scsi%d", i),
			"-device", fmt.Sprintf("scsi-cd,drive=cd%d,bus=scsi%d.0", i, i)}
	}
	return []string{"-device", fmt.Sprintf("ide-cd,drive=cd%d", i)}
}

// Commander makes registered commands; *engine.Job is one.
type Commander interface {
	Command(name string, args ...string) *proc.Cmd
}

// Unregistered is a Commander for boots outside a rule (an interactive
// console, a test): process groups of their own, in no registry.
type Unregistered struct{}

// Command returns proc.Command(name, args...).
func (Unregistered) Command(name string, args ...string) *proc.Cmd {
	return proc.Command(name, args...)
}

// Outcome is how a boot ended.
type Outcome struct {
	Ended   string        // poweroff, panic, timeout, interrupted, killed or failed
	Elapsed time.Duration // wall time of the boot
	Tail    string        // the end of the console output
}

// Run boots m and waits until the guest powers off, panics, or the time
// limit passes. The serial console goes to console. A guest that did not
// power off cleanly is an error that says how it ended.
func Run(ctx context.Context, c Commander, m Machine, console io.Writer, limit time.Duration) (Outcome, error) {
	// The machine's own files first: they are the caller's to fix.
	for _, p := range []string{m.Kernel, m.Initrd} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return Outcome{Ended: "failed"}, fmt.Errorf("guest boot: %w", err)
		}
	}
	if err := apt.Need(m.Binary()); err != nil {
		return Outcome{Ended: "failed"}, err
	}
	runCtx := ctx
	var cancel context.CancelFunc
	if limit > 0 {
		runCtx, cancel = context.WithTimeoutCause(ctx, limit, fmt.Errorf("guest did not finish within %v", limit))
		defer cancel()
	}
	tail := &tailBuffer{max: 64 << 10}
	cmd := c.Command(m.Binary(), m.Args()...)
	cmd.Kind = "qemu"
	if m.Interactive {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.Foreground = true
	} else {
		w := io.MultiWriter(console, tail)
		cmd.Stdout, cmd.Stderr = w, w
	}
	fmt.Fprintf(console, "$ %s\n", cmd.String())
	start := time.Now()
	err := cmd.Run(runCtx)
	out := Outcome{Elapsed: time.Since(start), Tail: tail.String()}
	var ke *proc.KilledError
	switch {
	case errors.As(err, &ke):
		out.Ended = "killed"
		return out, err
	case ctx.Err() != nil:
		out.Ended = "interrupted"
		return out, err
	case runCtx.Err() != nil:
		out.Ended = "timeout"
		return out, fmt.Errorf("%w; console ends with:\n%s", context.Cause(runCtx), lastLines(out.Tail, 15))
	case err != nil:
		out.Ended = "failed"
		return out, fmt.Errorf("qemu: %w; console ends with:\n%s", err, lastLines(out.Tail, 15))
	}
	if p := panicLine.FindString(out.Tail); p != "" {
		out.Ended = "panic"
		return out, fmt.Errorf(
			"guest kernel panicked: %s; console ends with:\n%s",
			strings.TrimSpace(p),
			lastLines(out.Tail, 15),
		)
	}
	out.Ended = "poweroff"
	return out, nil
}

var panicLine = regexp.MustCompile(`Kernel panic - not syncing:[^\n]*`)

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// oneLine joins the non-empty lines of s with "; ".
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append([]byte(nil), t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.ReplaceAll(t.b, []byte("\r\n"), []byte("\n")))
}

// HostArch is the architecture of this machine in the tool's terms.
func HostArch() string {
	b, err := os.ReadFile("/proc/sys/kernel/arch")
	if err == nil && strings.TrimSpace(string(b)) == "aarch64" {
		return "arm64"
	}
	return "amd64"
}

// ProbeKVM finds out whether KVM can run a guest here: /dev/kvm must open
// and a boot of kernel under KVM must reach the kernel's command line and
// end (it panics for want of a root disk) within limit. A device file alone
// proves nothing: nested or paravirtual hosts expose one that cannot run
// guests. It returns whether KVM works and why not.
func ProbeKVM(ctx context.Context, c Commander, arch, kernel string, limit time.Duration) (bool, string) {
	if arch != HostArch() {
		return false, fmt.Sprintf("the guest is %s and this host is %s", arch, HostArch())
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return false, fmt.Sprintf("cannot open /dev/kvm: %v", err)
	}
	f.Close()
	m := Machine{Arch: arch, Kernel: kernel, Append: "vswarmu.kvmprobe", MemoryMiB: 256, CPUs: 1, Accel: "kvm"}
	var console bytes.Buffer
	out, err := Run(ctx, c, m, &console, limit)
	text := console.String()
	switch {
	case strings.Contains(text, "KVM internal error"):
		return false, "the probe boot stopped with a KVM internal error"
	case !strings.Contains(text, "Kernel command line:"):
		if out.Ended == "timeout" {
			return false, fmt.Sprintf("the probe boot printed nothing within %v", limit)
		}
		return false, "the probe boot failed before the kernel started: " + oneLine(lastLines(out.Tail, 3))
	case out.Ended == "panic" || err == nil:
		return true, ""
	}
	return false, fmt.Sprintf("the probe boot did not finish (%s)", out.Ended)
}

// ProbeCache remembers a probe's answer for one boot of this machine, one
// qemu and one kernel, in a small file.
type ProbeCache struct{ Path string }

func (p ProbeCache) key(arch, kernel string) string {
	k := proc.BootID() + " " + arch
	for _, f := range []string{kernel, lookPath(Machine{Arch: arch}.Binary())} {
		if fi, err := os.Stat(f); err == nil {
			k += fmt.Sprintf(" %s@%d", f, fi.ModTime().UnixNano())
		}
	}
	return k
}

func lookPath(name string) string {
	p, _ := exec.LookPath(name)
	return p
}

// Get returns a remembered answer.
func (p ProbeCache) Get(arch, kernel string) (ok bool, why string, found bool) {
	b, err := os.ReadFile(p.Path)
	if err != nil {
		return false, "", false
	}
	key, rest, _ := strings.Cut(string(b), "\n")
	if key != p.key(arch, kernel) {
		return false, "", false
	}
	verdict, why, _ := strings.Cut(strings.TrimSpace(rest), " ")
	return verdict == "kvm", why, true
}

// Put remembers an answer.
func (p ProbeCache) Put(arch, kernel string, ok bool, why string) error {
	verdict := "tcg"
	if ok {
		verdict = "kvm"
	}
	if err := os.MkdirAll(filepath.Dir(p.Path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p.Path, []byte(p.key(arch, kernel)+"\n"+verdict+" "+why+"\n"), 0o644)
}

// Accelerator decides, once, how qemu runs guests: "kvm" or "tcg" as
// asked, a -cpu model with TCG, or for "auto" KVM only when a probe boot
// of Kernel proves it works here (remembered in Cache per kernel). Say is
// told the choice of an auto decision.
type Accelerator struct {
	Choice string // auto, kvm, tcg, or a -cpu model for TCG
	Arch   string
	Kernel string
	Cache  ProbeCache
	Say    func(usable bool, why string)

	once       sync.Once
	accel, cpu string
}

// Resolve returns qemu's -accel and -cpu (the first call decides).
func (a *Accelerator) Resolve(ctx context.Context, c Commander) (accel, cpu string) {
	a.once.Do(func() {
		switch a.Choice {
		case "kvm", "tcg":
			a.accel = a.Choice
		case "auto", "":
			ok, why, found := a.Cache.Get(a.Arch, a.Kernel)
			if !found {
				ok, why = ProbeKVM(ctx, c, a.Arch, a.Kernel, 30*time.Second)
				_ = a.Cache.Put(a.Arch, a.Kernel, ok, why)
			}
			a.accel = map[bool]string{true: "kvm", false: "tcg"}[ok]
			if a.Say != nil {
				a.Say(ok, why)
			}
		default:
			a.accel, a.cpu = "tcg", a.Choice
		}
	})
	return a.accel, a.cpu
}
