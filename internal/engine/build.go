package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

const statusOK = "ok"

// Build brings rules and their dependencies up to date, each rule at most
// once per Graph, independent rules in parallel. It prints one line per rule
// that runs and a summary, and returns a *BuildError naming every rule that
// failed. With Options.DryRun it only prints the plan.
func (g *Graph) Build(ctx context.Context, rules ...*Rule) error {
	if err := g.member(rules); err != nil {
		return err
	}
	if g.opts.DryRun {
		return g.plan(ctx, rules)
	}
	g.setup.Do(func() { g.setErr = g.prepare(ctx) })
	if g.setErr != nil {
		return g.setErr
	}
	runCtx, grace, stop := g.runContext(ctx)
	defer stop()
	runCtx = context.WithValue(runCtx, graceKey{}, grace)

	start := time.Now()
	closure := Closure(rules...)
	g.schedule(runCtx, closure)
	g.summary(closure, time.Since(start))
	return g.buildError(runCtx, closure)
}

type graceKey struct{}

// graceFrom returns the signal escalation timing for commands started under
// ctx.
func graceFrom(ctx context.Context) proc.Grace {
	if g, ok := ctx.Value(graceKey{}).(proc.Grace); ok {
		return g
	}
	return proc.DefaultGrace
}

// build runs r once per graph (its dependencies are done); a rule another
// build started is waited for. It returns r's result and how many slots
// r's recipe still holds, which the caller releases. held says the caller
// holds the ready queue for r (see readyQueue.hold); build lets go of it
// once r waits for slots or needs none.
func (g *Graph) build(ctx context.Context, r *Rule, chain time.Duration) (*result, int64) {
	g.mu.Lock()
	res, ok := g.results[r]
	if !ok {
		res = &result{done: make(chan struct{})}
		g.results[r] = res
	}
	g.mu.Unlock()
	if ok {
		g.queue.unhold()
		<-res.done
		return res, 0
	}
	defer close(res.done)
	slots := g.buildRule(ctx, r, res, chain)
	return res, slots
}

// depResults are the results of r's dependencies, which are done.
func (g *Graph) depResults(r *Rule) []*result {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*result, len(r.Deps))
	for i, d := range r.Deps {
		out[i] = g.results[d]
	}
	return out
}

// buildRule checks r and, when it is stale, runs its recipe once the ready
// queue gives it its slots, which it returns still held.
func (g *Graph) buildRule(ctx context.Context, r *Rule, res *result, chain time.Duration) int64 {
	held := true
	defer func() {
		if held {
			g.queue.unhold()
		}
	}()
	deps := g.depResults(r)
	states := make([]depState, len(deps))
	for i, d := range deps {
		if !d.ok() {
			res.status = ui.Skipped
			res.err = &DepError{Rule: r.Target, Dep: r.Deps[i].Target}
			return 0
		}
		states[i] = depState{rule: r.Deps[i], produced: r.Deps[i].Outputs, tree: r.Deps[i].Tree}
	}
	if why := g.stopping(ctx); why != "" {
		res.status, res.err = ui.NotRun, errors.New(why)
		return 0
	}
	v, err := g.check(ctx, g.cache, r, states, nil)
	res.verdict = v
	if err != nil {
		res.status, res.err = ui.Failed, err
		g.noteFailure(r)
		g.ui.Errorf(r.Target, "%v", err)
		return 0
	}
	if !v.Stale {
		res.status = ui.OK
		return 0
	}
	slots := g.slots(r)
	held = false
	if slots <= 0 {
		g.queue.unhold() // runs beside the slots' holders
	} else if err := g.queue.acquire(ctx, slots, chain, true); err != nil {
		res.status, res.err = ui.Interrupted, context.Cause(ctx)
		return 0
	}
	if why := g.stopping(ctx); why != "" {
		res.status, res.err = ui.NotRun, errors.New(why)
		return slots
	}
	g.runRecipe(ctx, r, res)
	return slots
}

// slots is how many pool slots r's recipe holds.
func (g *Graph) slots(r *Rule) int64 {
	switch {
	case r.Slots < 0:
		return 0
	case r.Slots == 0:
		return 1
	case r.Slots > g.jobs:
		return int64(g.jobs)
	}
	return int64(r.Slots)
}

// stopping says why no new recipe may start: the run was interrupted, or a
// rule failed and KEEP_GOING is off.
func (g *Graph) stopping(ctx context.Context) string {
	if ctx.Err() != nil {
		return fmt.Sprintf("not started: %v", context.Cause(ctx))
	}
	if g.opts.KeepGoing {
		return ""
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.failed) > 0 {
		return hint(
			fmt.Sprintf("not started: stopping after %s failed", g.failed[0]),
			"(",
			phrase(g.opts.Hints.KeepGoing, "%s finishes independent rules"),
		)
	}
	return ""
}

func (g *Graph) noteFailure(r *Rule) {
	g.mu.Lock()
	g.failed = append(g.failed, r.Target)
	g.mu.Unlock()
}

// LogPath returns the file that holds rule's recipe output.
func (g *Graph) LogPath(rule string) string {
	name := strings.NewReplacer(":", "-", "/", "-", string(filepath.Separator), "-").Replace(rule)
	return filepath.Join(g.opts.LogDir, name+".log")
}

// runRecipe runs r's recipe with the started/done protocol of the build log,
// atomic outputs and a log file, and records the outcome in res.
func (g *Graph) runRecipe(ctx context.Context, r *Rule, res *result) {
	v := res.verdict
	res.ran = true
	res.logPath = g.LogPath(r.Target)
	start := time.Now()
	job, err := g.newJob(ctx, r, res.logPath, v)
	release := func() {}
	if err == nil {
		release, err = g.exclusive(ctx, r)
	}
	if err == nil {
		defer release()
		err = g.logs.forRule(r, g.workDir()).started(r.record(), start, g.owner)
	}
	if err != nil {
		res.status, res.err = ui.Failed, fmt.Errorf("rule %s: %w", r.Target, err)
		g.noteFailure(r)
		g.ui.Errorf(r.Target, "%v", res.err)
		job.close("")
		return
	}
	g.ui.Begin(r.Target, v.Reason())

	err = callRecipe(ctx, r, job)
	if err == nil {
		err = job.commit(v.Newest)
	} else {
		job.discard()
	}
	res.elapsed = time.Since(start)
	res.status = classify(ctx, err)
	rec := Record{Rule: r.record(), Status: res.status.String(), Start: start, End: time.Now(),
		Fingerprint: g.fingerprint(r), Params: r.Params.summary()}
	if err == nil {
		// What the run read, as it is now that it finished (a recipe may
		// change its own inputs, such as a tree it patches).
		rec.Reads, err = readsOf(newStatCache(g.fs), r)
		res.status = classify(ctx, err)
	}
	var ee *proc.ExitError
	if errors.As(err, &ee) {
		rec.Exit = ee.ExitCode()
	}
	if logErr := g.logs.forRule(r, g.workDir()).finished(rec); logErr != nil && err == nil {
		err, res.status = logErr, ui.Failed
	}
	for _, o := range r.Outputs {
		g.cache.forget(filepath.Clean(o))
	}
	job.close(fmt.Sprintf("%s after %s", res.status, ui.FormatDuration(res.elapsed)))
	if err != nil {
		res.err = err
		g.noteFailure(r)
	}
	g.ui.End(r.Target, res.status, res.elapsed, err, res.logPath)
}

// callRecipe runs the recipe, turning a panic into an error that names the
// rule (Mage's own run-once would report a panicking dependency as done).
func callRecipe(ctx context.Context, r *Rule, job *Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("recipe panicked: %v\n%s", p, debug.Stack())
			fmt.Fprintf(job.log, "\n%v\n", err)
		}
	}()
	return r.Recipe(ctx, job)
}

// classify maps a recipe's error to how the rule ended.
func classify(ctx context.Context, err error) ui.Status {
	var ke *proc.KilledError
	switch {
	case err == nil:
		return ui.OK
	case errors.As(err, &ke):
		return ui.Killed
	case ctx.Err() != nil:
		return ui.Interrupted
	}
	return ui.Failed
}

// buildError collects the failures among rules after a build.
func (g *Graph) buildError(ctx context.Context, rules []*Rule) error {
	var be BuildError
	for _, r := range rules {
		g.mu.Lock()
		res := g.results[r]
		g.mu.Unlock()
		if res == nil || res.err == nil {
			continue
		}
		switch res.status {
		case ui.Failed, ui.Killed, ui.Interrupted:
			be.Failed = append(be.Failed, &RuleError{Rule: r.Target, Status: res.status,
				Log: res.logPath, Elapsed: res.elapsed, Err: res.err})
		}
	}
	g.mu.Lock()
	sig := g.signal
	g.mu.Unlock()
	switch {
	case sig != 0:
		be.Cause = &SignalError{Signal: sig}
	case ctx.Err() != nil:
		be.Cause = context.Cause(ctx)
	}
	if len(be.Failed) == 0 && be.Cause == nil {
		// Rules skipped only because another invocation's rule failed.
		for _, r := range rules {
			if res := g.results[r]; res != nil && res.err != nil {
				return &BuildError{Failed: []*RuleError{{Rule: r.Target, Status: res.status, Err: res.err}}}
			}
		}
		return nil
	}
	return &be
}

// summary prints one line: what ran, what was up to date, what failed.
func (g *Graph) summary(rules []*Rule, total time.Duration) {
	var ran, fresh, bad []string
	var durations []string
	g.mu.Lock()
	for _, r := range rules {
		res := g.results[r]
		if res == nil || r.Leaf() && res.ok() {
			continue
		}
		switch {
		case res.status == ui.OK && res.ran:
			ran = append(ran, r.Target)
			durations = append(durations, fmt.Sprintf("%s %s", r.Target, ui.FormatDuration(res.elapsed)))
		case res.status == ui.OK:
			fresh = append(fresh, r.Target)
		default:
			bad = append(bad, fmt.Sprintf("%s (%s)", r.Target, res.status))
		}
	}
	g.mu.Unlock()
	sort.Strings(bad)
	line := fmt.Sprintf("%d run, %d up to date, %d failed or not run — %s",
		len(ran), len(fresh), len(bad), ui.FormatDuration(total))
	switch {
	case len(bad) > 0:
		g.ui.Printf("%s %s", g.ui.Red("✘"), line)
		g.ui.Printf("  not done: %s", strings.Join(bad, ", "))
	case len(ran) == 0:
		g.ui.Printf("%s nothing to do: %d rules up to date (%s)", g.ui.Green("✔"), len(fresh), ui.FormatDuration(total))
		return
	default:
		g.ui.Printf("%s %s", g.ui.Green("✔"), line)
	}
	if len(durations) > 0 {
		g.ui.Printf("  ran: %s", strings.Join(durations, ", "))
	}
}

// plan is a dry run: it judges every rule as Build would, assuming stale
// dependencies are rebuilt, and prints what would run and why. It writes
// nothing and takes no lock.
func (g *Graph) plan(ctx context.Context, rules []*Rule) error {
	verdicts, err := g.Evaluate(ctx, rules...)
	would, fresh := 0, 0
	for _, v := range verdicts {
		switch {
		case v.Rule.Leaf():
			continue // a file given to the build
		case v.Stale:
			would++
			g.ui.Printf("%s %s: %s", g.ui.Yellow("would run"), g.ui.Bold(v.Rule.Target), strings.Join(v.Reasons, "; "))
		default:
			fresh++
			g.ui.Printf("%s %s", g.ui.Dim("up to date"), v.Rule.Target)
		}
	}
	g.ui.Printf(
		"%s",
		hint(
			fmt.Sprintf("dry run: %d would run, %d up to date", would, fresh),
			"(",
			phrase(g.opts.Hints.DryRun, "%s: nothing was changed"),
		),
	)
	return err
}

// Evaluate judges rules and their dependencies without running anything,
// dependencies first. A rule downstream of a stale one is stale too. Rules
// that cannot be checked come back stale with the error as reason; the
// errors are also returned.
//
// The slow parts — stats, directory walks and Check hooks (git, dpkg) — run
// in parallel first; then one pass in dependency order judges each rule
// from what they found.
func (g *Graph) Evaluate(ctx context.Context, rules ...*Rule) ([]Verdict, error) {
	if err := g.member(rules); err != nil {
		return nil, err
	}
	closure := Closure(rules...)
	cache := newStatCache(g.fs)
	cache.prefetch(plainPaths(closure))
	cache.prewalk(closure)
	checks := runChecks(ctx, closure)
	verdicts := make(map[*Rule]*Verdict, len(closure))
	out := make([]Verdict, len(closure))
	var errs []error
	for i, r := range closure { // dependency order
		states := make([]depState, len(r.Deps))
		for k, d := range r.Deps {
			dv := verdicts[d]
			states[k] = depState{rule: d, produced: d.Outputs, tree: d.Tree, willRun: dv.Stale && len(d.Outputs) > 0}
		}
		v, err := g.check(ctx, cache, r, states, checks[r])
		if err != nil {
			v.add("cannot check: %v", err)
			errs = append(errs, err)
		}
		out[i] = v
		verdicts[r] = &out[i]
	}
	return out, errors.Join(errs...)
}

// checkResult is a Check hook's answer, found ahead of the judgement.
type checkResult struct {
	reason string
	err    error
}

// runChecks asks every rule's Check hook at once.
func runChecks(ctx context.Context, rules []*Rule) map[*Rule]*checkResult {
	out := map[*Rule]*checkResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range rules {
		if r.Check == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			reason, err := r.Check(ctx)
			mu.Lock()
			out[r] = &checkResult{reason, err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// plainPaths are the outputs and plain (non-glob) inputs of rules, each once.
func plainPaths(rules []*Rule) []string {
	seen := make(map[string]bool, 16*len(rules))
	out := make([]string, 0, 16*len(rules))
	add := func(p string) {
		if !isClean(p) {
			p = filepath.Clean(p)
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, r := range rules {
		for _, o := range r.Outputs {
			add(o)
		}
		for _, in := range r.Inputs {
			if !strings.HasPrefix(in, "!") && !hasMeta(in) {
				add(in)
			}
		}
	}
	return out
}

// isClean reports, cheaply, that filepath.Clean would return p unchanged.
func isClean(p string) bool {
	if p == "" || strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
		strings.HasSuffix(p, "/") && p != "/" || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..") ||
		strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || p == "." || p == ".." {
		return false
	}
	return true
}

// Explain judges one rule with every reason, for `mage why`.
func (g *Graph) Explain(ctx context.Context, r *Rule) (Verdict, []Verdict, error) {
	deps, err := g.Evaluate(ctx, r.Deps...)
	byRule := map[*Rule]Verdict{}
	for _, v := range deps {
		byRule[v.Rule] = v
	}
	states := make([]depState, len(r.Deps))
	for i, d := range r.Deps {
		states[i] = depState{rule: d, produced: d.Outputs, tree: d.Tree, willRun: byRule[d].Stale && len(d.Outputs) > 0}
	}
	// Asked ahead, the Check hook's reason is listed even when another
	// reason made the rule stale already.
	v, cerr := g.check(ctx, newStatCache(g.fs), r, states, runChecks(ctx, []*Rule{r})[r])
	if cerr != nil {
		v.add("cannot check: %v", cerr)
	}
	return v, deps, errors.Join(err, cerr)
}

// ensureDirs creates the directories outputs go into.
func ensureDirs(paths ...string) error {
	for _, p := range paths {
		if err := os.MkdirAll(filepath.Dir(filepath.Clean(p)), 0o755); err != nil {
			return err
		}
	}
	return nil
}
