package proc

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/recdir"
)

// Entry is one registered process group: the command this tool started, in
// its own process group, and who started it.
type Entry struct {
	Ident           // the group leader (PID = PGID)
	SID   int       `json:"sid"`
	Argv  []string  `json:"argv"`
	Rule  string    `json:"rule,omitempty"`
	Kind  string    `json:"kind,omitempty"` // "gem5", "qemu", ... for reports
	Owner Ident     `json:"owner"`          // the mage process that started it
	Since time.Time `json:"since"`
	// KillGrace is what the command asked `mage kill` for beyond its
	// default (a build tool that saves its state when interrupted).
	KillGrace Grace  `json:"kill_grace,omitempty"`
	Killed    string `json:"-"` // set when `mage kill` stopped it: by whom
}

// Group returns the entry's process group.
func (e Entry) Group() Group { return Group{PGID: e.PID, SID: e.SID} }

// Running reports whether the group still has live members that belong to
// the recorded start: the leader with its recorded start time, or, once the
// leader has exited, members of its group and session.
func (e Entry) Running() bool {
	if e.Boot != BootID() {
		return false
	}
	if e.Ident.Alive() {
		return true
	}
	for _, m := range GroupMembers(e.PID, e.SID) {
		if m.Start >= e.Start {
			return true
		}
	}
	return false
}

// Registry is a directory of Entry files, one per running process group.
type Registry struct {
	recs recdir.Dir[Entry]
}

// OpenRegistry returns the registry kept in dir, creating dir.
func OpenRegistry(dir string) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("process registry %s: %w", dir, err)
	}
	return ReadRegistry(dir), nil
}

// ReadRegistry returns the registry in dir without creating anything; a
// missing dir is an empty registry.
func ReadRegistry(dir string) *Registry {
	return &Registry{recs: recdir.Dir[Entry]{Path: dir, Name: "process registry entry"}}
}

// Dir returns the directory of the registry.
func (r *Registry) Dir() string { return r.recs.Path }

func key(pid int) string { return strconv.Itoa(pid) }

// Add records e, replacing an older entry for the same PID.
func (r *Registry) Add(e Entry) error { return r.recs.Add(key(e.PID), e) }

// Remove forgets the entry for pid and its kill mark.
func (r *Registry) Remove(pid int) { r.recs.Remove(key(pid)) }

// MarkKilled records that pid is being stopped by who, so the process that
// started it reports the run as killed rather than as ended by itself.
func (r *Registry) MarkKilled(pid int, who string) error { return r.recs.MarkKilled(key(pid), who) }

// KilledBy returns who marked pid as killed, if anyone did.
func (r *Registry) KilledBy(pid int) (string, bool) { return r.recs.KilledBy(key(pid)) }

// List returns the registered entries, oldest first. Unreadable entries are
// returned as errors naming the file.
func (r *Registry) List() ([]Entry, error) {
	return r.recs.Values(func(e *Entry, who string) { e.Killed = who },
		func(a, b Entry) bool { return a.Since.Before(b.Since) })
}
