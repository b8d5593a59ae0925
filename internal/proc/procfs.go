// Package proc runs external commands in their own process groups, records
// them in an on-disk registry and stops whole groups with escalating signals.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Stat is what /proc/<pid>/stat says about a process that matters here.
type Stat struct {
	PID   int
	State byte   // R, S, D, Z, T, ...
	PPID  int    // parent
	PGID  int    // process group
	SID   int    // session
	Start uint64 // start time in clock ticks since boot
	Comm  string // command name (not trusted for identity)
}

// ReadStat parses /proc/<pid>/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	return parseStat(pid, b)
}

// parseStat parses the contents of a /proc/<pid>/stat file. The command name
// is in parentheses and may itself contain spaces and parentheses, so the
// fields are counted from the last ')'.
func parseStat(pid int, b []byte) (Stat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Stat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[end+1:]))
	// f[0] is field 3 (state); field n is f[n-3]; starttime is field 22.
	if len(f) < 20 {
		return Stat{}, fmt.Errorf("/proc/%d/stat: %d fields, want at least 22", pid, len(f)+2)
	}
	s := Stat{PID: pid, Comm: string(b[open+1 : end])}
	if len(f[0]) > 0 {
		s.State = f[0][0]
	}
	var err error
	ints := []*int{&s.PPID, &s.PGID, &s.SID}
	for i, p := range ints {
		if *p, err = strconv.Atoi(f[1+i]); err != nil {
			return Stat{}, fmt.Errorf("/proc/%d/stat field %d: %w", pid, 4+i, err)
		}
	}
	if s.Start, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return Stat{}, fmt.Errorf("/proc/%d/stat field 22: %w", pid, err)
	}
	return s, nil
}

// Ident identifies one process across PID reuse: its PID, its start time
// and the boot it ran in.
type Ident struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
	Boot  string `json:"boot"`
}

// Self returns the identity of the calling process.
func Self() Ident {
	id, err := IdentOf(os.Getpid())
	if err != nil {
		return Ident{PID: os.Getpid(), Boot: BootID()}
	}
	return id
}

// IdentOf returns the identity of a running process.
func IdentOf(pid int) (Ident, error) {
	st, err := ReadStat(pid)
	if err != nil {
		return Ident{}, err
	}
	return Ident{PID: pid, Start: st.Start, Boot: BootID()}, nil
}

// Alive reports whether the process the identity names is still running
// (and not a zombie): same PID, same start time, same boot.
func (id Ident) Alive() bool {
	if id.PID <= 0 || id.Boot != BootID() {
		return false
	}
	st, err := ReadStat(id.PID)
	return err == nil && st.Start == id.Start && st.State != 'Z'
}

var bootID = sync.OnceValue(func() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
})

// BootID returns the kernel's boot id, which changes at every boot.
func BootID() string { return bootID() }

// GroupMembers lists the live (non-zombie) processes whose process group is
// pgid and whose session is sid (sid <= 0 matches any session).
func GroupMembers(pgid, sid int) []Stat {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []Stat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := ReadStat(pid)
		if err != nil || st.PGID != pgid || st.State == 'Z' {
			continue
		}
		if sid > 0 && st.SID != sid {
			continue
		}
		out = append(out, st)
	}
	return out
}
