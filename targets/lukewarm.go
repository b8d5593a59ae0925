package targets

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vswarmu/vswarmu-mage/client"
	"github.com/vswarmu/vswarmu-mage/functions"
	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/results"
)

// Lukewarm runs the lukewarm experiment for LUKEWARM_FUNCTIONS (default: the function list): one setup with all of them on core 1, then each measured back to back and interleaved with the others, and results-lukewarm/report.md.
func (Simulate) Lukewarm(ctx context.Context) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	if _, err := p.lukewarmSimulation("", ""); err != nil {
		return err
	}
	return build(ctx, ruleReportLukewarm)
}

// lukewarmPossible says whether the configuration can run the lukewarm
// experiment (its rules are declared only then).
func (p *plan) lukewarmPossible() bool {
	_, err := p.lukewarmSimulation("", "")
	return err == nil
}

// lukewarmSchedules are the two schedules every function is measured in.
var lukewarmSchedules = []string{client.BackToBack, client.Interleaved}

// lukewarmNames are the functions of the lukewarm set.
func (p *plan) lukewarmNames() []string {
	if len(p.cfg.LukewarmFunctions) > 0 {
		return p.cfg.LukewarmFunctions
	}
	return p.sel.Functions
}

// lukewarmSimulation is the lukewarm setup's simulation, or (measure,
// schedule) an evaluation's.
func (p *plan) lukewarmSimulation(measure, schedule string) (gem5configs.Simulation, error) {
	if p.cfg.ExecMode != functions.Process {
		return gem5configs.Simulation{}, fmt.Errorf(
			"simulate:lukewarm runs its functions as plain processes on core 1: set EXEC_MODE=process",
		)
	}
	names := p.lukewarmNames()
	if len(names) < 2 {
		return gem5configs.Simulation{}, fmt.Errorf(
			"LUKEWARM_FUNCTIONS=%s: the lukewarm experiment interleaves at least two functions",
			strings.Join(names, ","),
		)
	}
	if err := p.catalog().Validate(names); err != nil {
		return gem5configs.Simulation{}, fmt.Errorf("LUKEWARM_FUNCTIONS: %w", err)
	}
	s, err := p.simulation(names[0])
	if err != nil {
		return s, err
	}
	clients := make([]string, len(names))
	for i, n := range names {
		clients[i] = p.catalog().ClientName(n)
	}
	s.Function, s.Image = gem5configs.LukewarmName, ""
	// A dump per measured invocation: interleaved, the other functions'
	// invocations fall between the measured ones and must not count.
	s.Measurement = "per-invocation"
	s.Lukewarm = &gem5configs.Lukewarm{
		Set:      gem5configs.NewLukewarmSet(names, clients),
		Measure:  measure,
		Schedule: schedule,
	}
	s.Results = filepath.Join(p.cfg.WorkingDir, "results-lukewarm", "setup") // a failed setup's record
	if measure != "" {
		s.Results = gem5configs.LukewarmResults(p.cfg.WorkingDir, measure, schedule, s.Labels())
		s.Image = p.catalog().Project.Services[measure].Image
	}
	return s, nil
}

// lukewarmSetup is simulate:lukewarm:setup: the set's one checkpoint.
func (p *plan) lukewarmSetup() *engine.Rule {
	return p.rule("simulate:lukewarm:setup", func() (*engine.Rule, error) {
		s, err := p.lukewarmSimulation("", "")
		if err != nil {
			return nil, err
		}
		p.jobDirs["simulate:lukewarm:setup"] = s.SetupDir()
		needs := p.machineDeps()
		if boot := p.boot(); boot != nil {
			needs = append(needs, boot)
		}
		return &engine.Rule{
			Doc: "start " + strings.Join(
				p.lukewarmNames(),
				", ",
			) + " together on gem5, warm each, checkpoint", Outputs: []string{s.CheckpointDir()},
			Inputs: p.configInputs(), Deps: needs, Params: s.SetupDescription(), Slots: p.gem5Slots(), Recipe: recipe(s.Setup),
		}, nil
	})
}

// lukewarmEvaluation is simulate:lukewarm:<fn>:<schedule>.
func (p *plan) lukewarmEvaluation(fn, schedule string) *engine.Rule {
	name := "simulate:lukewarm:" + fn + ":" + schedule
	return p.rule(name, func() (*engine.Rule, error) {
		s, err := p.lukewarmSimulation(fn, schedule)
		if err != nil {
			return nil, err
		}
		p.jobDirs[name] = s.ResultsDir()
		return &engine.Rule{
			Doc: "restore the lukewarm checkpoint and measure " + fn + " " + schedule, Outputs: s.EvalOutputs(),
			Inputs: p.configInputs(), Deps: []*engine.Rule{p.lukewarmSetup()}, Params: s.EvalDescription(),
			InPlace: true, Slots: p.gem5Slots(), Recipe: recipe(s.Evaluate),
		}, nil
	})
}

// lukewarmLabels are the labels of the configuration's lukewarm runs
// (another system or core type than the default).
func (p *plan) lukewarmLabels() string {
	s, err := p.lukewarmSimulation("", "")
	if err != nil {
		return ""
	}
	return s.Labels()
}

// lukewarmReport is report:lukewarm: back to back against interleaved,
// per function.
func (p *plan) lukewarmReport() *engine.Rule {
	return p.rule(ruleReportLukewarm, func() (*engine.Rule, error) {
		var evals []*engine.Rule
		var inputs []string
		labels := p.lukewarmLabels()
		for _, fn := range p.lukewarmNames() {
			for _, sched := range lukewarmSchedules {
				evals = append(evals, p.lukewarmEvaluation(fn, sched))
				dir := gem5configs.LukewarmResults(p.cfg.WorkingDir, fn, sched, labels)
				inputs = append(inputs, filepath.Join(dir, "stats.txt"), filepath.Join(dir, results.MetaFile))
			}
		}
		w := results.LukewarmWriter{
			Dir:       filepath.Join(p.cfg.WorkingDir, "results-lukewarm"),
			Functions: p.lukewarmNames(),
			Labels:    labels,
		}
		return &engine.Rule{
			Doc: "write results-lukewarm/report.md and report.csv: each function back to back against interleaved", Outputs: w.Files(),
			Inputs: inputs, Deps: evals, Params: engine.Params{"functions": strings.Join(p.lukewarmNames(), " ")}, Slots: -1,
			Recipe: recipe(func(ctx context.Context, j job.Job) error {
				rows, err := w.Write(j.Out)
				for _, r := range rows {
					p.g.UI().Printf("  %s", r)
				}
				return err
			}),
		}, nil
	})
}
