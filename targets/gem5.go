package targets

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/gem5"
	"github.com/vswarmu/vswarmu-mage/targets/graph"
)

// Gem5 builds the simulator (the original setup/gem5.Makefile).
type Gem5 mg.Namespace

// DepInstall installs gem5's apt build dependencies (as root or with sudo); what is installed already is skipped.
func (Gem5) DepInstall(ctx context.Context) error {
	return depInstall(ctx, "gem5:depInstall")
}

// Source clones GEM5_REPO into GEM5_DIR and checks out GEM5_VERSION.
func (Gem5) Source(ctx context.Context) error { return buildOrSkip(ctx, "gem5:source", "GEM5") }

// Build builds build/$GEM5_ARCH/gem5.opt with scons -j $JOBS; GEM5=/path/gem5.opt skips it.
func (Gem5) Build(ctx context.Context) error { return buildOrSkip(ctx, "gem5:build", "GEM5") }

// Term builds m5term (util/term), the terminal for a simulated system's console.
func (Gem5) Term(ctx context.Context) error { return buildOrSkip(ctx, "gem5:term", "GEM5") }

// M5 builds the guest's m5 utility (util/m5) for ARCH.
func (Gem5) M5(ctx context.Context) error { return buildOrSkip(ctx, "gem5:m5", "GEM5") }

// All builds gem5.opt, m5term and m5.
func (Gem5) All(ctx context.Context) error {
	return buildOrSkip(ctx, "gem5:build gem5:term gem5:m5", "GEM5")
}

// gem5Build is the gem5 build the configuration describes.
func (p *pipeline) gem5Build() gem5.Build {
	c := p.cfg
	return gem5.Build{Repo: c.Gem5Repo, Version: c.Gem5Version, Dir: c.Gem5Dir, Arch: c.Gem5Arch,
		GuestArch: c.Arch, Jobs: c.Jobs, CCache: c.CCache, CCacheDir: filepath.Join(c.Resources, "ccache"), Ruby: c.Gem5Ruby}
}

// addGem5 adds the gem5 rules, unless GEM5 names a binary to use instead.
func (p *pipeline) addGem5() error {
	b := p.gem5Build()
	if p.cfg.Gem5 != "" {
		p.gem5Bin = p.cfg.Gem5
		return nil
	}
	src := b.SourceRule()
	p.gem5 = b.BuildRule(src)
	p.m5 = b.M5Rule(src)
	p.gem5Bin = b.Binary()
	return p.g.Add(src, p.gem5, b.TermRule(src), p.m5)
}

// buildOrSkip builds the space-separated rules, or says which setting
// replaces them when an artifact path is configured instead.
func buildOrSkip(ctx context.Context, names, replacedBy string) error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	var rules []*graph.Rule
	for _, n := range strings.Fields(names) {
		if r, ok := p.g.Rule(n); ok {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		val := map[string]string{"GEM5": cfg.Gem5, "KERNEL": cfg.Kernel, "DISK": cfg.Disk, "CLIENT": cfg.Client}[replacedBy]
		p.g.UI().Printf("%s=%s is used instead: nothing to build for %s", replacedBy, val, names)
		return nil
	}
	return p.build(ctx, rules...)
}
