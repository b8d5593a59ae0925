package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Verdict is the engine's judgement of one rule: is it out of date, and why.
type Verdict struct {
	Rule    *Rule
	Stale   bool
	Reasons []string // empty when up to date
	Record  *Record  // the rule's last run, if the build log has one
	Newest  Stamp    // newest input (dependencies' outputs included)
	Oldest  Stamp    // oldest output
	Inputs  int      // how many input paths were looked at
	Deps    []string // dependencies that will run first (dry runs)
}

// Stamp is a path and its modification time, for explanations.
type Stamp struct {
	Path   string
	Mod    time.Time
	Exists bool
}

func toStamp(s stamp) Stamp { return Stamp{Path: s.path, Mod: s.mod, Exists: s.exists} }

// Reason returns every reason, or "up to date".
func (v Verdict) Reason() string {
	if len(v.Reasons) == 0 {
		return "up to date"
	}
	return strings.Join(v.Reasons, "; ")
}

func (v *Verdict) add(format string, args ...any) {
	v.Stale = true
	v.Reasons = append(v.Reasons, fmt.Sprintf(format, args...))
}

// depState is what the staleness check needs to know of a dependency.
type depState struct {
	rule     *Rule
	willRun  bool // dry runs: the dependency is stale and would run
	produced []string
	tree     string // the directory an in-place dependency makes (Rule.Tree)
}

// made are the paths d makes: its outputs and its tree.
func (d depState) made() []string {
	if d.tree == "" {
		return d.produced
	}
	return append(append([]string(nil), d.produced...), d.tree)
}

// check decides whether r is out of date, statting through cache, in the
// manner of ninja's dirty computation: a sequence of small steps, each
// looking at one thing and giving its reasons (see judgement). deps
// describes r's dependencies after they were built (or, in a dry run,
// judged). pre is the Check hook's answer when it was asked already;
// otherwise the hook is asked only when nothing else made r stale. A rule
// without a recipe is a leaf: a file that must exist, never stale.
func (g *Graph) check(
	ctx context.Context,
	cache *statCache,
	r *Rule,
	deps []depState,
	pre *checkResult,
) (Verdict, error) {
	j := &judgement{g: g, ctx: ctx, cache: cache, r: r, deps: deps, pre: pre, v: Verdict{Rule: r}}
	if r.Leaf() {
		return j.v, j.leaf()
	}
	for _, step := range []func() error{j.forced, j.lastRun, j.outputs, j.inputs, j.missingInputs, j.newerInputs,
		j.changedReads, j.dependencies, j.hook, j.noOutputs} {
		if err := step(); err != nil {
			return j.v, err
		}
	}
	return j.v, nil
}

// judgement is one rule's staleness check in progress.
type judgement struct {
	g     *Graph
	ctx   context.Context
	cache *statCache
	r     *Rule
	deps  []depState
	pre   *checkResult
	v     Verdict

	built   bool     // the build log knows the rule
	oldest  stamp    // the oldest output
	newest  newest   // the newest input, dependencies' outputs included
	missing []string // inputs that do not exist
}

// leaf checks that a leaf's files exist.
func (j *judgement) leaf() error {
	for _, out := range j.r.Outputs {
		s, err := j.cache.stat(filepath.Clean(out))
		if err != nil {
			return fmt.Errorf("%s: %w", out, err)
		}
		if !s.exists {
			return fmt.Errorf("%s does not exist (%s)", out, j.r.Doc)
		}
	}
	return nil
}

// forced: the caller asked for the rule whatever its state.
func (j *judgement) forced() error {
	if j.g.forced(j.r) {
		j.v.add("%s", hint("forced", "(", j.g.opts.Hints.Forced))
	}
	return nil
}

// lastRun: the build log's record — never built, still running, not
// finished, failed, or built with other parameters.
func (j *judgement) lastRun() error {
	rec, ok := j.g.logs.last(j.r, j.g.workDir())
	j.built = ok
	if ok {
		j.v.Record = &rec
	}
	switch {
	case !ok:
		j.v.add("never built (no record in the build log)")
	case !rec.Finished && rec.Owner.Alive():
		j.v.add("being built now by pid %d (since %s)", rec.Owner.PID, rec.Start.Format(time.TimeOnly))
	case !rec.Finished:
		j.v.add("last run did not finish (started %s)", rec.Start.Format(time.DateTime))
	case rec.Status != statusOK:
		j.v.add("last run %s at %s", rec.Status, rec.End.Format(time.DateTime))
	case rec.Fingerprint != j.g.fingerprint(j.r):
		if d := diffParams(rec.params(), j.r.Params.summary()); len(d) > 0 {
			j.v.add("parameters changed: %s", strings.Join(d, ", "))
		} else {
			j.v.add("rule definition changed (outputs or inputs)")
		}
	}
	return nil
}

// outputs: all must exist (a rule never built has none: that goes without
// saying); the oldest one is compared with the inputs.
func (j *judgement) outputs() error {
	for _, out := range j.r.Outputs {
		s, err := j.cache.stat(filepath.Clean(out))
		if err != nil {
			return fmt.Errorf("rule %s: output %s: %w", j.r.Target, out, err)
		}
		if !s.exists {
			if j.built {
				j.v.add("output %s is missing", out)
			}
			j.v.Stale = true
			continue
		}
		if j.oldest.path == "" || s.mod.Before(j.oldest.mod) {
			j.oldest = s
		}
	}
	j.v.Oldest = toStamp(j.oldest)
	return nil
}

// inputs: the rule's own and its dependencies' outputs, newest first. A
// dependency's output counts by its own time, even a directory: the
// engine keeps outputs newer than what made them, so a source tree of
// 70,000 files is one stat, not a walk.
func (j *judgement) inputs() error {
	nw, missing, err := j.cache.newestOf(splitInputs(j.r.Inputs))
	if err != nil {
		return fmt.Errorf("rule %s: inputs: %w", j.r.Target, err)
	}
	for _, d := range j.deps {
		for _, p := range d.produced {
			s, err := j.cache.stat(filepath.Clean(p))
			if err != nil {
				return fmt.Errorf("rule %s: input %s: %w", j.r.Target, p, err)
			}
			nw.count++
			switch {
			case !s.exists:
				missing = append(missing, s.path)
			case nw.path == "" || s.mod.After(nw.mod):
				nw.stamp = s
			}
		}
	}
	j.newest, j.missing = nw, missing
	j.v.Newest, j.v.Inputs = toStamp(nw.stamp), nw.count
	return nil
}

// missingInputs: an input that does not exist must be one a dependency
// will make (in a dry run) — else the graph is wrong and says so.
func (j *judgement) missingInputs() error {
	pending := map[string]string{} // paths dependencies that will run make
	for _, d := range j.deps {
		if d.willRun {
			for _, p := range d.made() {
				pending[filepath.Clean(p)] = d.rule.Target
			}
		}
	}
	for _, m := range j.missing {
		if makerOf(m, pending) != "" {
			continue // reported as a dependency that will run
		}
		if dep := makerOfRules(m, j.deps); dep != "" {
			msg := fmt.Sprintf("rule %s: input %s is missing although dependency %s is up to date", j.r.Target, m, dep)
			if f := j.g.opts.Hints.Force; f != nil {
				msg += "; rebuild it with " + f(dep)
			}
			return errors.New(msg)
		}
		return fmt.Errorf("rule %s: input %s does not exist and no rule makes it", j.r.Target, m)
	}
	return nil
}

// newerInputs: an input newer than the oldest output.
func (j *judgement) newerInputs() error {
	nw := j.newest
	if j.oldest.exists && nw.exists && nw.mod.After(j.oldest.mod) {
		j.v.add("input %s (%s) is newer than output %s (%s)", nw.path, nw.mod.Format(stampLayout),
			j.oldest.path, j.oldest.mod.Format(stampLayout))
	}
	return nil
}

// changedReads: the rule now reads other files than its last run did, or
// the same files with other times (an older file put in place of one is
// not newer than the outputs, but it is not what they were made from).
func (j *judgement) changedReads() error {
	if j.v.Stale || j.v.Record == nil || j.v.Record.reads() == nil ||
		slices.ContainsFunc(j.deps, func(d depState) bool { return d.willRun }) {
		return nil // already stale, or judged by the dependencies that will run
	}
	cur, err := readsOf(j.cache, j.r)
	if err != nil {
		return err
	}
	for _, c := range j.v.Record.reads().changes(cur) {
		j.v.add("%s", c)
	}
	return nil
}

// dependencies: in a dry run, dependencies that will run.
func (j *judgement) dependencies() error {
	for _, d := range j.deps {
		if d.willRun && !slices.Contains(j.v.Deps, d.rule.Target) { // a rule named twice is said once
			j.v.Deps = append(j.v.Deps, d.rule.Target)
			j.v.add("dependency %s will run", d.rule.Target)
		}
	}
	return nil
}

// hook: the rule's own Check, asked when nothing else made it stale (or
// already answered).
func (j *judgement) hook() error {
	if j.r.Check == nil || (j.pre == nil && j.v.Stale) {
		return nil
	}
	pre := j.pre
	if pre == nil {
		reason, err := j.r.Check(j.ctx)
		pre = &checkResult{reason, err}
	}
	if pre.err != nil {
		return fmt.Errorf("rule %s: check: %w", j.r.Target, pre.err)
	}
	if pre.reason != "" {
		j.v.add("%s", pre.reason)
	}
	return nil
}

// noOutputs: a rule that makes nothing and checks nothing runs whenever
// it is asked for.
func (j *judgement) noOutputs() error {
	if len(j.r.Outputs) == 0 && j.r.Check == nil && !j.v.Stale {
		j.v.add("has no outputs, so it runs whenever it is asked for")
	}
	return nil
}

const stampLayout = "2006-01-02 15:04:05.000"

// makerOf returns the dependency that will make p (or a directory above it).
func makerOf(p string, pending map[string]string) string {
	for q := p; ; {
		if dep, ok := pending[q]; ok {
			return dep
		}
		parent := filepath.Dir(q)
		if parent == q {
			return ""
		}
		q = parent
	}
}

func makerOfRules(p string, deps []depState) string {
	m := map[string]string{}
	for _, d := range deps {
		for _, o := range d.made() {
			m[filepath.Clean(o)] = d.rule.Target
		}
	}
	return makerOf(p, m)
}
