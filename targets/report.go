package targets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/results"
	"github.com/vswarmu/vswarmu-mage/targets/graph"
)

// Report turns gem5's outputs in WORKING_DIR/results into tables and plots.
type Report mg.Namespace

// Write writes results/report.md, report.csv and report.html (with IPC and MPKI plots) from every run under WORKING_DIR/results; it simulates nothing.
func (Report) Write(ctx context.Context) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	// The report of what is there: results copied from another machine
	// need no gem5 here (simulate:all writes it after its simulations).
	p.report.Deps = nil
	return p.build(ctx, p.report)
}

// Check says per function whether its simulation succeeded, warned (fewer invocations), failed or hung, and how to rerun it.
func (Report) Check() error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	checks := results.CheckAll(cfg.ResultsDir(), p.functions, cfg.NumInvocations)
	out := p.g.UI()
	bad := 0
	for _, c := range checks {
		mark := out.Green("✔")
		switch c.Outcome {
		case results.Warn:
			mark = out.Yellow("!")
			bad++
		case results.Failed, results.Hung:
			mark = out.Red("✘")
			bad++
		}
		out.Printf("%s %-28s %-9s %s", mark, c.Run, c.Outcome, c.Reason)
	}
	if len(checks) == 0 {
		return fmt.Errorf("no simulations under %s: run mage simulate:all first", cfg.ResultsDir())
	}
	if bad == 0 {
		out.Printf("all %d simulations succeeded", len(checks))
		return nil
	}
	return &exitError{code: 1, msg: fmt.Sprintf("%d of %d simulations did not succeed; to run them again:\n  %s",
		bad, len(checks), strings.Join(results.Rerun(checks), "\n  "))}
}

// Compare prints per-metric differences between two result directories, such as two gem5 versions or systems.
func (Report) Compare(dirA, dirB string) error {
	var sets [2][]*results.Run
	for i, d := range []string{dirA, dirB} {
		runs, errs := results.LoadResults(d)
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		if len(runs) == 0 {
			return fmt.Errorf("report:compare: no run (a directory with stats.txt) under %s", d)
		}
		sets[i] = runs
	}
	return results.Compare(sets[0], sets[1]).Write(os.Stdout, filepath.Base(filepath.Clean(dirA)), filepath.Base(filepath.Clean(dirB)))
}

// addReport adds the report rule: it reads every results directory and
// reruns only when a result changed.
func (p *pipeline) addReport() error {
	dir := p.cfg.ResultsDir()
	out := func(ext string) string { return filepath.Join(dir, "report."+ext) }
	var inputs []string
	for _, f := range []string{"stats.txt", "config.json", "config.ini", results.LogFile, results.MetaFile} {
		inputs = append(inputs, filepath.Join(dir, "*", f))
	}
	p.report = &graph.Rule{
		Target:  "report:write",
		Doc:     "write report.md, report.csv and report.html from the results",
		Outputs: []string{out("md"), out("csv"), out("html")},
		Inputs:  inputs,
		Deps:    p.simulations,
		Params: graph.Params{"runs": strings.Join(runDirs(dir, p.functions), " "), "functions": strings.Join(p.functions, " "),
			"NUM_INVOCATIONS": fmt.Sprint(p.cfg.NumInvocations)},
		Slots: -1,
		Recipe: func(ctx context.Context, j *graph.Job) error {
			rep := results.Build(dir, p.functions, p.cfg.NumInvocations)
			if len(rep.Runs) == 0 && len(rep.Errors) == 0 {
				return fmt.Errorf("no run (a directory with stats.txt) under %s: run mage simulate:all first", dir)
			}
			for ext, write := range map[string]func(*os.File) error{
				"md":   func(f *os.File) error { return rep.WriteMarkdown(f) },
				"csv":  func(f *os.File) error { return rep.WriteCSV(f) },
				"html": func(f *os.File) error { return rep.WriteHTML(f) },
			} {
				f, err := os.Create(j.Out(out(ext)))
				if err != nil {
					return err
				}
				if err := write(f); err != nil {
					f.Close()
					return fmt.Errorf("report.%s: %w", ext, err)
				}
				if err := f.Close(); err != nil {
					return err
				}
			}
			p.summarize(rep)
			return errors.Join(rep.Errors...)
		},
	}
	return p.g.Add(p.report)
}

// summarize prints the measured numbers of the current function list's
// runs on the terminal, and how many others the report holds.
func (p *pipeline) summarize(rep *results.Report) {
	out := p.g.UI()
	outcome := map[string]results.Outcome{}
	for _, c := range rep.Checks {
		outcome[c.Run] = c.Outcome
	}
	others := 0
	for _, r := range rep.Runs {
		if !rep.Current[r.Name] {
			others++
			continue
		}
		_, c, ok := r.Measured()
		if !ok {
			out.Printf("  %-28s %s", r.Name, r.Why)
			continue
		}
		_, ipc := c.IPCValue()
		out.Printf("  %-28s %-9s IPC %-9s %s instructions, %s cycles (%s)", r.Name, outcome[r.Name], ipc, c.Instructions.Value, c.Cycles.Value, c.Name)
	}
	if others > 0 {
		out.Printf("  (and %d runs of functions not in the current list; the report has them too)", others)
	}
	out.Printf("report: %s", filepath.Join(rep.Dir, "report.{md,csv,html}"))
}

// runDirs lists the runs a report covers: the directories under dir and
// those the simulations will make, so adding or removing a run changes the
// report's parameters but simulating the expected ones does not.
func runDirs(dir string, expected []string) []string {
	seen := map[string]bool{}
	for _, e := range expected {
		seen[e] = true
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if e.IsDir() {
			seen[e.Name()] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
