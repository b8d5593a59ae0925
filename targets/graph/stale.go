package graph

import (
	"context"
	"fmt"
	"path/filepath"
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

// check decides whether r is out of date, statting through cache. deps
// describes r's dependencies after they were built (or, in a dry run,
// judged). pre is the Check hook's answer when it was asked already;
// otherwise the hook is asked only when nothing else made r stale.
func (g *Graph) check(ctx context.Context, cache *statCache, r *Rule, deps []depState, pre *checkResult) (Verdict, error) {
	v := Verdict{Rule: r}
	if g.forced(r) {
		v.add("forced (FORCE=%s)", g.opts.Force)
	}
	rec, ok := g.log.get(r.Target)
	if ok {
		v.Record = &rec
	}
	switch {
	case !ok:
		v.add("never built (no record in the build log)")
	case !rec.Finished && rec.Owner.Alive():
		v.add("being built now by pid %d (since %s)", rec.Owner.PID, rec.Start.Format(time.TimeOnly))
	case !rec.Finished:
		v.add("last run did not finish (started %s)", rec.Start.Format(time.DateTime))
	case rec.Status != statusOK:
		v.add("last run %s at %s", rec.Status, rec.End.Format(time.DateTime))
	case rec.Fingerprint != g.fingerprint(r):
		if d := diffParams(rec.params(), r.Params.summary()); len(d) > 0 {
			v.add("parameters changed: %s", strings.Join(d, ", "))
		} else {
			v.add("rule definition changed (outputs or inputs)")
		}
	}

	// Outputs: all must exist; the oldest one is compared with the inputs.
	// (A rule never built has none: that goes without saying.)
	var oldest stamp
	for _, out := range r.Outputs {
		s, err := cache.stat(filepath.Clean(out))
		if err != nil {
			return v, fmt.Errorf("rule %s: output %s: %w", r.Target, out, err)
		}
		if !s.exists {
			if ok {
				v.add("output %s is missing", out)
			}
			v.Stale = true
			continue
		}
		if oldest.path == "" || s.mod.Before(oldest.mod) {
			oldest = s
		}
	}
	v.Oldest = toStamp(oldest)

	// Inputs: the rule's own, and its dependencies' outputs. A
	// dependency's output counts by its own time, even when it is a
	// directory: the engine keeps outputs newer than what made them, so
	// a source tree of 70,000 files is one stat, not a walk.
	pending := map[string]string{} // paths a dry-run dependency would make
	for _, d := range deps {
		if d.willRun {
			v.Deps = append(v.Deps, d.rule.Target)
			for _, p := range d.made() {
				pending[filepath.Clean(p)] = d.rule.Target
			}
		}
	}
	nw, missing, err := cache.newestOf(splitInputs(r.Inputs))
	if err != nil {
		return v, fmt.Errorf("rule %s: inputs: %w", r.Target, err)
	}
	for _, d := range deps {
		for _, p := range d.produced {
			s, err := cache.stat(filepath.Clean(p))
			if err != nil {
				return v, fmt.Errorf("rule %s: input %s: %w", r.Target, p, err)
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
	v.Newest, v.Inputs = toStamp(nw.stamp), nw.count
	for _, m := range missing {
		if dep := makerOf(m, pending); dep != "" {
			continue // reported below as a dependency that will run
		}
		if dep := makerOfRules(m, deps); dep != "" {
			return v, fmt.Errorf("rule %s: input %s is missing although dependency %s is up to date; rebuild it with FORCE=%s", r.Target, m, dep, dep)
		}
		return v, fmt.Errorf("rule %s: input %s does not exist and no rule makes it", r.Target, m)
	}
	if oldest.exists && nw.exists && nw.mod.After(oldest.mod) {
		v.add("input %s (%s) is newer than output %s (%s)", nw.path, nw.mod.Format(stampLayout),
			oldest.path, oldest.mod.Format(stampLayout))
	}
	for _, d := range v.Deps {
		v.add("dependency %s will run", d)
	}

	if r.Check != nil && (pre != nil || !v.Stale) {
		if pre == nil {
			reason, err := r.Check(ctx)
			pre = &checkResult{reason, err}
		}
		if pre.err != nil {
			return v, fmt.Errorf("rule %s: check: %w", r.Target, pre.err)
		}
		if pre.reason != "" {
			v.add("%s", pre.reason)
		}
	}
	if len(r.Outputs) == 0 && r.Check == nil && !v.Stale {
		v.add("has no outputs, so it runs whenever it is asked for")
	}
	return v, nil
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
