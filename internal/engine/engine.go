package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// Options configure a Graph.
type Options struct {
	// StateDir holds the build log, the PID registry and the lock
	// ($WORKING_DIR/.vswarmu).
	StateDir string
	// LogDir holds one log per rule ($WORKING_DIR/logs).
	LogDir string
	// Jobs is the number of pool slots (0: the number of CPUs).
	Jobs int
	// DryRun plans without running or writing anything.
	DryRun bool
	// KeepGoing lets independent rules finish after a failure.
	KeepGoing bool
	// Force is "all" or a comma-separated list of rules to run regardless.
	Force string
	// Verbose echoes recipe output to the terminal as well as the log.
	Verbose bool
	// LockWait waits for another run holding the working directory instead
	// of failing at once.
	LockWait bool
	// UI receives progress; nil writes to standard output.
	UI *ui.Printer
	// FS is the file system rules are judged on (nil: OS).
	FS FS
	// Hints are how the caller's users ask for what the engine mentions
	// (a setting, a command); empty ones are left out of messages.
	Hints Hints
	// Shared are directories outside the working directory whose rules'
	// records live with them (shared.go).
	Shared []Shared
}

// Hints name, in the caller's words, what a user can do about a
// situation the engine reports.
type Hints struct {
	KeepGoing string // finish independent rules after a failure ("KEEP_GOING=1")
	DryRun    string // the plan changed nothing ("DRY_RUN=1")
	LockWait  string // wait for another run instead of failing ("set LOCK_WAIT=1 to wait")
	Kill      string // stop another run's processes ("stop it with `mage kill` and Ctrl-C")
	Forced    string // where a forced rule was asked for ("FORCE=all")
	// Force returns how to rerun a rule whatever its state ("FORCE=<rule>").
	Force func(rule string) string
}

// phrase fills a hint into a sentence ("" when there is no hint).
func phrase(h, format string) string {
	if h == "" {
		return ""
	}
	return fmt.Sprintf(format, h)
}

// hint appends " (<h>)" or "; <h>" to msg when h is set.
func hint(msg, sep, h string) string {
	if h == "" {
		return msg
	}
	if sep == "(" {
		return msg + " (" + h + ")"
	}
	return msg + sep + h
}

// Graph holds rules and builds them. One Graph serves one invocation. Its
// state is in parts, one per concern, as ninja keeps them: the rules, what
// judging them needs, the session, and one build's progress.
type Graph struct {
	opts Options
	ui   *ui.Printer
	ruleSet
	judging
	session
	building
}

// ruleSet is the graph proper (rule.go, engine.go): the rules by name and
// in the order they were added, each after its dependencies. A rule does
// not change once added.
type ruleSet struct {
	rules map[string]*Rule
	order []*Rule
}

// judging is what the dirty computation reads (stale.go, inputs.go): the
// forced rules, the build log, the file system and its stat cache.
type judging struct {
	force    map[string]bool
	logs     *buildLogs
	fs       FS
	cache    *statCache
	sharedMu sync.Mutex // the shared directories' exclusive counts
}

// session is the invocation's hold on the working directory (session.go):
// its process identity, the registry of the processes it starts, the
// lock, and the signal that stopped it, if one did.
type session struct {
	owner  proc.Ident
	reg    *proc.Registry
	setup  sync.Once
	setErr error
	lock   *os.File
	signal syscall.Signal
}

// building is one build's progress (build.go, schedule.go, queue.go): the
// JOBS slots and the ready queue over them, the rules' results and
// parameter fingerprints, and the failed rules in order (for "not run"
// reasons).
type building struct {
	jobs    int
	queue   *readyQueue
	mu      sync.Mutex
	results map[*Rule]*result
	fps     map[*Rule]string
	failed  []string
}

// New returns an empty graph. It reads the build log (read-only) so status
// questions need no lock.
func New(opts Options) (*Graph, error) {
	if opts.StateDir == "" {
		return nil, errors.New("graph: Options.StateDir is required")
	}
	if opts.Jobs <= 0 {
		opts.Jobs = runtime.NumCPU()
	}
	if opts.UI == nil {
		opts.UI = ui.New(os.Stdout, false)
	}
	if opts.LogDir == "" {
		opts.LogDir = filepath.Join(filepath.Dir(opts.StateDir), "logs")
	}
	bl, err := readBuildLogs(opts.StateDir, opts.Shared)
	if err != nil {
		return nil, err
	}
	if opts.FS == nil {
		opts.FS = OS{}
	}
	g := &Graph{
		opts: opts, ui: opts.UI, ruleSet: ruleSet{rules: map[string]*Rule{}},
		judging: judging{force: map[string]bool{}, logs: bl, fs: opts.FS, cache: newStatCache(opts.FS)},
		session: session{owner: proc.Self()},
		building: building{jobs: opts.Jobs, queue: newReadyQueue(opts.Jobs), results: map[*Rule]*result{},
			fps: map[*Rule]string{}},
	}
	for _, f := range strings.Split(opts.Force, ",") {
		if f = strings.TrimSpace(f); f != "" {
			g.force[f] = true
		}
	}
	return g, nil
}

// LastRuns returns the build log's records of the rules whose names start
// with prefix, finished successfully, in name order: what earlier runs
// took, for estimates.
func (g *Graph) LastRuns(prefix string) []Record {
	var out []Record
	for _, l := range g.logs.all() {
		l.mu.Lock()
		for name, r := range l.recs {
			if strings.HasPrefix(name, prefix) && r.Finished && r.Status == "ok" {
				out = append(out, *r)
			}
		}
		l.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rule < out[j].Rule })
	return out
}

// Options returns the options the graph was made with.
func (g *Graph) Options() Options { return g.opts }

// UI returns the graph's terminal output.
func (g *Graph) UI() *ui.Printer { return g.ui }

// Add adds rules to the graph. Their dependencies must already be in it, so
// a graph never has cycles.
func (g *Graph) Add(rules ...*Rule) error {
	for _, r := range rules {
		if r.Target == "" || strings.ContainsAny(r.Target, "\t\n\r ") {
			return fmt.Errorf("engine: rule name %q must be non-empty without blanks", r.Target)
		}
		if _, dup := g.rules[r.Target]; dup {
			return fmt.Errorf("engine: rule %s added twice", r.Target)
		}
		for _, d := range r.Deps {
			if d == nil || g.rules[d.Target] != d {
				name := "<nil>"
				if d != nil {
					name = d.Target
				}
				return fmt.Errorf(
					"engine: rule %s depends on %s, which is not in the graph (add dependencies first)",
					r.Target,
					name,
				)
			}
		}
		if r.Recipe == nil && (len(r.Outputs) == 0 || len(r.Deps) > 0 || r.Check != nil) {
			return fmt.Errorf(
				"engine: rule %s has no recipe, so it must be a leaf: outputs (the files that must exist), no dependencies, no check",
				r.Target,
			)
		}
		r.g = g
		g.rules[r.Target] = r
		g.order = append(g.order, r)
	}
	return nil
}

// MustAdd is Add for rules made by the program itself; it panics on the
// programming errors Add reports.
func (g *Graph) MustAdd(rules ...*Rule) {
	if err := g.Add(rules...); err != nil {
		panic(err)
	}
}

// Rule returns the rule with the given name.
func (g *Graph) Rule(name string) (*Rule, bool) {
	r, ok := g.rules[name]
	return r, ok
}

// Lookup returns the rules with the given names, or an error that lists
// the names the graph knows.
func (g *Graph) Lookup(names ...string) ([]*Rule, error) {
	out := make([]*Rule, 0, len(names))
	for _, n := range names {
		r, ok := g.rules[n]
		if !ok {
			return nil, fmt.Errorf("no rule named %q; known rules: %s", n, strings.Join(g.Names(), ", "))
		}
		out = append(out, r)
	}
	return out, nil
}

// Rules returns every rule in the order it was added.
func (g *Graph) Rules() []*Rule { return append([]*Rule(nil), g.order...) }

// Names returns the sorted rule names.
func (g *Graph) Names() []string {
	names := make([]string, 0, len(g.rules))
	for n := range g.rules {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (g *Graph) forced(r *Rule) bool { return g.force["all"] || g.force[r.Target] }

func (g *Graph) fingerprint(r *Rule) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	fp, ok := g.fps[r]
	if !ok {
		fp = r.fingerprint()
		g.fps[r] = fp
	}
	return fp
}

// Closure returns rules and everything they depend on, dependencies first.
func Closure(rules ...*Rule) []*Rule {
	seen := map[*Rule]bool{}
	var out []*Rule
	var visit func(r *Rule)
	visit = func(r *Rule) {
		if seen[r] {
			return
		}
		seen[r] = true
		for _, d := range r.Deps {
			visit(d)
		}
		out = append(out, r)
	}
	for _, r := range rules {
		visit(r)
	}
	return out
}

// Dependents returns the rules that depend on r, directly or not.
func (g *Graph) Dependents(r *Rule) []*Rule {
	var out []*Rule
	for _, c := range g.order {
		if c == r {
			continue
		}
		for _, d := range Closure(c) {
			if d == r {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

func (g *Graph) member(rules []*Rule) error {
	for _, r := range rules {
		if r == nil || r.g != g {
			return fmt.Errorf("engine: rule %v is not part of this graph", r)
		}
	}
	return nil
}

// Close releases the working-directory lock and the build log.
func (g *Graph) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	err := g.logs.close()
	if g.lock != nil {
		if cerr := g.lock.Close(); err == nil {
			err = cerr
		}
		g.lock = nil
	}
	return err
}

// result is the outcome of one rule in one invocation.
type result struct {
	done    chan struct{}
	status  ui.Status
	ran     bool // the recipe ran (or, dry, would run)
	verdict Verdict
	err     error
	elapsed time.Duration
	logPath string
}

func (r *result) ok() bool { return r.err == nil }

// DepError says a rule did not run because a dependency failed.
type DepError struct {
	Rule, Dep string
}

func (e *DepError) Error() string {
	return fmt.Sprintf("%s not run: dependency %s failed", e.Rule, e.Dep)
}

// RuleError is a rule's failure; it names the rule and its log.
type RuleError struct {
	Rule    string
	Status  ui.Status
	Log     string
	Elapsed time.Duration
	Err     error
}

func (e *RuleError) Error() string {
	msg := fmt.Sprintf("rule %s %s: %v", e.Rule, e.Status, e.Err)
	if e.Log != "" {
		msg += " (log: " + e.Log + ")"
	}
	return msg
}

func (e *RuleError) Unwrap() error { return e.Err }

// BuildError is what Build returns when rules did not succeed. Its exit
// status follows the shell's convention for signals (130 for SIGINT).
type BuildError struct {
	Failed []*RuleError // rules whose recipe or check failed
	Cause  error        // the signal or timeout that stopped the run, if any
}

func (e *BuildError) Error() string {
	var b strings.Builder
	if e.Cause != nil {
		fmt.Fprintf(&b, "build stopped: %v", e.Cause)
	}
	for _, f := range e.Failed {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(f.Error())
	}
	if b.Len() == 0 {
		b.WriteString("build failed")
	}
	return b.String()
}

// Short says in one line what failed, for a caller that printed the
// failures already.
func (e *BuildError) Short() string {
	var names []string
	for _, f := range e.Failed {
		names = append(names, f.Rule+" "+f.Status.String())
	}
	msg := "build failed"
	if len(names) > 0 {
		msg = strings.Join(names, ", ")
	}
	if e.Cause != nil {
		msg = fmt.Sprintf("build stopped (%v): %s", e.Cause, msg)
	}
	return msg + " (each failure's line above names its log)"
}

// ExitStatus is the exit status Mage uses for the error.
func (e *BuildError) ExitStatus() int {
	var se *SignalError
	if errors.As(e.Cause, &se) {
		return 128 + int(se.Signal)
	}
	return 1
}

// Unwrap returns the failures and the cause.
func (e *BuildError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed)+1)
	for _, f := range e.Failed {
		errs = append(errs, f)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}
