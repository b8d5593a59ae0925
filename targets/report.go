package targets

import (
	"context"
	"errors"
	"fmt"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/results"
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
	r := p.report()
	r.Deps = nil
	return p.build(ctx, r)
}

// Check says per function whether its simulation succeeded, warned (fewer invocations), failed, hung or is suspect (its gem5 misexecutes what its image holds), and how to rerun it.
func (Report) Check() error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	checks := results.CheckAll(cfg.ResultsDir(), p.runNames(), cfg.NumInvocations)
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
		case results.Suspect:
			mark = out.Yellow("?")
			if !cfg.AcceptSuspect {
				mark = out.Red("✘")
				bad++
			}
		}
		label := ""
		if c.Standin {
			label = " " + out.Yellow("[STAND-IN: not a measurement]")
		}
		out.Printf("%s %-28s %-9s %s%s", mark, c.Run, c.Outcome, c.Reason, label)
	}
	if len(checks) == 0 {
		return fmt.Errorf("no simulations under %s: run mage simulate:all first", cfg.ResultsDir())
	}
	standin := standinNote(checks, cfg.ResultsDir())
	if standin != "" {
		out.Warnf("%s", standin)
	}
	if bad == 0 && standin != "" {
		out.Printf("all %d simulations succeeded (see the stand-in note above)", len(checks))
		return nil
	}
	if bad == 0 {
		out.Printf("all %d simulations succeeded", len(checks))
		return nil
	}
	msg := fmt.Sprintf("%d of %d simulations did not succeed", bad, len(checks))
	if rerun := results.Rerun(checks); len(rerun) > 0 {
		msg += "; to run them again:\n  " + strings.Join(rerun, "\n  ")
	}
	if slices.ContainsFunc(checks, func(c results.Check) bool { return c.Outcome == results.Suspect }) {
		msg += "\nsuspect runs: run them on a gem5 with the fix (gem5:build applies it), rebuild the image with Go 1.21 or later, or accept them with ACCEPT_SUSPECT=1"
	}
	return &exitError{code: 1, msg: msg}
}

// standinNote says how many checked runs the stand-in made, and whether
// they sit beside real ones ("" when none is the stand-in's).
func standinNote(checks []results.Check, dir string) string {
	n := 0
	for _, c := range checks {
		if c.Standin {
			n++
		}
	}
	switch {
	case n == 0:
		return ""
	case n == len(checks):
		return fmt.Sprintf("all %d runs were made by the stand-in gem5 (GEM5=standin): their numbers are not measurements", n)
	}
	return fmt.Sprintf("%d of %d runs under %s were made by the stand-in gem5 and sit beside real ones: "+
		"their numbers are not measurements; delete their directories or give stand-in runs their own WORKING_DIR", n, len(checks), dir)
}

// Steps prints, for the boot and each listed function's setup, the simulated instructions and host time of each step of its run script (the statistics dumped at each m5 fail code), and, with GUEST_CPU_TIMES=1, which programs took the guest's CPU time.
func (Report) Steps() error {
	_, p, err := load()
	if err != nil {
		return err
	}
	out, seen := p.g.UI(), 0
	for i, fn := range p.sel.Functions {
		s, err := p.simulation(fn)
		if err != nil {
			return err
		}
		dirs := [][2]string{{"setup " + fn, s.SetupDir()}}
		if i == 0 {
			dirs = append([][2]string{{"boot", s.BootDir()}}, dirs...)
		}
		for _, d := range dirs {
			steps, err := results.Steps(d[1])
			if err != nil {
				out.Printf("%s: no steps (%v)", d[0], err)
				continue
			}
			seen++
			out.Printf("%s (%s):", d[0], d[1])
			for _, st := range steps {
				out.Printf("  to m5 fail %-3d %-58s %12.1f M instructions  %s", st.Code, st.Meaning,
					st.Instructions/1e6, ui.FormatDuration(time.Duration(st.HostSeconds*float64(time.Second))))
			}
			printCPUShares(out, d[1])
		}
	}
	if seen == 0 {
		return errors.New("no boot or setup with step dumps yet: run mage simulate:all (runs made before step dumps have none)")
	}
	return nil
}

// printCPUShares says where the guest's CPU time went, from a setup's
// snapshots: from the boot to the setup's start (what the boot ran), and
// from there to its client's start (the function's start).
func printCPUShares(out *ui.Printer, dir string) {
	snaps, err := results.ReadCPUTimes(dir)
	if err != nil || len(snaps) < 2 {
		return // a run script from before the snapshots
	}
	spans := []struct {
		what            string
		earlier, latest results.CPUSnapshot
	}{{"the boot, to the setup's start", results.CPUSnapshot{}, snaps[0]}, {"the setup, to its client's start", snaps[0], snaps[1]}}
	for _, sp := range spans {
		busy, kernel := sp.latest.Busy(sp.earlier)
		if busy == 0 {
			continue
		}
		var parts []string
		for i, sh := range sp.latest.Since(sp.earlier) {
			if i == 8 {
				break
			}
			parts = append(parts, fmt.Sprintf("%s %.0f%%", sh.Comm, 100*float64(sh.Ticks)/float64(busy)))
		}
		out.Printf("  guest CPU time of %s: %d ticks busy (10 ms each), %.0f%% in the kernel; by program: %s",
			sp.what, busy, 100*float64(kernel)/float64(busy), strings.Join(parts, ", "))
	}
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
	return results.Compare(sets[0], sets[1]).
		Write(os.Stdout, filepath.Base(filepath.Clean(dirA)), filepath.Base(filepath.Clean(dirB)))
}

// report is report:write: the report of every run under results/, after
// the simulations of the list; it reruns only when a result changed.
func (p *plan) report() *engine.Rule {
	return p.rule(ruleReportWrite, func() (*engine.Rule, error) {
		c := p.cfg
		dir := c.ResultsDir()
		var inputs []string
		for _, f := range []string{"stats.txt", "stats.txt.gz", "config.json", "config.ini", "config.ini.gz", results.LogFile, results.MetaFile} {
			inputs = append(inputs, filepath.Join(dir, "*", f))
		}
		names := p.runNames()
		w := results.Writer{Dir: dir, Functions: names, Invocations: c.NumInvocations}
		return &engine.Rule{
			Doc: "write report.md, report.csv and report.html from the results", Outputs: w.Files(), Inputs: inputs,
			Deps: p.simulations(),
			Params: engine.Params{"runs": strings.Join(runDirs(dir, names), " "), "functions": strings.Join(names, " "),
				"NUM_INVOCATIONS": fmt.Sprint(c.NumInvocations)},
			Slots: -1,
			Recipe: recipe(func(ctx context.Context, j job.Job) error {
				rep, err := w.Write(j.Out)
				if rep != nil {
					p.summarize(rep)
				}
				return err
			}),
		}, nil
	})
}

// summarize prints the measured numbers of the current function list's
// runs on the terminal, and how many others the report holds.
func (p *plan) summarize(rep *results.Report) {
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
		mark := ""
		if r.Provenance.Standin {
			mark = " " + out.Yellow(results.StandinMark)
		}
		out.Printf(
			"  %-28s %-9s IPC %-9s %s instructions, %s cycles (%s)%s",
			r.Name,
			outcome[r.Name],
			ipc,
			c.Instructions.Value,
			c.Cycles.Value,
			c.Name,
			mark,
		)
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

// runNames are the names of the current configuration's evaluations'
// results (RunName: the function, and what sets the run apart).
func (p *plan) runNames() []string {
	out := make([]string, 0, len(p.sel.Functions))
	for _, fn := range p.sel.Functions {
		s, err := p.simulation(fn)
		if err != nil {
			out = append(out, fn)
			continue
		}
		out = append(out, s.RunName())
	}
	return out
}
