package targets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/proc"
	"github.com/vswarmu/vswarmu-mage/internal/suggest"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// Test installs what the test suite needs.
type Test mg.Namespace

// DepInstall installs the packages the tests use beyond the stages' own (Chromium, protoc, scons, busybox, cpio, xorriso).
func (Test) DepInstall(ctx context.Context) error { return depInstall(ctx, ruleTestDepInstall) }

// Config prints the effective configuration and where each value comes from.
func Config() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	// Each group once, in the order groups first appear.
	var groups []string
	byGroup := map[string][]config.Value{}
	for _, v := range cfg.Values() {
		if _, ok := byGroup[v.Group]; !ok {
			groups = append(groups, v.Group)
		}
		byGroup[v.Group] = append(byGroup[v.Group], v)
	}
	for _, group := range groups {
		fmt.Fprintf(w, "\n%s\t\t\n", strings.ToUpper(group))
		for _, v := range byGroup[group] {
			writeValue(w, v)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, warning := range config.Misspelled(os.Environ()) {
		printer().Warnf("%s", warning)
	}
	return nil
}

// writeValue writes one setting's line of `mage config`.
func writeValue(w *tabwriter.Writer, v config.Value) {
	val := v.Value
	if v.Secret && val != "" {
		val = "(set)"
		if v.Source == "default" {
			val = "(the original's default: set " + v.Name + " for shared machines)"
		}
	}
	if val == "" {
		val = "-"
	}
	fmt.Fprintf(w, "  %s\t%s\t%s\n", v.Name, val, v.Source)
}

// Status lists the out-of-date rules the main job (simulate:all) needs, with the reason; exit status 1 when any is.
func Status(ctx context.Context) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	main := map[*engine.Rule]bool{}
	for _, r := range engine.Closure(p.mainJob()...) {
		main[r] = true
	}
	verdicts, allErr := p.g.Evaluate(ctx, p.g.Rules()...)
	var evalErr error
	if allErr != nil {
		// Only what simulate:all needs decides the status: a rule it does
		// not need may lack a tool it would install when asked for.
		_, evalErr = p.g.Evaluate(ctx, p.mainJob()...)
	}
	out := p.g.UI()
	stale, needed := 0, 0
	var others []string
	for _, v := range verdicts {
		if main[v.Rule] {
			needed++
		}
		switch {
		case !v.Stale:
		case main[v.Rule]:
			stale++
			line := fmt.Sprintf(
				"%s %s — %s",
				out.Yellow("stale"),
				out.Bold(v.Rule.Target),
				strings.Join(v.Reasons, "; "),
			)
			if note := p.jobNote(ctx, v.Rule.Target); note != "" {
				line += " [" + note + "]"
			}
			out.Printf("%s", line)
		default:
			others = append(others, v.Rule.Target)
		}
	}
	if len(others) > 0 {
		out.Printf("%s", out.Dim("also stale, not needed by simulate:all: "+strings.Join(others, ", ")))
	}
	if stale == 0 && evalErr == nil {
		out.Printf("%s all %d rules simulate:all needs are up to date", out.Green("✔"), needed)
		return nil
	}
	msg := fmt.Sprintf(
		"%d of %d rules simulate:all needs are out of date (mage why <rule> explains one; DRY_RUN=1 mage simulate:all shows a plan)",
		stale,
		needed,
	)
	if evalErr != nil {
		msg += "\n" + evalErr.Error()
	}
	return &exitError{msg: msg, code: 1}
}

// Why explains one rule, or simulate:all (what it needs and what is stale): outputs, newest input, what the last run read, parameters, dependencies and verdict.
func Why(ctx context.Context, target string) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	target = strings.ReplaceAll(strings.TrimSpace(target), " ", ":")
	if target == ruleSimulateAll || target == "run_simulator" || target == "run" {
		return p.whyMain(ctx)
	}
	if _, ok := p.g.Rule(target); !ok {
		return fmt.Errorf(
			"no rule named %q%s; `mage why simulate:all` explains the main job, `mage status` lists what is stale",
			target,
			suggest.Hint(target, append(p.g.Names(), ruleSimulateAll)),
		)
	}
	rules, err := p.g.Lookup(target)
	if err != nil {
		return err
	}
	r := rules[0]
	v, deps, evalErr := p.g.Explain(ctx, r)
	out := p.g.UI()
	out.Printf("%s — %s", out.Bold(r.Target), r.Doc)
	p.whyOutputs(ctx, r, v)
	p.whyRecord(r, v)
	for _, d := range deps {
		if d.Rule == r {
			continue
		}
		state := out.Green("up to date")
		if d.Stale {
			state = out.Yellow("stale: " + d.Reason())
		}
		out.Printf("  needs  %s (%s)", d.Rule.Target, state)
	}
	p.whyVerdict(r.Target, v)
	return evalErr
}

// whyOutputs prints a rule's outputs, its cluster job and its newest input.
func (p *plan) whyOutputs(ctx context.Context, r *engine.Rule, v engine.Verdict) {
	out := p.g.UI()
	for _, o := range r.Outputs {
		if fi, err := os.Stat(o); err == nil {
			out.Printf("  output  %s (%s)", o, fi.ModTime().Format("2006-01-02 15:04:05.000"))
		} else {
			out.Printf("  output  %s (missing)", o)
		}
	}
	if note := p.jobNote(ctx, r.Target); note != "" {
		out.Printf("  cluster job  %s", note)
	}
	if v.Newest.Exists {
		out.Printf(
			"  newest input  %s (%s) of %d paths",
			v.Newest.Path,
			v.Newest.Mod.Format("2006-01-02 15:04:05.000"),
			v.Inputs,
		)
	}
}

// whyRecord prints what the build log remembers of a rule: its last run,
// what that run read, and the parameters.
func (p *plan) whyRecord(r *engine.Rule, v engine.Verdict) {
	out := p.g.UI()
	if rec := v.Record; rec != nil {
		if rec.Finished {
			out.Printf(
				"  last run  %s, %s, took %s",
				rec.Status,
				rec.End.Format(time.DateTime),
				ui.FormatDuration(rec.End.Sub(rec.Start)),
			)
		} else {
			out.Printf("  last run  started %s, never finished", rec.Start.Format(time.DateTime))
		}
		for _, path := range rec.LastReads().Paths() {
			out.Printf("  read  %s", path)
		}
	} else {
		out.Printf("  last run  none recorded")
	}
	keys := make([]string, 0, len(r.Params))
	for k := range r.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := r.Params[k]
		if len(val) > 60 || strings.Contains(val, "\n") {
			val = fmt.Sprintf("(%d bytes)", len(val))
		}
		out.Printf("  param  %s = %s", k, val)
	}
}

// whyVerdict prints whether the rule would run and why.
func (p *plan) whyVerdict(target string, v engine.Verdict) {
	out := p.g.UI()
	if !v.Stale {
		out.Printf("%s %s is up to date", out.Green("→"), target)
		return
	}
	out.Printf("%s %s would run:", out.Yellow("→"), target)
	for _, reason := range v.Reasons {
		out.Printf("    - %s", reason)
	}
}

// whyMain explains simulate:all: the rules it builds directly, every rule
// it needs and which of them are stale, with their reasons.
func (p *plan) whyMain(ctx context.Context) error {
	out := p.g.UI()
	top := p.mainJob()
	out.Printf(
		"%s — simulates every listed function (%s) and writes the report",
		out.Bold(ruleSimulateAll),
		strings.Join(p.sel.Functions, ", "),
	)
	for _, r := range top {
		out.Printf("  builds  %s — %s", r.Target, r.Doc)
	}
	verdicts, evalErr := p.g.Evaluate(ctx, top...)
	stale := 0
	for _, v := range verdicts {
		if v.Stale {
			stale++
		}
	}
	out.Printf("  needs  %d rules, %d of them stale", len(verdicts), stale)
	for _, v := range verdicts {
		if v.Stale {
			out.Printf("%s %s — %s", out.Yellow("stale"), out.Bold(v.Rule.Target), v.Reason())
		}
	}
	if stale == 0 && evalErr == nil {
		out.Printf("%s simulate:all is up to date: it would say nothing to do", out.Green("→"))
	} else {
		out.Printf("%s simulate:all would run the %d stale rules (DRY_RUN=1 mage simulate:all shows the plan; mage why <rule> explains one)", out.Yellow("→"), stale)
	}
	return evalErr
}

// Graph prints the pipeline as a Graphviz DOT graph (GRAPH_FORMAT=mermaid for Mermaid); stale rules are highlighted.
func Graph(ctx context.Context) error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	verdicts, _ := p.g.Evaluate(ctx, p.g.Rules()...)
	stale := map[string]bool{}
	for _, v := range verdicts {
		stale[v.Rule.Target] = v.Stale
	}
	if cfg.GraphFormat == "mermaid" {
		return engine.WriteMermaid(os.Stdout, p.g.Rules(), stale)
	}
	return engine.WriteDOT(os.Stdout, p.g.Rules(), stale)
}

// Kill stops the gem5, qemu and other processes this tool started in WORKING_DIR (checked by PID and start time, never by name) and cancels its Slurm jobs.
func Kill() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	out := ui.New(os.Stdout, os.Getenv("GITHUB_ACTIONS") == "true")
	reg := proc.ReadRegistry(filepath.Join(cfg.StateDir(), "pids"))
	who := fmt.Sprintf("mage kill (pid %d)", os.Getpid())
	jobs, jerr := killJobs(context.Background(), cfg, out, who)
	announceLongGraces(out, reg)
	stopped, err := reg.Kill(who, proc.DefaultGrace, nil)
	n := 0
	for _, s := range stopped {
		if !s.WasGone {
			n++
		}
		out.Printf("%s", s)
	}
	switch {
	case n == 0 && jobs == 0:
		out.Printf("nothing to stop: no process or Slurm job started by vswarmu-mage is running for %s", cfg.WorkingDir)
	case jobs > 0:
		out.Printf("stopped %d process group(s), cancelled %d Slurm job(s)", n, jobs)
	default:
		out.Printf("stopped %d process group(s)", n)
	}
	return errors.Join(jerr, err)
}

// announceLongGraces says which processes `mage kill` will wait for after
// SIGINT longer than its default (a gem5 build saving its state).
func announceLongGraces(out *ui.Printer, reg *proc.Registry) {
	entries, _ := reg.List()
	for _, e := range entries {
		if e.KillGrace.Interrupt > proc.DefaultGrace.Interrupt && len(e.Argv) > 0 && e.Running() {
			out.Printf("waiting up to %s for %s (pid %d, rule %s) to save its state after SIGINT",
				e.KillGrace.Interrupt, proc.Quote(e.Argv[:1]), e.PID, e.Rule)
		}
	}
}

// Clean removes WORKING_DIR (run scripts, checkpoints, results, logs, build log); resources stay.
func Clean() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	lock := filepath.Join(cfg.StateDir(), "lock")
	if f, err := os.OpenFile(lock, os.O_RDWR, 0); err == nil {
		defer f.Close()
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			return fmt.Errorf(
				"clean: %s is in use by a running build; stop it first (Ctrl-C, or mage kill)",
				cfg.WorkingDir,
			)
		}
	}
	if err := os.RemoveAll(cfg.WorkingDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clean %s: %w", cfg.WorkingDir, err)
	}
	fmt.Printf("removed %s\n", cfg.WorkingDir)
	return nil
}
