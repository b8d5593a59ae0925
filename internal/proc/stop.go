package proc

import (
	"errors"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Grace is how long a process group gets after SIGINT and after SIGTERM
// before the next, harder signal.
type Grace struct {
	Interrupt time.Duration `json:"interrupt,omitempty"` // wait after SIGINT before SIGTERM
	Terminate time.Duration `json:"terminate,omitempty"` // wait after SIGTERM before SIGKILL
}

// DefaultGrace fits inside the five seconds Mage waits after Ctrl-C.
var DefaultGrace = Grace{Interrupt: 1500 * time.Millisecond, Terminate: 1500 * time.Millisecond}

// AtLeast returns g with each wait raised to other's where other's is
// longer.
func (g Grace) AtLeast(other Grace) Grace {
	return Grace{Interrupt: max(g.Interrupt, other.Interrupt), Terminate: max(g.Terminate, other.Terminate)}
}

// Within returns a Grace whose whole escalation fits in d.
func Within(d time.Duration) Grace {
	step := d / 3
	if step < 20*time.Millisecond {
		step = 20 * time.Millisecond
	}
	g := DefaultGrace
	if step < g.Interrupt {
		g = Grace{Interrupt: step, Terminate: step}
	}
	return g
}

// Group is a process group started by this tool.
type Group struct {
	PGID int
	SID  int // the session the group lives in; 0 matches any
}

// Alive reports whether any non-zombie member of the group is left.
func (g Group) Alive() bool {
	if g.PGID <= 1 {
		return false
	}
	if err := syscall.Kill(-g.PGID, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	return len(GroupMembers(g.PGID, g.SID)) > 0
}

// Stop ends every process in the group: SIGINT, then SIGTERM after
// grace.Interrupt, then SIGKILL after grace.Terminate. It returns the last
// signal it had to send (0 when the group was already gone).
func (g Group) Stop(grace Grace) syscall.Signal {
	steps := []struct {
		sig  syscall.Signal
		wait time.Duration
	}{
		{syscall.SIGINT, grace.Interrupt},
		{syscall.SIGTERM, grace.Terminate},
		{syscall.SIGKILL, time.Second},
	}
	var sent syscall.Signal
	for _, s := range steps {
		if !g.Alive() {
			return sent
		}
		g.signal(s.sig)
		sent = s.sig
		if g.waitGone(s.wait) {
			return sent
		}
	}
	return sent
}

// signal sends sig to every member of the group. A signal to the group id
// reaches all members at once; members are also signalled one by one in case
// the group id test fails for a member that changed its group.
func (g Group) signal(sig syscall.Signal) {
	_ = syscall.Kill(-g.PGID, sig)
	// A stopped process (SIGSTOP, Ctrl-Z) does not act on SIGINT or SIGTERM
	// until continued.
	if sig != syscall.SIGKILL {
		_ = syscall.Kill(-g.PGID, syscall.SIGCONT)
	}
}

// waitGone polls until the group is gone or d has passed.
func (g Group) waitGone(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if !g.Alive() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// DieWithParent asks the kernel for SIGTERM when this process's parent
// dies (a wrapper that started it), so killing the wrapper stops this
// process and, through its signal handling, what it started.
func DieWithParent() {
	ppid := os.Getppid()
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0, 0, 0); err != nil {
		return
	}
	if os.Getppid() != ppid { // the parent died before the request took effect
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}
