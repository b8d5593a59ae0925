package targets

import (
	"fmt"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
	"github.com/vswarmu/vswarmu-mage/targets/graph"
)

// pipeline is the whole workflow's graph for one configuration, with the
// rules the targets refer to by role.
type pipeline struct {
	cfg *config.Config
	g   *graph.Graph
}

// newPipeline makes the graph of every stage for cfg.
func newPipeline(cfg *config.Config, out *ui.Printer) (*pipeline, error) {
	g, err := graph.New(graph.Options{
		StateDir: cfg.StateDir(), LogDir: cfg.LogDir(), Jobs: cfg.Jobs,
		DryRun: cfg.DryRun, KeepGoing: cfg.KeepGoing, Force: cfg.Force,
		Verbose: cfg.Verbose, LockWait: cfg.LockWait, UI: out,
	})
	if err != nil {
		return nil, err
	}
	p := &pipeline{cfg: cfg, g: g}
	for _, add := range []func() error{} {
		if err := add(); err != nil {
			return nil, err
		}
	}
	if err := p.checkForce(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkForce rejects FORCE names that are not rules, before any work.
func (p *pipeline) checkForce() error {
	for _, f := range strings.Split(p.cfg.Force, ",") {
		f = strings.TrimSpace(f)
		if f == "" || f == "all" {
			continue
		}
		if _, ok := p.g.Rule(f); !ok {
			return fmt.Errorf("FORCE=%s: no rule named %q; rules are: all, %s", p.cfg.Force, f, strings.Join(p.g.Names(), ", "))
		}
	}
	return nil
}
