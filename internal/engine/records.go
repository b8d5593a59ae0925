package engine

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// StoreLog is the name of a store's build log (Options.Stores).
const StoreLog = ".vswarmu-build.log"

// records are the build logs a graph keeps its rules' records in: the
// working directory's, and one per store (Options.Stores) for the rules
// whose outputs all lie in that store. Working directories that share a
// store then share what was built there: a rule built from one is up to
// date in the next, instead of "never built".
type records struct {
	work   *buildLog
	stores map[string]*buildLog // store directory → its log
	own    string               // the working directory: its rules stay in work
}

// readRecords reads the working directory's log and each store's.
func readRecords(stateDir string, stores []string) (*records, error) {
	work, err := readBuildLog(filepath.Join(stateDir, "build.log"))
	if err != nil {
		return nil, err
	}
	rs := &records{work: work, stores: map[string]*buildLog{}, own: filepath.Clean(filepath.Dir(stateDir))}
	for _, s := range stores {
		s = filepath.Clean(s)
		if s == "." || s == "" || rs.stores[s] != nil {
			continue
		}
		if rs.stores[s], err = readBuildLog(filepath.Join(s, StoreLog)); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// storeOf is the store that holds every output of r ("" for none): the
// deepest directory containing each, when that is a store and not the
// working directory.
func (rs *records) storeOf(r *Rule) string {
	if len(r.Outputs) == 0 {
		return ""
	}
	store := ""
	for i, o := range r.Outputs {
		s := rs.deepest(filepath.Clean(o))
		if i > 0 && s != store {
			return ""
		}
		store = s
	}
	if rs.stores[store] == nil {
		return ""
	}
	return store
}

// deepest is the longest of the stores and the working directory that
// contains path.
func (rs *records) deepest(path string) string {
	best := ""
	for _, d := range append(rs.storeDirs(), rs.own) {
		if within(path, d) && len(d) > len(best) {
			best = d
		}
	}
	return best
}

func (rs *records) storeDirs() []string {
	dirs := make([]string, 0, len(rs.stores))
	for d := range rs.stores {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// within says whether path is dir or under it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
}

// logFor is the log r's record goes in, and its key there: in a store,
// the rule's record name and its first output (working directories with
// other settings may make other files under the same name).
func (rs *records) logFor(r *Rule) (*buildLog, string) {
	if s := rs.storeOf(r); s != "" {
		return rs.stores[s], r.record() + " " + filepath.Clean(r.Outputs[0])
	}
	return rs.work, r.record()
}

// get is r's record: its store's, else the working directory's (kept
// there before the store had a log).
func (rs *records) get(r *Rule) (Record, bool) {
	l, key := rs.logFor(r)
	if rec, ok := l.get(key); ok || l == rs.work {
		return rec, ok
	}
	return rs.work.get(r.record())
}

// started records that r's recipe is about to run.
func (rs *records) started(r *Rule, start time.Time, owner proc.Ident) error {
	l, key := rs.logFor(r)
	return l.started(key, start, owner)
}

// finished records how r's recipe ended.
func (rs *records) finished(r *Rule, rec Record) error {
	l, key := rs.logFor(r)
	rec.Rule = key
	return l.finished(rec)
}

// all are every log, the working directory's first.
func (rs *records) all() []*buildLog {
	logs := []*buildLog{rs.work}
	for _, d := range rs.storeDirs() {
		logs = append(logs, rs.stores[d])
	}
	return logs
}

// openForAppend opens every log for appending. A store's log is never
// compacted: another working directory may be appending to it. A store
// whose log cannot be written (a read-only copy) is left out: its rules'
// records go to the working directory's log, as before stores; what went
// wrong is returned for a warning.
func (rs *records) openForAppend() (skipped []error, err error) {
	if err := rs.work.openForAppend(); err != nil {
		return nil, err
	}
	for _, d := range rs.storeDirs() {
		l := rs.stores[d]
		l.shared = true
		if err := l.openForAppend(); err != nil {
			delete(rs.stores, d)
			skipped = append(skipped, err)
		}
	}
	return skipped, nil
}

// close closes every log.
func (rs *records) close() error {
	var first error
	for _, l := range rs.all() {
		if err := l.close(); err != nil && first == nil {
			first = fmt.Errorf("build log %s: %w", l.path, err)
		}
	}
	return first
}
