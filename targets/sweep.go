package targets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
	"github.com/vswarmu/vswarmu-mage/results"
	"github.com/vswarmu/vswarmu-mage/sweeps"
)

// Sweep simulates every point of sweeps/<name>.yaml for its functions, each restoring the function's one setup checkpoint, and writes the sweep's report.
func (Simulate) Sweep(ctx context.Context, name string) error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	s, err := p.loadSweep(name)
	if err != nil {
		return err
	}
	report := p.sweep(s)
	if len(p.errs) > 0 {
		return p.errs[0]
	}
	if cfg.DryRun {
		if err := p.sweepEstimate(ctx, s, report); err != nil {
			return err
		}
	}
	return p.build(ctx, report)
}

// loadSweep reads sweeps/<name>.yaml, checked against the systems, the
// function list and the checkpoints' client.
func (p *plan) loadSweep(name string) (*sweeps.Sweep, error) {
	dir := filepath.Join(p.cfg.ProjectDir, "sweeps")
	path := filepath.Join(dir, name+".yaml")
	if _, err := os.Stat(path); err != nil {
		names, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for i, n := range names {
			names[i] = strings.TrimSuffix(filepath.Base(n), ".yaml")
		}
		return nil, fmt.Errorf(
			"no sweep %q: %s does not exist (sweeps here: %s)",
			name,
			path,
			orNone(strings.Join(names, ", ")),
		)
	}
	cat, err := gem5configs.Systems(p.cfg.ProjectDir)
	if err != nil {
		return nil, err
	}
	k := sweeps.Knowledge{
		Systems:       map[string]sweeps.System{},
		DetailedCPUs:  cat.DetailedCPUs,
		MemoryModels:  gem5configs.MemoryKinds(),
		Functions:     p.sel.Functions,
		System:        p.cfg.System,
		AtomicWarming: p.cfg.AtomicWarming,
		Invocations:   p.cfg.NumInvocations,
	}
	for _, sys := range cat.Systems {
		k.Systems[sys.Name] = sweeps.System{Levels: sys.Levels}
	}
	if len(p.sel.Functions) > 0 {
		if base, err := p.simulation(p.sel.Functions[0]); err == nil {
			k.ClientInvocations = base.ClientInvocations()
		}
	}
	return sweeps.Load(path, k)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sweepDir holds a sweep's runs and report.
func (p *plan) sweepDir(s *sweeps.Sweep) string {
	return filepath.Join(p.cfg.WorkingDir, "sweeps", s.Name)
}

func sweepFunctions(s *sweeps.Sweep, p *plan) []string {
	if len(s.Functions) > 0 {
		return s.Functions
	}
	return p.sel.Functions
}

// sweep declares a rule per point and function, each depending on that
// function's setup, and report:sweep:<name> after them.
func (p *plan) sweep(s *sweeps.Sweep) *engine.Rule {
	var points []*engine.Rule
	for _, pt := range s.Points {
		for _, fn := range sweepFunctions(s, p) {
			points = append(points, p.sweepPoint(s, pt, fn))
		}
	}
	return p.rule("report:sweep:"+s.Name, func() (*engine.Rule, error) {
		rep := results.Sweep{
			Name:      s.Name,
			Dir:       p.sweepDir(s),
			Baseline:  s.Baseline.Name(),
			Functions: sweepFunctions(s, p),
		}
		for _, pt := range s.Points {
			sp := results.SweepPoint{Name: pt.Name()}
			for _, v := range pt {
				sp.Values = append(sp.Values, [2]string{v.Param, v.Value})
			}
			rep.Points = append(rep.Points, sp)
		}
		var names []string
		for _, pt := range rep.Points {
			names = append(names, pt.Name)
		}
		return &engine.Rule{
			Doc: "write the report of sweep " + s.Name, Outputs: rep.Files(), Deps: points, Slots: -1,
			Params: engine.Params{
				"points":    strings.Join(names, " "),
				"baseline":  rep.Baseline,
				"functions": strings.Join(rep.Functions, " "),
			},
			Recipe: recipe(func(_ context.Context, j job.Job) error { return rep.Write(j.Out) }),
		}, nil
	})
}

// sweepPoint is simulate:sweep:<name>:<point>:<fn>: the function's
// checkpoint restored and measured with the point's parameters.
func (p *plan) sweepPoint(s *sweeps.Sweep, pt sweeps.Point, fn string) *engine.Rule {
	name := "simulate:sweep:" + s.Name + ":" + pt.Name() + ":" + fn
	return p.rule(name, func() (*engine.Rule, error) {
		sim, err := p.simulation(fn)
		if err != nil {
			return nil, err
		}
		applyPoint(&sim, pt)
		sim.Results = filepath.Join(p.sweepDir(s), pt.Name(), fn)
		p.jobDirs[name] = sim.ResultsDir()
		return &engine.Rule{
			Doc: "restore " + fn + "'s checkpoint and measure it at point " + pt.Name(), Outputs: sim.EvalOutputs(),
			Inputs: p.configInputs(), Deps: []*engine.Rule{p.setup(fn)}, Params: sim.EvalDescription(),
			InPlace: true, Slots: p.gem5Slots(), Recipe: recipe(sim.Evaluate),
		}, nil
	})
}

// applyPoint sets the simulation's fields the point sweeps and passes the
// other parameters as run_sim.py options.
func applyPoint(sim *gem5configs.Simulation, pt sweeps.Point) {
	sim.Point = pt.Name()
	for _, v := range pt {
		switch v.Param {
		case "system":
			sim.System = v.Value
		case "detailed_cpu":
			sim.DetailedCPU = v.Value
		case "num_invocations":
			sim.Invocations, _ = strconv.Atoi(v.Value)
		case "atomic_warming":
			sim.AtomicWarming, _ = strconv.Atoi(v.Value)
		default:
			sim.Overrides = append(sim.Overrides, sweeps.ArgOf(v.Param), v.Value)
		}
	}
}

// sweepEstimate says, for a dry run, how many points and setups would run
// and how long that takes by the durations of earlier runs in the build
// log.
func (p *plan) sweepEstimate(ctx context.Context, s *sweeps.Sweep, report *engine.Rule) error {
	verdicts, err := p.g.Evaluate(ctx, engine.Closure(report)...)
	if err != nil {
		return err
	}
	var evals, setups, total int
	var estimate time.Duration
	unknown := 0
	for _, v := range verdicts {
		name := v.Rule.Target
		switch {
		case strings.HasPrefix(name, "simulate:sweep:"):
			total++
		case !strings.HasPrefix(name, "simulate:setup:"):
			continue
		}
		if !v.Stale {
			continue
		}
		fn := name[strings.LastIndex(name, ":")+1:]
		d, ok := p.typicalDuration(name, fn)
		if !ok {
			unknown++
		}
		estimate += d
		if strings.HasPrefix(name, "simulate:setup:") {
			setups++
		} else {
			evals++
		}
	}
	msg := fmt.Sprintf(
		"sweep %s: %d of %d evaluations to run (%d points × %d functions) and %d setups; about %s by earlier runs",
		s.Name,
		evals,
		total,
		len(s.Points),
		len(sweepFunctions(s, p)),
		setups,
		ui.FormatDuration(estimate),
	)
	if unknown > 0 {
		msg += fmt.Sprintf(" (%d with no earlier run of their kind to go by)", unknown)
	}
	p.g.UI().Printf("%s", msg)
	return nil
}

// typicalDuration is how long a rule like name took before: its own last
// run, else the mean of the same function's evaluations (or setups).
func (p *plan) typicalDuration(name, fn string) (time.Duration, bool) {
	prefixes := []string{name}
	if strings.HasPrefix(name, "simulate:setup:") {
		prefixes = append(prefixes, "simulate:setup:")
	} else {
		prefixes = append(prefixes, "simulate:sweep:", "simulate:fn:"+fn)
	}
	for _, prefix := range prefixes {
		var sum time.Duration
		n := 0
		for _, r := range p.g.LastRuns(prefix) {
			if prefix == "simulate:sweep:" && !strings.HasSuffix(r.Target(), ":"+fn) {
				continue
			}
			sum += r.End.Sub(r.Start)
			n++
		}
		if n > 0 {
			return sum / time.Duration(n), true
		}
	}
	return 0, false
}
