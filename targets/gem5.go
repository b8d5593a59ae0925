package targets

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/magefile/mage/mg"

	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
	"github.com/vswarmu/vswarmu-mage/results"
)

// Gem5 builds the simulator (the original setup/gem5.Makefile).
type Gem5 mg.Namespace

// DepInstall installs gem5's apt build dependencies (with GEM5=<gem5.opt>, the libraries it lacks); what is installed already is skipped.
func (Gem5) DepInstall(ctx context.Context) error { return depInstall(ctx, ruleGem5DepInstall) }

// Source clones GEM5_REPO into GEM5_DIR and checks out GEM5_VERSION.
func (Gem5) Source(ctx context.Context) error { return buildOrSkip(ctx, ruleGem5Source, "GEM5") }

// Patch applies GEM5_PATCHES (the project's gem5 fixes, gem5-configs/patches) to the checkout; GEM5_PATCHES=none takes them out.
func (Gem5) Patch(ctx context.Context) error { return buildOrSkip(ctx, ruleGem5Patch, "GEM5") }

// Probe runs a small x86 program in gem5's syscall-emulation mode on the gem5 simulations use (GEM5's or gem5:build's), once per binary, and says which known misdecodes it has.
func (Gem5) Probe(ctx context.Context) error { return buildOrSkip(ctx, ruleGem5Probe, "GEM5") }

// Build builds build/$GEM5_ARCH/gem5.opt with scons -j $JOBS; GEM5=/path/gem5.opt skips it.
func (Gem5) Build(ctx context.Context) error { return buildOrSkip(ctx, ruleGem5Build, "GEM5") }

// Term builds m5term (util/term), the terminal for a simulated system's console.
func (Gem5) Term(ctx context.Context) error { return buildOrSkip(ctx, ruleGem5Term, "GEM5") }

// M5 builds the guest's m5 utility (util/m5) for ARCH.
func (Gem5) M5(ctx context.Context) error { return buildOrSkip(ctx, ruleGem5M5, "GEM5") }

// Bootloader builds the Arm board's boot loader (ARCH=arm64) from gem5's system/arm/bootloader; BOOTLOADER=/path skips it.
func (Gem5) Bootloader(ctx context.Context) error {
	return buildOrSkip(ctx, ruleGem5Bootloader, "BOOTLOADER")
}

// All builds gem5.opt, m5term and m5.
func (Gem5) All(ctx context.Context) error {
	return buildOrSkip(ctx, "gem5:build gem5:term gem5:m5", "GEM5")
}

// gem5Build is the gem5 build the configuration describes.
func (p *plan) gem5Build() gem5configs.Build {
	c := p.cfg
	return gem5configs.Build{Repo: c.Gem5Repo, Version: c.Gem5Version, Dir: c.Gem5Dir, Arch: c.Gem5Arch,
		GuestArch: c.Arch, Jobs: c.Jobs, CCache: c.CCache, CCacheDir: filepath.Join(c.Resources, "ccache"), Ruby: c.Gem5Ruby,
		Patches: c.Gem5Patches}
}

// gem5 is the gem5.opt simulations run: GEM5's (or the stand-in), else
// gem5:build's.
func (p *plan) gem5() artifact {
	switch c := p.cfg; c.Gem5 {
	case "standin":
		path, err := gem5configs.Standin(c.ProjectDir, filepath.Join(c.WorkingDir, "gem5-configs"), c.Gem5Arch)
		if err != nil {
			p.errs = append(p.errs, err)
		}
		return p.given("GEM5", path)
	case "":
		b := p.gem5Build()
		return artifact{path: b.Binary(), rule: p.rule(ruleGem5Build, func() (*engine.Rule, error) {
			return &engine.Rule{
				Doc: "build gem5.opt for GEM5_ARCH with scons", Outputs: []string{b.Binary()}, Inputs: b.CompileInputs(),
				Deps: []*engine.Rule{p.gem5Source(), p.gem5Patch()}, Params: p.gem5CompileParams(b), InPlace: true,
				Slots:  b.Jobs, // scons -j JOBS uses every slot
				Space:  6 << 30,
				Recipe: func(ctx context.Context, j *engine.Job) error { return b.Compile(ctx, j) },
			}, nil
		})}
	default:
		return p.given("GEM5", c.Gem5)
	}
}

// gem5Source is gem5:source: the checkout, at GEM5_VERSION.
func (p *plan) gem5Source() *engine.Rule {
	b := p.gem5Build()
	return p.rule(ruleGem5Source, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc: "clone gem5 and check out GEM5_VERSION", Outputs: []string{b.Head()},
			Params:  engine.Params{"GEM5_REPO": b.Repo, "GEM5_VERSION": b.Version},
			InPlace: true, Tree: b.Dir, // the build and the utilities read files of the checkout
			Slots:     -1,
			Space:     1 << 30,
			Check:     b.CheckoutStale,
			Preflight: b.Preflight,
			Recipe:    func(ctx context.Context, j *engine.Job) error { return b.Checkout(ctx, j) },
		}, nil
	})
}

// gem5Patches is GEM5_PATCHES' set in one line, for the rules'
// parameters (an unreadable set is a plan error).
func (p *plan) gem5Patches() string {
	set, err := gem5configs.ReadPatches(p.cfg.Gem5Patches)
	if err != nil {
		p.errs = append(p.errs, err)
	}
	return gem5configs.DescribePatches(set)
}

// gem5CompileParams are what shapes gem5.opt besides its sources: the
// build's description and the patch set.
func (p *plan) gem5CompileParams(b gem5configs.Build) engine.Params {
	params := engine.Params(b.CompileDescription())
	params["GEM5_PATCHES"] = p.gem5Patches()
	return params
}

// gem5Patch is gem5:patch: GEM5_PATCHES applied to the checkout.
func (p *plan) gem5Patch() *engine.Rule {
	b := p.gem5Build()
	return p.rule(ruleGem5Patch, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc: "apply GEM5_PATCHES to the gem5 checkout", Outputs: []string{b.PatchStamp()},
			Inputs: b.PatchFiles(), Deps: []*engine.Rule{p.gem5Source()},
			Params:  engine.Params{"GEM5_PATCHES": p.gem5Patches()},
			InPlace: true, Slots: -1, Check: b.PatchesStale,
			Recipe: func(ctx context.Context, j *engine.Job) error { return b.ApplyPatches(ctx, j) },
		}, nil
	})
}

// prober probes the gem5 simulations use for the known misdecodes (nil
// for an ARM gem5: the probe is x86 code).
// config is the run_sim.py gem5 runs (probe.py lies beside it).
func (p *plan) prober(config string) *gem5configs.Prober {
	c := p.cfg
	if c.Gem5Arch != "X86" {
		return nil
	}
	return &gem5configs.Prober{Configs: filepath.Dir(config), Cache: filepath.Join(c.Resources, "gem5-probes"),
		Standin: c.Gem5 == "standin", Files: &p.files}
}

// gem5Probe is gem5:probe: the probe run on the gem5 simulations use,
// said on the terminal and kept in WORKING_DIR/gem5-probe.json (each
// binary is probed once; simulations ask the same Prober).
func (p *plan) gem5Probe() *engine.Rule {
	config, _, err := gem5configs.Config(p.cfg.ProjectDir, filepath.Join(p.cfg.WorkingDir, "gem5-configs"))
	if err != nil {
		p.errs = append(p.errs, err)
	}
	g, pr := p.gem5(), p.prober(config)
	out := filepath.Join(p.cfg.WorkingDir, "gem5-probe.json")
	return p.rule(ruleGem5Probe, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc:     "probe the gem5 simulations use for the instructions it is known to misexecute",
			Outputs: []string{out}, Inputs: []string{g.path}, Deps: deps(g), Slots: 1,
			Params: engine.Params{"probe": misdecode.ProbeVersion(), "GEM5_ARCH": p.cfg.Gem5Arch},
			Recipe: func(ctx context.Context, j *engine.Job) error {
				r := &results.Gem5Probe{Error: "not probed: GEM5_ARCH=" + p.cfg.Gem5Arch + " (the probe is x86 code; the misdecodes it knows are of gem5's X86 decoder)"}
				if pr != nil {
					var err error
					if r, err = pr.Probe(ctx, j, g.path); err != nil {
						return err
					}
				}
				p.g.UI().Printf("%s: %s", g.path, gem5configs.DescribeProbe(r))
				b, err := json.MarshalIndent(r, "", "  ")
				if err != nil {
					return err
				}
				return os.WriteFile(j.Out(out), append(b, '\n'), 0o644)
			},
		}, nil
	})
}

// gem5All declares gem5's rules (the probe only when GEM5 names a binary).
func (p *plan) gem5All() {
	p.gem5Probe()
	if p.cfg.Gem5 != "" {
		return
	}
	p.gem5()
	p.gem5Term()
	p.gem5M5()
}

// gem5Term is gem5:term: m5term.
func (p *plan) gem5Term() *engine.Rule {
	b := p.gem5Build()
	return p.rule(ruleGem5Term, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc: "build m5term, the terminal for a simulated system's console", Outputs: []string{b.M5Term()},
			Inputs: b.TermInputs(), Deps: []*engine.Rule{p.gem5Source()}, InPlace: true,
			Recipe: func(ctx context.Context, j *engine.Job) error { return b.BuildTerm(ctx, j) },
		}, nil
	})
}

// gem5M5 is gem5:m5: gem5's own m5 utility for the guest.
func (p *plan) gem5M5() artifact {
	b := p.gem5Build()
	return artifact{path: b.M5(), rule: p.rule(ruleGem5M5, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc: "build the guest's m5 utility for ARCH", Outputs: []string{b.M5()}, Inputs: b.M5Inputs(),
			Deps: []*engine.Rule{p.gem5Source()}, Params: engine.Params{"ARCH": b.GuestArch}, InPlace: true,
			Recipe: func(ctx context.Context, j *engine.Job) error { return b.BuildM5(ctx, j) },
		}, nil
	})}
}

// bootloader is the Arm board's boot loader: BOOTLOADER's, else
// gem5:bootloader's, built from gem5's source (also when GEM5 names a
// binary: the boot loader is not part of it).
func (p *plan) bootloader() artifact {
	if p.cfg.Bootloader != "" {
		return p.given("BOOTLOADER", p.cfg.Bootloader)
	}
	b := p.gem5Build()
	return artifact{path: b.Bootloader(), rule: p.rule(ruleGem5Bootloader, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc: "build the Arm board's boot loader (boot_foundation.arm64) from gem5's source", Outputs: []string{b.Bootloader()},
			Inputs: b.BootloaderInputs(), Deps: []*engine.Rule{p.gem5Source()}, InPlace: true,
			Recipe: func(ctx context.Context, j *engine.Job) error { return b.BuildBootloader(ctx, j) },
		}, nil
	})}
}
