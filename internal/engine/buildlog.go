package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// The build log is an append-only text file, one event per line, fields
// separated by tabs (rule names never hold tabs or newlines):
//
//	S <rule> <start unix ns> <pid> <pid start ticks>
//	D <rule> <status> <exit> <start unix ns> <end unix ns> <fingerprint> <params JSON> [<reads JSON>]
//
// A rule whose last line is S did not finish (the process died); a D with a
// status other than "ok" failed. Appends are single writes, so a crash loses
// at most a partial last line, which is ignored.
const buildLogHeader = "# vswarmu build log v1"

// Record is what the build log knows about a rule's last run.
type Record struct {
	Rule        string
	Finished    bool              // a D line follows the last S line
	Status      string            // ok, failed, killed, interrupted (when Finished)
	Exit        int               // exit status of the failed command, if any
	Start, End  time.Time         // of the last run
	Fingerprint string            // of the last finished run
	Params      map[string]string // filled by params() from paramsJSON
	Owner       proc.Ident        // the process of an unfinished run
	paramsJSON  string            // as logged; decoded only when a reason needs it
	readsJSON   string            // as logged; decoded by reads()
	Reads       Reads             // what the run read (filled by reads())
}

// reads returns what the recorded run read, decoding it on first use; nil
// for a record without them (a log from before they were kept).
func (r *Record) reads() Reads {
	if r.Reads == nil && r.readsJSON != "" {
		r.Reads = decodeReads(r.readsJSON)
	}
	return r.Reads
}

// params returns the recorded parameters, decoding them on first use (most
// checks only compare fingerprints).
func (r *Record) params() map[string]string {
	if r.Params == nil && r.paramsJSON != "" {
		_ = json.Unmarshal([]byte(r.paramsJSON), &r.Params)
	}
	return r.Params
}

// buildLog reads and appends the build log.
type buildLog struct {
	path  string
	mu    sync.Mutex
	recs  map[string]*Record
	lines int
	f     *os.File // open for appending; nil when read only
}

// readBuildLog loads the log at path; a missing log is empty.
func readBuildLog(path string) (*buildLog, error) {
	l := &buildLog{path: path, recs: map[string]*Record{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("build log %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		l.lines++
		l.apply(sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("build log %s: %w", path, err)
	}
	return l, nil
}

// apply folds one line into the records; malformed lines are ignored, which
// can only make a rule look stale, never fresh.
func (l *buildLog) apply(line string) {
	if line == "" || line[0] == '#' {
		return
	}
	f := strings.Split(line, "\t")
	switch {
	case f[0] == "S" && len(f) == 5:
		start, err1 := strconv.ParseInt(f[2], 10, 64)
		pid, err2 := strconv.Atoi(f[3])
		ticks, err3 := strconv.ParseUint(f[4], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return
		}
		r := l.rec(f[1])
		r.Finished = false
		r.Start = time.Unix(0, start)
		r.Owner = proc.Ident{PID: pid, Start: ticks, Boot: proc.BootID()}
	case f[0] == "D" && (len(f) == 8 || len(f) == 9):
		if r, ok := parseDone(f); ok {
			*l.rec(f[1]) = r
		}
	}
}

// parseDone reads a done line's fields (the reads field is optional: logs
// written before it was kept have 8 fields).
func parseDone(f []string) (Record, bool) {
	exit, err1 := strconv.Atoi(f[3])
	start, err2 := strconv.ParseInt(f[4], 10, 64)
	end, err3 := strconv.ParseInt(f[5], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || !strings.HasPrefix(f[7], "{") {
		return Record{}, false
	}
	r := Record{Rule: f[1], Finished: true, Status: f[2], Exit: exit,
		Start: time.Unix(0, start), End: time.Unix(0, end), Fingerprint: f[6], paramsJSON: f[7]}
	if len(f) == 9 {
		r.readsJSON = f[8]
	}
	return r, true
}

func (l *buildLog) rec(rule string) *Record {
	r, ok := l.recs[rule]
	if !ok {
		r = &Record{Rule: rule}
		l.recs[rule] = r
	}
	return r
}

// last returns a copy of r's record: under its key (target and outputs),
// else under its bare target, as logs written before records were keyed
// by outputs have it (its fingerprint still has to match).
func (l *buildLog) last(r *Rule) (Record, bool) {
	if rec, ok := l.get(r.record()); ok {
		return rec, true
	}
	return l.get(r.Target)
}

// Param is the recorded run's parameter k as the build log keeps it (a
// long text as its digest).
func (r *Record) Param(k string) string { return r.params()[k] }

// ChangedParams are the names of the parameters p gives otherwise than
// the recorded run had them, or that only one of them has, sorted.
func (r *Record) ChangedParams(p Params) []string {
	out := changedKeys(r.params(), p.summary())
	sort.Strings(out)
	return out
}

// Target is the rule a record is of (its key without the outputs' digest).
func (r *Record) Target() string {
	t, _, _ := strings.Cut(r.Rule, outputsMark)
	return t
}

// get returns a copy of the record under key.
func (l *buildLog) get(rule string) (Record, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.recs[rule]
	if !ok {
		return Record{}, false
	}
	return *r, true
}

// openForAppend compacts the log when it has grown well past its records and
// opens it for appending.
func (l *buildLog) openForAppend() error {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return fmt.Errorf("build log %s: %w", l.path, err)
	}
	if l.lines > 4*len(l.recs)+100 {
		if err := l.compact(); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("build log %s: %w", l.path, err)
	}
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		_, _ = f.WriteString(buildLogHeader + "\n")
	}
	l.f = f
	return nil
}

// compact rewrites the log with one line per rule (temp file + rename).
func (l *buildLog) compact() error {
	names := make([]string, 0, len(l.recs))
	for n := range l.recs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(buildLogHeader + "\n")
	for _, n := range names {
		r := l.recs[n]
		if r.Finished {
			b.WriteString(doneLine(r))
		} else {
			b.WriteString(startLine(r.Rule, r.Start, r.Owner))
		}
	}
	tmp := l.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("build log %s: compact: %w", l.path, err)
	}
	if err := os.Rename(tmp, l.path); err != nil {
		return fmt.Errorf("build log %s: compact: %w", l.path, err)
	}
	l.lines = len(names) + 1
	return nil
}

func startLine(rule string, start time.Time, owner proc.Ident) string {
	return fmt.Sprintf("S\t%s\t%d\t%d\t%d\n", rule, start.UnixNano(), owner.PID, owner.Start)
}

func doneLine(r *Record) string {
	return fmt.Sprintf("D\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", r.Rule, r.Status, r.Exit,
		r.Start.UnixNano(), r.End.UnixNano(), r.Fingerprint, encodeParams(r.params()), r.reads().encode())
}

// started records that rule's recipe is about to run.
func (l *buildLog) started(rule string, start time.Time, owner proc.Ident) error {
	return l.append(startLine(rule, start, owner), func() {
		r := l.rec(rule)
		r.Finished, r.Start, r.Owner = false, start, owner
	})
}

// finished records how rule's recipe ended.
func (l *buildLog) finished(r Record) error {
	r.Finished = true
	return l.append(doneLine(&r), func() { *l.rec(r.Rule) = r })
}

func (l *buildLog) append(line string, update func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return fmt.Errorf("build log %s: not open for writing", l.path)
	}
	if _, err := l.f.WriteString(line); err != nil {
		return fmt.Errorf("build log %s: %w", l.path, err)
	}
	l.lines++
	update()
	return nil
}

func (l *buildLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// LastReads is what the recorded run read; nil for a record written
// before reads were kept.
func (r *Record) LastReads() Reads { return r.reads() }
