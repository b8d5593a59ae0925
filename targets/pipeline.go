package targets

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/simulate"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
	"github.com/vswarmu/vswarmu-mage/kernel"
	"github.com/vswarmu/vswarmu-mage/targets/graph"
)

// pipeline is the whole workflow's graph for one configuration, with the
// rules the targets refer to by role.
type pipeline struct {
	cfg *config.Config
	g   *graph.Graph

	gem5, m5 *graph.Rule // nil when GEM5 names a binary
	gem5Bin  string      // the gem5.opt simulations use

	kernel     *kernel.Build // nil when KERNEL names a vmlinux
	kernelSave *graph.Rule
	kernelPath string // the vmlinux guests boot

	imageBuild, imageRaw *graph.Rule // nil when DISK names an image
	diskPath, rawPath    string      // the qcow2 image qemu boots, the raw one gem5 reads

	client     *graph.Rule // nil when CLIENT names a binary
	clientPath string
	tools      *graph.Rule // client:tools: m5 and vswarmu-run
	files      simulate.Files

	warnOnce        sync.Once
	warnAtomicSetup sync.Once
	selection       *functions.Selection
	install         *functions.Install // nil when INSTALLED_DISK is used
	installRaw      *graph.Rule
	reference       *graph.Rule
	simDisk         string        // the raw disk gem5 boots
	simulations     []*graph.Rule // one per function
	functions       []string      // the functions to install and simulate
	report          *graph.Rule

	accelOnce   sync.Once
	accelChoice [2]string // qemu -accel and -cpu
	warnings    []string  // said once before a build
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
	for _, add := range []func() error{p.addGem5, p.addKernel, p.addClient, p.addImage, p.addFunctions, p.addSimulations, p.addReport} {
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

// build brings rules up to date, saying the configuration's warnings once.
func (p *pipeline) build(ctx context.Context, rules ...*graph.Rule) error {
	p.warnOnce.Do(func() {
		if p.cfg.DryRun {
			return
		}
		for _, w := range p.warnings {
			p.g.UI().Warnf("%s", w)
		}
	})
	return p.g.Build(ctx, rules...)
}

// present returns the rules that exist in this configuration (a stage
// replaced by a given file has none).
func present(rules ...*graph.Rule) []*graph.Rule {
	var out []*graph.Rule
	for _, r := range rules {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// mainJob are the rules simulate:all builds.
func (p *pipeline) mainJob() []*graph.Rule {
	return append(append([]*graph.Rule(nil), p.simulations...), p.report)
}
