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
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// Test installs what the test suite needs.
type Test mg.Namespace

// DepInstall installs the packages the tests use beyond the stages' own (Chromium, protoc, scons, busybox, cpio, xorriso).
func (Test) DepInstall(ctx context.Context) error { return depInstall(ctx, "test:depInstall") }

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
	return w.Flush()
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
	verdicts, evalErr := p.g.Evaluate(ctx, p.g.Rules()...)
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
			line := fmt.Sprintf("%s %s — %s", out.Yellow("stale"), out.Bold(v.Rule.Target), strings.Join(v.Reasons, "; "))
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
	msg := fmt.Sprintf("%d of %d rules simulate:all needs are out of date (mage why <rule> explains one; DRY_RUN=1 mage simulate:all shows a plan)", stale, needed)
	if evalErr != nil {
		msg += "\n" + evalErr.Error()
	}
	return &exitError{msg: msg, code: 1}
}

// Why explains one rule: outputs, newest input, last run, parameters, dependencies and verdict.
func Why(ctx context.Context, target string) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	target = strings.ReplaceAll(strings.TrimSpace(target), " ", ":")
	rules, err := p.g.Lookup(target)
	if err != nil {
		return err
	}
	r := rules[0]
	v, deps, evalErr := p.g.Explain(ctx, r)
	out := p.g.UI()
	out.Printf("%s — %s", out.Bold(r.Target), r.Doc)
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
		out.Printf("  newest input  %s (%s) of %d paths", v.Newest.Path, v.Newest.Mod.Format("2006-01-02 15:04:05.000"), v.Inputs)
	}
	if rec := v.Record; rec != nil {
		if rec.Finished {
			out.Printf("  last run  %s, %s, took %s", rec.Status, rec.End.Format(time.DateTime), ui.FormatDuration(rec.End.Sub(rec.Start)))
		} else {
			out.Printf("  last run  started %s, never finished", rec.Start.Format(time.DateTime))
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
	if v.Stale {
		out.Printf("%s %s would run:", out.Yellow("→"), r.Target)
		for _, reason := range v.Reasons {
			out.Printf("    - %s", reason)
		}
	} else {
		out.Printf("%s %s is up to date", out.Green("→"), r.Target)
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
	jobs, jerr := killSlurmJobs(context.Background(), cfg, out, who)
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
			return fmt.Errorf("clean: %s is in use by a running build; stop it first (Ctrl-C, or mage kill)", cfg.WorkingDir)
		}
	}
	if err := os.RemoveAll(cfg.WorkingDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clean %s: %w", cfg.WorkingDir, err)
	}
	fmt.Printf("removed %s\n", cfg.WorkingDir)
	return nil
}
