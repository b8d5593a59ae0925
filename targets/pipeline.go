package targets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/download"
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
	p.adviseOnNetworkFailures()
	return p, nil
}

// networkAdvice says, for the rules that download, which settings avoid
// the network.
var networkAdvice = map[string]string{
	"gem5:source":    "set GEM5_REPO to a mirror or a local clone of gem5, or GEM5 to a gem5.opt you have",
	"kernel:source":  "set KERNEL_MIRROR to a kernel.org mirror you can reach, KERNEL_SOURCE to a local tarball or source directory, or KERNEL to a vmlinux you have",
	"image:base":     "set MIRROR to an apt mirror you can reach, or DISK to a disk image you have",
	"image:download": "set ISO_URL (and ISO_SHA256) to a copy you can reach, or use IMAGE_BUILDER=debootstrap",
}

// adviseOnNetworkFailures makes a network failure of a downloading rule
// say how to do without that server.
func (p *pipeline) adviseOnNetworkFailures() {
	for name, advice := range networkAdvice {
		r, ok := p.g.Rule(name)
		if !ok {
			continue
		}
		recipe := r.Recipe
		r.Recipe = func(ctx context.Context, j *graph.Job) error {
			err := recipe(ctx, j)
			if err != nil && download.IsNetwork(err) {
				return fmt.Errorf("%w (no network? %s)", err, advice)
			}
			return err
		}
	}
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
	if !p.cfg.DryRun {
		if err := p.checkWritable(rules); err != nil {
			return err
		}
		if err := p.autoInstall(ctx, rules); err != nil {
			return err
		}
	}
	p.warnOnce.Do(func() {
		if p.cfg.DryRun {
			return
		}
		for _, w := range p.warnings {
			p.g.UI().Warnf("%s", w)
		}
	})
	err := p.g.Build(ctx, rules...)
	var be *graph.BuildError
	if errors.As(err, &be) && !p.cfg.DryRun {
		// Each failure has had its line (with its log) and the summary
		// listed them: say it once more only in a word.
		return &exitError{code: be.ExitStatus(), msg: be.Short()}
	}
	return err
}

// checkWritable makes sure the directories the rules write to can be
// written, so a read-only one is named before any work: WORKING_DIR
// always, RESOURCES when a rule of the build makes something there.
func (p *pipeline) checkWritable(rules []*graph.Rule) error {
	dirs := []struct{ name, dir string }{{"WORKING_DIR", p.cfg.WorkingDir}}
	for _, r := range graph.Closure(rules...) {
		if slices.ContainsFunc(r.Outputs, func(o string) bool { return strings.HasPrefix(o, p.cfg.Resources+string(filepath.Separator)) }) {
			dirs = append(dirs, struct{ name, dir string }{"RESOURCES", p.cfg.Resources})
			break
		}
	}
	for _, d := range dirs {
		if err := writable(d.dir); err != nil {
			return fmt.Errorf("%s=%s is not writable (%v): point %s to a directory you can write", d.name, d.dir, err, d.name)
		}
	}
	return nil
}

// writable creates dir if needed and writes a file in it.
func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Unwrap(err)
	}
	f, err := os.CreateTemp(dir, ".vswarmu-writable-")
	if err != nil {
		if u := errors.Unwrap(err); u != nil {
			return u
		}
		return err
	}
	f.Close()
	return os.Remove(f.Name())
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
