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
	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/filekind"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/internal/suggest"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
	"github.com/vswarmu/vswarmu-mage/kernel"
	"github.com/vswarmu/vswarmu-mage/results"
)

// plan is the workflow's graph for one configuration. Every rule is
// declared once, by name, through plan.rule: a declaration asks for the
// rules it needs through their accessors (p.kernel(), p.disk(), ...),
// which declare them on first use, so declarations can come in any order
// and no declaration reads another's fields. A file the user gave instead
// of building it (GEM5=, KERNEL=, DISK=, ...) is a leaf of the graph: a
// rule without a recipe whose file must exist.
type plan struct {
	cfg   *config.Config
	g     *engine.Graph
	sel   *functions.Selection
	accel *qemu.Accelerator
	files gem5configs.Files // hashes of runs' inputs, shared by the simulations
	exec  gem5configs.Executor
	// jobDirs are the output directories of the rules that run gem5, by
	// rule: where a cluster job of theirs is found.
	jobDirs map[string]string

	mu       sync.Mutex
	declared map[string]*engine.Rule
	errs     []error         // declarations that failed
	said     map[string]bool // warnings said once
	warnings []string        // said before a build
}

// artifact is a file a step reads and the rule that provides it: the
// step that makes it, or a leaf for a file the user gave.
type artifact struct {
	path string
	rule *engine.Rule
}

// newPlan declares every rule of the configuration. Invalid combinations
// fail here, before any work.
func newPlan(cfg *config.Config, out *ui.Printer) (*plan, error) {
	g, err := engine.New(engine.Options{
		StateDir: cfg.StateDir(), LogDir: cfg.LogDir(), Jobs: cfg.Jobs,
		DryRun: cfg.DryRun, KeepGoing: cfg.KeepGoing, Force: cfg.Force,
		Verbose: cfg.Verbose, LockWait: cfg.LockWait, UI: out, Hints: cliHints(cfg),
		// Resources' records live with them: every working directory that
		// shares RESOURCES sees them, and runs on it take turns.
		Shared: []engine.Shared{{Name: "RESOURCES", Dir: cfg.Resources, StateDir: filepath.Join(cfg.Resources, ".vswarmu")}},
	})
	if err != nil {
		return nil, err
	}
	sel, err := functions.Select(cfg.ProjectDir, cfg.FunctionsYAML, cfg.Functions)
	if err != nil {
		return nil, err
	}
	exec, err := newExecutor(cfg)
	if err != nil {
		return nil, err
	}
	p := &plan{
		cfg:      cfg,
		g:        g,
		sel:      sel,
		exec:     exec,
		declared: map[string]*engine.Rule{},
		said:     map[string]bool{},
		jobDirs:  map[string]string{},
	}
	p.declareAll()
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	if err := p.checkForce(); err != nil {
		return nil, err
	}
	p.adviseOnFailures()
	return p, nil
}

// declareAll declares every rule of the configuration: the main job and
// every rule a target builds on its own.
func (p *plan) declareAll() {
	p.mainJob()
	p.gem5All()
	p.bootloader()
	p.imageRaw()
	p.client()
	p.tools()
	p.references()
	p.interpretedReferences("nodejs")
	p.interpretedReferences("python")
	if p.cfg.DriveDisk == "" {
		p.driveDisk() // functions:driveDisk, also with TOPOLOGY=single
	}
	if p.lukewarmPossible() {
		p.lukewarmReport()
	}
	if p.cfg.ResourcesFrom == "release" {
		p.download()
	} else {
		p.releaseArtifacts()
	}
}

// rule returns the rule named name, declaring it with decl on first use.
// A declaration that fails is remembered (newPlan reports it) and stands
// as a rule outside the graph.
func (p *plan) rule(name string, decl func() (*engine.Rule, error)) *engine.Rule {
	p.mu.Lock()
	r, ok := p.declared[name]
	p.mu.Unlock()
	if ok {
		return r
	}
	r, err := decl()
	if err == nil {
		r.Target = name
		err = p.g.Add(r)
	}
	if err != nil {
		p.errs = append(p.errs, err)
		r = &engine.Rule{Target: name}
	}
	p.mu.Lock()
	p.declared[name] = r
	p.mu.Unlock()
	return r
}

// given is the leaf for a file the user named with setting; before a
// rule that reads it runs, it must be of the setting's kind.
func (p *plan) given(setting, path string) artifact {
	r := p.rule("given:"+setting, func() (*engine.Rule, error) {
		return &engine.Rule{Doc: setting + "=" + path + ", given instead of building it", Outputs: []string{path},
			Preflight: func(context.Context) error { return p.checkGiven(setting, path) }}, nil
	})
	return artifact{path: path, rule: r}
}

// source is where an artifact comes from: the file its setting gives,
// else the release's artifact of releaseKind (RESOURCES_FROM=release),
// else what build declares.
func (p *plan) source(setting, given, releaseKind string, build func() artifact) artifact {
	switch {
	case given != "":
		return p.given(setting, given)
	case p.cfg.ResourcesFrom == "release":
		return p.fromRelease(releaseKind)
	}
	return build()
}

// givenKinds are what a file given for a setting must be, and what makes
// one.
var givenKinds = map[string]struct {
	kinds []filekind.Kind
	what  string
}{
	"KERNEL": {[]filekind.Kind{filekind.ELF}, "a vmlinux with gem5's options (kernel:save makes one)"},
	"DISK": {
		[]filekind.Kind{filekind.QCOW2, filekind.MBRDisk, filekind.GPTDisk},
		"a disk image (image:build makes one)",
	},
	"INSTALLED_DISK": {
		[]filekind.Kind{filekind.MBRDisk, filekind.GPTDisk},
		"a raw, partitioned disk image (functions:raw or functions:tiny makes one)",
	},
	"DRIVE_DISK": {
		[]filekind.Kind{filekind.MBRDisk, filekind.GPTDisk},
		"a raw, partitioned disk image (functions:driveDisk makes one)",
	},
	"GEM5":    {[]filekind.Kind{filekind.ELF, filekind.Script}, "a gem5.opt (gem5:build makes one), or standin"},
	"CLIENT":  {[]filekind.Kind{filekind.ELF}, "a static test-client (client:build makes one)"},
	"M5_UTIL": {[]filekind.Kind{filekind.ELF}, "gem5's m5 utility for ARCH (gem5:m5 makes one)"},
	"BOOTLOADER": {
		[]filekind.Kind{filekind.ELF},
		"gem5's arm64 boot loader, boot_foundation.arm64 (gem5:bootloader makes one)",
	},
}

// checkGiven refuses a given file that is plainly not what the setting
// names: an empty kernel, a text file as a disk. With the stand-in gem5 a
// device (/dev/null) stands for a file it never reads.
func (p *plan) checkGiven(setting, path string) error {
	want, ok := givenKinds[setting]
	if !ok {
		return nil
	}
	if k, err := filekind.Detect(path); err == nil && k == filekind.Device && p.cfg.Gem5 == "standin" {
		return nil
	}
	if err := filekind.Want(path, want.kinds...); err != nil {
		return fmt.Errorf("%s=%s: %w; it must be %s", setting, path, err, want.what)
	}
	return nil
}

// recipe adapts a stage's step to a rule's recipe.
func recipe(step func(context.Context, job.Job) error) func(context.Context, *engine.Job) error {
	return func(ctx context.Context, j *engine.Job) error { return step(ctx, j) }
}

// deps are the rules of artifacts.
func deps(as ...artifact) []*engine.Rule {
	out := make([]*engine.Rule, 0, len(as))
	for _, a := range as {
		if a.rule != nil && !slices.Contains(out, a.rule) {
			out = append(out, a.rule)
		}
	}
	return out
}

// checkForce rejects FORCE names that are not rules, before any work.
func (p *plan) checkForce() error {
	for _, f := range strings.Split(p.cfg.Force, ",") {
		f = strings.TrimSpace(f)
		if f == "" || f == "all" {
			continue
		}
		if _, ok := p.g.Rule(f); !ok {
			return fmt.Errorf(
				"FORCE=%s: no rule named %q%s; rules are: all, %s",
				p.cfg.Force,
				f,
				suggest.Hint(f, p.g.Names()),
				strings.Join(p.g.Names(), ", "),
			)
		}
	}
	return nil
}

// sayOnce warns once per invocation.
func (p *plan) sayOnce(key, format string, args ...any) {
	p.mu.Lock()
	done := p.said[key]
	p.said[key] = true
	p.mu.Unlock()
	if !done {
		p.g.UI().Warnf(format, args...)
	}
}

// networkAdvice says, for the rules that download, which settings avoid
// the network.
var networkAdvice = map[string]string{
	ruleGem5Source:    "set GEM5_REPO to a mirror or a local clone of gem5, or GEM5 to a gem5.opt you have",
	ruleKernelSource:  "set KERNEL_MIRROR to a kernel.org mirror you can reach, KERNEL_SOURCE to a local tarball or source directory, or KERNEL to a vmlinux you have",
	ruleImageBase:     "set MIRROR to an apt mirror you can reach, or DISK to a disk image you have",
	ruleImageDownload: "set ISO_URL (and ISO_SHA256) to a copy you can reach, or use IMAGE_BUILDER=debootstrap",
}

// adviseOnFailures makes a recipe's failure say what to do in the user's
// words: a network failure which settings avoid that server, a missing
// tool or package which depInstall target installs it.
func (p *plan) adviseOnFailures() {
	for _, r := range p.g.Rules() {
		name := r.Target
		if pre := r.Preflight; pre != nil {
			r.Preflight = func(ctx context.Context) error { return p.advise(name, pre(ctx)) }
		}
		if r.Leaf() {
			continue
		}
		recipe := r.Recipe
		r.Recipe = func(ctx context.Context, j *engine.Job) error {
			return p.advise(name, recipe(ctx, j))
		}
	}
}

// advise adds the advice for rule's failure err.
func (p *plan) advise(rule string, err error) error {
	var missing *apt.MissingToolsError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &missing):
		return fmt.Errorf(
			"%w: install them with `mage %s` (as root), or AUTO_INSTALL=1",
			err,
			depInstallFor(p.cfg, rule),
		)
	case download.IsNetwork(err) && networkAdvice[rule] != "":
		return fmt.Errorf("%w (no network? %s)", err, networkAdvice[rule])
	case errors.Is(err, results.ErrNoRuns):
		return fmt.Errorf("%w: run mage simulate:all first", err)
	}
	var pkg *kernel.MissingPackageError
	if errors.As(err, &pkg) {
		return fmt.Errorf("%w: `mage kernel:depInstall` installs it (with KERNEL_SOURCE=debian)", err)
	}
	return err
}

// build brings rules up to date, saying the configuration's warnings
// once, installing what the rules about to run need, and naming a
// directory that cannot be written before any work.
func (p *plan) build(ctx context.Context, rules ...*engine.Rule) error {
	if !p.cfg.DryRun {
		for _, w := range p.warnings {
			p.sayOnce(w, "%s", w)
		}
		if p.cfg.RootPassword == "root" && reaches(rules, ruleImageBuild) {
			const w = "the disk image's root password is the original's default \"root\"; set ROOT_PASSWORD on shared machines"
			p.sayOnce(w, "%s", w)
		}
		if err := p.checkWritable(rules); err != nil {
			return err
		}
		if err := p.preflightFailed(p.g.Preflight(ctx, rules...)); err != nil {
			return err
		}
		installed, err := p.autoInstall(ctx, rules)
		if err != nil {
			return err
		}
		if installed {
			if p, rules, err = p.replan(rules); err != nil {
				return err
			}
		}
		dieWithMageWrapper()
	} else {
		// A dry run says what a real one would stop on, and goes on.
		var pe *engine.PreflightError
		if errors.As(p.g.Preflight(ctx, rules...), &pe) {
			p.g.UI().Warnf("a real run would stop here: %v", pe)
		}
	}
	err := p.g.Build(ctx, rules...)
	var be *engine.BuildError
	if errors.As(err, &be) && !p.cfg.DryRun {
		// Each failure has had its line (with its log) and the summary
		// listed them: say it once more only in a word.
		return &exitError{code: be.ExitStatus(), msg: be.Short()}
	}
	return err
}

// replan declares the rules anew after an install, so that what they
// look up on the host (a tool's path, an input of theirs) names what was
// just installed: a rule declared before would record other inputs than
// the next run's plan, which would then run it again. It returns the new
// plan and its rules of the same names, and makes the new plan the
// session's.
func (p *plan) replan(rules []*engine.Rule) (*plan, []*engine.Rule, error) {
	fresh, err := newPlan(p.cfg, p.g.UI())
	if err != nil {
		return nil, nil, err
	}
	fresh.said, fresh.warnings = p.said, p.warnings
	names := make([]string, len(rules))
	for i, r := range rules {
		names[i] = r.Target
	}
	again, err := fresh.g.Lookup(names...)
	if err != nil {
		return nil, nil, err
	}
	adoptPlan(p, fresh)
	return fresh, again, nil
}

// preflightFailed says every problem found before the build, in one
// list, and stops it before anything was installed or built.
func (p *plan) preflightFailed(err error) error {
	if err == nil {
		return nil
	}
	var pe *engine.PreflightError
	if !errors.As(err, &pe) {
		return nil // a graph that cannot be judged: the build says why
	}
	return &exitError{code: 1, msg: err.Error() + "\nnothing was installed or built"}
}

// checkWritable makes sure the directories the rules write to can be
// written, so a read-only one is named before any work: WORKING_DIR
// always, RESOURCES when a rule of the build makes something there.
func (p *plan) checkWritable(rules []*engine.Rule) error {
	dirs := [][2]string{{"WORKING_DIR", p.cfg.WorkingDir}}
	for _, r := range engine.Closure(rules...) {
		if !r.Leaf() &&
			slices.ContainsFunc(
				r.Outputs,
				func(o string) bool { return strings.HasPrefix(o, p.cfg.Resources+string(filepath.Separator)) },
			) {
			dirs = append(dirs, [2]string{"RESOURCES", p.cfg.Resources})
			break
		}
	}
	for _, d := range dirs {
		if err := writable(d[1]); err != nil {
			return fmt.Errorf(
				"%s=%s is not writable (%v): point %s to a directory you can write",
				d[0],
				d[1],
				err,
				d[0],
			)
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

// mainJob are the rules simulate:all builds: the simulations, then the
// report of them.
func (p *plan) mainJob() []*engine.Rule {
	return append(p.simulations(), p.report())
}

// reaches reports whether target is among rules or what they build on.
func reaches(rules []*engine.Rule, target string) bool {
	return slices.ContainsFunc(engine.Closure(rules...), func(r *engine.Rule) bool { return r.Target == target })
}
