package proc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Entry is one registered process group: the command this tool started, in
// its own process group, and who started it.
type Entry struct {
	Ident            // the group leader (PID = PGID)
	SID    int       `json:"sid"`
	Argv   []string  `json:"argv"`
	Rule   string    `json:"rule,omitempty"`
	Kind   string    `json:"kind,omitempty"` // "gem5", "qemu", ... for reports
	Owner  Ident     `json:"owner"`          // the mage process that started it
	Since  time.Time `json:"since"`
	Killed string    `json:"-"` // set when `mage kill` stopped it: by whom
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
	dir string
}

// OpenRegistry returns the registry kept in dir, creating dir.
func OpenRegistry(dir string) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("process registry %s: %w", dir, err)
	}
	return &Registry{dir: dir}, nil
}

// ReadRegistry returns the registry in dir without creating anything; a
// missing dir is an empty registry.
func ReadRegistry(dir string) *Registry { return &Registry{dir: dir} }

// Dir returns the directory of the registry.
func (r *Registry) Dir() string { return r.dir }

func (r *Registry) path(pid int) string { return filepath.Join(r.dir, strconv.Itoa(pid)+".json") }

func (r *Registry) killedPath(pid int) string {
	return filepath.Join(r.dir, strconv.Itoa(pid)+".killed")
}

// Add records e, replacing an older entry for the same PID.
func (r *Registry) Add(e Entry) error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(r.path(e.PID), b)
}

// Remove forgets the entry for pid and its kill mark.
func (r *Registry) Remove(pid int) {
	_ = os.Remove(r.path(pid))
	_ = os.Remove(r.killedPath(pid))
}

// MarkKilled records that pid is being stopped by who, so the process that
// started it reports the run as killed rather than as ended by itself.
func (r *Registry) MarkKilled(pid int, who string) error {
	return writeFileAtomic(r.killedPath(pid), []byte(who+"\n"))
}

// KilledBy returns who marked pid as killed, if anyone did.
func (r *Registry) KilledBy(pid int) (string, bool) {
	b, err := os.ReadFile(r.killedPath(pid))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// List returns the registered entries, oldest first. Unreadable entries are
// returned as errors naming the file.
func (r *Registry) List() ([]Entry, error) {
	ents, err := os.ReadDir(r.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("process registry %s: %w", r.dir, err)
	}
	var out []Entry
	var errs []error
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(r.dir, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while listing: the process ended
		}
		var e Entry
		if err == nil {
			err = json.Unmarshal(b, &e)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("process registry entry %s: %w", p, err))
			continue
		}
		if who, ok := r.KilledBy(e.PID); ok {
			e.Killed = who
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out, errors.Join(errs...)
}

// writeFileAtomic writes b to a temporary file beside path and renames it
// into place, so readers never see a partial file.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
