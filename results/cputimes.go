package results

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CPULine starts the console lines of the guest's CPU times, which a
// setup's run script prints at its start and before its client starts:
// "VSWARMU-CPU <label> <a line of /proc/stat or /proc/<pid>/stat>".
const CPULine = "VSWARMU-CPU"

// CPUSnapshot is the guest's CPU time accounting at one point of a run
// script, in USER_HZ ticks (1/100 s of guest time): per CPU from
// /proc/stat, per process from its /proc/<pid>/stat.
type CPUSnapshot struct {
	Label string
	CPUs  map[string]CPUTime // "cpu0", "cpu1"
	Procs map[int]ProcTime
}

// CPUTime is one CPU's ticks by what it ran.
type CPUTime struct {
	User, System, Idle, IRQ, SoftIRQ uint64
}

// ProcTime is one process's ticks: its own and those of the children it
// waited for (a finished runc's are its shim's).
type ProcTime struct {
	PID                                        int
	Comm                                       string
	User, System, ChildrenUser, ChildrenSystem uint64
}

// Ticks is the process's own ticks and its waited-for children's.
func (p ProcTime) Ticks() uint64 {
	return p.User + p.System + p.ChildrenUser + p.ChildrenSystem
}

// ReadCPUTimes reads the snapshots a run's console holds, in order.
func ReadCPUTimes(dir string) ([]CPUSnapshot, error) {
	for _, name := range ConsoleFiles {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		defer f.Close()
		return ParseCPUTimes(f)
	}
	return nil, fmt.Errorf("%s: no console file (%s)", dir, strings.Join(ConsoleFiles[:], ", "))
}

// ParseCPUTimes reads the snapshots among a console's lines; a line it
// cannot read is an error naming it.
func ParseCPUTimes(r io.Reader) ([]CPUSnapshot, error) {
	var out []CPUSnapshot
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for n := 1; sc.Scan(); n++ {
		_, rest, ok := strings.Cut(sc.Text(), CPULine+" ")
		if !ok {
			continue
		}
		label, line, _ := strings.Cut(strings.TrimSpace(rest), " ")
		if len(out) == 0 || out[len(out)-1].Label != label {
			out = append(out, CPUSnapshot{Label: label, CPUs: map[string]CPUTime{}, Procs: map[int]ProcTime{}})
		}
		if err := out[len(out)-1].add(line); err != nil {
			return out, fmt.Errorf("console line %d: %w", n, err)
		}
	}
	return out, sc.Err()
}

// add reads one line of /proc/stat ("cpu0 ...", other lines ignored) or of
// /proc/<pid>/stat into the snapshot.
func (s *CPUSnapshot) add(line string) error {
	if strings.HasPrefix(line, "cpu") {
		f := strings.Fields(line)
		v, err := uints(f[1:], 7)
		if err != nil || f[0] == "cpu" {
			return err // the all-CPU line repeats the others
		}
		s.CPUs[f[0]] = CPUTime{User: v[0] + v[1], System: v[2], Idle: v[3] + v[4], IRQ: v[5], SoftIRQ: v[6]}
		return nil
	}
	if line == "" || line[0] < '0' || line[0] > '9' {
		return nil // another line of /proc/stat
	}
	open, end := strings.IndexByte(line, '('), strings.LastIndexByte(line, ')')
	if open < 0 || end < open {
		return fmt.Errorf("%s: not a /proc/<pid>/stat line: %q", CPULine, line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return fmt.Errorf("%s: pid of %q: %w", CPULine, line, err)
	}
	// After the comm come the state (field 3) ... utime (field 14): the
	// twelfth, then stime, cutime and cstime.
	after := strings.Fields(line[end+1:])
	v, err := uints(after[min(11, len(after)):], 4)
	if err != nil {
		return fmt.Errorf("%s: process %d: %w", CPULine, pid, err)
	}
	s.Procs[pid] = ProcTime{PID: pid, Comm: line[open+1 : end], User: v[0], System: v[1], ChildrenUser: v[2], ChildrenSystem: v[3]}
	return nil
}

// uints parses the first n fields as unsigned integers.
func uints(fields []string, n int) ([]uint64, error) {
	if len(fields) < n {
		return nil, fmt.Errorf("%d fields, want at least %d", len(fields), n)
	}
	out := make([]uint64, n)
	for i := range out {
		v, err := strconv.ParseUint(fields[i], 10, 64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Share is what one program (processes of one name) took between two
// snapshots, in ticks.
type Share struct {
	Comm      string
	Processes int
	Ticks     uint64
}

// Since is what each program took between an earlier snapshot and s (a
// process new in s counts from zero), largest first.
func (s CPUSnapshot) Since(earlier CPUSnapshot) []Share {
	by := map[string]*Share{}
	for pid, p := range s.Procs {
		t := p.Ticks()
		if e, ok := earlier.Procs[pid]; ok && e.Comm == p.Comm {
			t -= min(t, e.Ticks())
		}
		if t == 0 {
			continue
		}
		sh := by[p.Comm]
		if sh == nil {
			sh = &Share{Comm: p.Comm}
			by[p.Comm] = sh
		}
		sh.Processes++
		sh.Ticks += t
	}
	out := make([]Share, 0, len(by))
	for _, sh := range by {
		out = append(out, *sh)
	}
	slices.SortFunc(out, func(a, b Share) int { return cmp.Or(cmp.Compare(b.Ticks, a.Ticks), cmp.Compare(a.Comm, b.Comm)) })
	return out
}

// Busy is the ticks the CPUs spent on anything but idling between an
// earlier snapshot and s, and of those the kernel's (system, interrupts).
func (s CPUSnapshot) Busy(earlier CPUSnapshot) (busy, kernel uint64) {
	for name, c := range s.CPUs {
		e := earlier.CPUs[name]
		user, sys := c.User-min(c.User, e.User), c.System-min(c.System, e.System)
		irq := c.IRQ + c.SoftIRQ - min(c.IRQ+c.SoftIRQ, e.IRQ+e.SoftIRQ)
		busy += user + sys + irq
		kernel += sys + irq
	}
	return busy, kernel
}
