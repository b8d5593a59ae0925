package targets

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/functions"
	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/internal/simulate"
	"github.com/vswarmu/vswarmu-mage/kernel"
	"github.com/vswarmu/vswarmu-mage/targets/graph"
)

// Functions installs the serverless functions into the disk (the original simulation/Makefile's install_functions).
type Functions mg.Namespace

// Install boots the disk in qemu, loads or pulls every listed function's containers and invokes each once.
func (Functions) Install(ctx context.Context) error { return build(ctx, "functions:install") }

// Raw converts the installed disk to the raw format gem5 reads.
func (Functions) Raw(ctx context.Context) error { return build(ctx, "functions:raw") }

// Check says which functions the last install proved to work.
func (Functions) Check() error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	if p.install == nil {
		return fmt.Errorf("INSTALLED_DISK=%s is used: nothing was installed by this tool", cfg.InstalledDisk)
	}
	status, err := functions.Installed(p.install.Summary())
	if err != nil {
		return fmt.Errorf("no install record (%v): run mage functions:install", err)
	}
	var bad []string
	for _, fn := range p.functions {
		v, ok := status[fn]
		switch {
		case !ok:
			v = "not installed"
			fallthrough
		case v != "ok":
			bad = append(bad, fn)
			p.g.UI().Printf("%s %s: %s", p.g.UI().Red("✘"), fn, v)
		default:
			p.g.UI().Printf("%s %s", p.g.UI().Green("✔"), fn)
		}
	}
	if len(bad) > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("%d functions are not installed: %s", len(bad), strings.Join(bad, " "))}
	}
	return nil
}

// List prints the functions this configuration simulates, where the list comes from, and the images they need.
func (Functions) List() error {
	_, p, err := load()
	if err != nil {
		return err
	}
	fmt.Printf("functions (from %s):\n", p.selection.ListFrom)
	for _, fn := range p.functions {
		fmt.Printf("  %s\n", fn)
	}
	fmt.Printf("images (from %s):\n", p.selection.Catalog.Path)
	for _, img := range p.selection.Catalog.Images(p.functions) {
		fmt.Printf("  %s\n", img)
	}
	return nil
}

// Tiny makes the tiny disk (INSTALLED_DISK=tiny): busybox, gem5init, m5, the client and the reference functions as plain processes, to check a gem5 in minutes.
func (Functions) Tiny(ctx context.Context) error { return build(ctx, "functions:tiny") }

// Reference builds docker archives of the Go reference functions (fibonacci-go, aes-go, auth-go) for IMAGES=reference.
func (Functions) Reference(ctx context.Context) error { return build(ctx, "functions:reference") }

// Simulate runs the functions on gem5 (the original simulation/Makefile's run_simulator).
type Simulate mg.Namespace

// Setup boots one function on gem5's KVM cores and checkpoints it after the warm-up.
func (Simulate) Setup(ctx context.Context, function string) error {
	return buildFunction(ctx, "simulate:setup:", function)
}

// Fn simulates one function: setup if needed, then the measured evaluation run.
func (Simulate) Fn(ctx context.Context, function string) error {
	return buildFunction(ctx, "simulate:fn:", function)
}

// buildFunction builds a function's rule, or says that the function is
// not in the list (and how to select it).
func buildFunction(ctx context.Context, prefix, function string) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	if !slices.Contains(p.functions, function) {
		hint := "FUNCTIONS=" + function + " selects it"
		if _, ok := p.selection.Catalog.Project.Services[function]; !ok {
			hint = fmt.Sprintf("%s does not define it either (functions there: %s)", p.selection.Catalog.Path,
				strings.Join(p.selection.Catalog.Functions(), ", "))
		}
		return fmt.Errorf("%s is not in the function list (%s: %s); %s", function, p.selection.ListFrom,
			strings.Join(p.functions, " "), hint)
	}
	return build(ctx, prefix+function)
}

// All simulates every listed function (JOBS at a time) and writes the report: the main job.
func (Simulate) All(ctx context.Context) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	return p.build(ctx, p.mainJob()...)
}

// Resources builds the long-lived artifacts (the original resources/Makefile).
type Resources mg.Namespace

// Build builds gem5, the kernel, the disk image and the client (what a release of resources holds).
func (Resources) Build(ctx context.Context) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	rules := present(p.gem5, p.m5, p.kernelSave, p.imageBuild, p.client)
	if len(rules) == 0 {
		p.g.UI().Printf("GEM5, KERNEL, DISK and CLIENT name existing files: nothing to build")
		return nil
	}
	return p.build(ctx, rules...)
}

// addFunctions loads the catalogue and the list, and adds the install
// rules unless INSTALLED_DISK names a disk with the functions in it.
func (p *pipeline) addFunctions() error {
	c := p.cfg
	sel, err := functions.Select(c.ProjectDir, c.FunctionsYAML, c.Functions)
	if err != nil {
		return err
	}
	p.selection, p.functions = sel, sel.Functions
	if err := p.addReference(); err != nil {
		return err
	}
	if c.ExecMode == functions.Process {
		if err := sel.Catalog.CheckProcessMode(sel.Functions); err != nil {
			return fmt.Errorf("EXEC_MODE=process: %w", err)
		}
	}
	if c.InstalledDisk == "tiny" {
		return p.addTiny()
	}
	if c.InstalledDisk != "" {
		p.simDisk = c.InstalledDisk
		return nil
	}
	images := c.Images
	deps := present(p.imageBuild, p.kernelSave)
	if images == "reference" {
		if p.reference == nil {
			return fmt.Errorf("IMAGES=reference: no reference function (%s) to build: this module's source is not at hand, or %s defines none of them",
				strings.Join(slices.Sorted(maps.Keys(functions.References)), ", "), p.selection.Catalog.Path)
		}
		images = p.referenceDir()
		deps = append(deps, p.reference)
	}
	in := functions.Install{Selection: sel, Base: p.diskPath, Dir: filepath.Join(c.WorkingDir, "disk"), Kernel: p.kernelPath,
		Arch: c.Arch, MemoryMiB: c.Memory.MiB(), CPUs: c.CPUs, Images: images, Timeout: c.BootTimeout, Accel: p.accel}
	rules := in.Rules(deps)
	p.install, p.installRaw = &in, rules[1]
	p.simDisk = in.Raw()
	return p.g.Add(rules...)
}

func (p *pipeline) referenceDir() string { return filepath.Join(p.cfg.Resources, "images") }

// addTiny adds functions:tiny (INSTALLED_DISK=tiny): the tiny busybox disk
// with the reference functions as plain processes.
func (p *pipeline) addTiny() error {
	c := p.cfg
	cat := p.selection.Catalog
	archives := map[string]string{}
	for _, fn := range slices.Sorted(maps.Keys(functions.References)) {
		if s, ok := cat.Project.Services[fn]; ok && s.Image != "" {
			archives[fn] = filepath.Join(p.referenceDir(), functions.ArchiveName(s.Image))
		}
	}
	var missing []string
	for _, fn := range p.functions {
		if archives[fn] == "" {
			missing = append(missing, fn)
		}
	}
	if len(missing) > 0 || p.reference == nil {
		return fmt.Errorf("INSTALLED_DISK=tiny holds only the reference functions (%s); %s: not among them (FUNCTIONS=fibonacci-go selects one)",
			strings.Join(slices.Sorted(maps.Keys(functions.References)), ", "), strings.Join(missing, " "))
	}
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		busybox = "/bin/busybox" // functions:tiny says what to install
	}
	t := functions.Tiny{Catalog: cat, Archives: archives, Busybox: busybox, M5: p.toolPath(m5Tool, c.Arch),
		Client: p.clientPath, Launcher: p.toolPath(runTool, c.Arch), ProjectDir: c.ProjectDir,
		Out: filepath.Join(c.Resources, "tiny-"+c.Arch+".raw")}
	rule := t.Rule(present(p.reference, p.tools, p.client))
	p.installRaw, p.simDisk = rule, t.Out
	return p.g.Add(rule)
}

// addReference adds functions:reference: docker archives of the Go
// reference functions, built from this module's source.
func (p *pipeline) addReference() error {
	dir := sourceRoot()
	if dir == "" {
		return nil
	}
	// The reference functions the catalogue defines, under its image names.
	var names, outputs []string
	images := map[string]string{}
	for _, fn := range slices.Sorted(maps.Keys(functions.References)) {
		if s, ok := p.selection.Catalog.Project.Services[fn]; ok && s.Image != "" {
			names = append(names, fn)
			images[fn] = s.Image
			outputs = append(outputs, filepath.Join(p.referenceDir(), functions.ArchiveName(s.Image)))
		}
	}
	if len(names) == 0 {
		return nil
	}
	var inputs []string
	if isCheckout(dir) {
		inputs = []string{filepath.Join(dir, "functions", "src"), filepath.Join(dir, "functions", "reference"),
			filepath.Join(dir, "client", "pb"), filepath.Join(dir, "go.mod")}
	}
	arch := p.cfg.Arch
	p.reference = &graph.Rule{
		Target:  "functions:reference",
		Doc:     "build docker archives of the Go reference functions (offline images)",
		Outputs: outputs,
		Inputs:  inputs,
		Params:  graph.Params{"ARCH": arch, "images": fmt.Sprint(images)},
		Recipe: func(ctx context.Context, j *graph.Job) error {
			tmp, err := os.MkdirTemp("", "vswarmu-reference-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			for i, fn := range names {
				bin := filepath.Join(tmp, fn)
				cmd := j.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, functions.References[fn])
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
				j.Progress("building %s", fn)
				if err := j.RunCmd(ctx, cmd); err != nil {
					return fmt.Errorf("build the %s server: %w", fn, err)
				}
				if err := functions.WriteServerImage(images[fn], bin, arch, j.Out(outputs[i])); err != nil {
					return fmt.Errorf("image %s: %w", images[fn], err)
				}
				j.Logf("%s: %s", images[fn], outputs[i])
			}
			return nil
		},
	}
	return p.g.Add(p.reference)
}

// addSimulations adds one setup and one evaluation rule per function.
func (p *pipeline) addSimulations() error {
	c := p.cfg
	gem5 := p.gem5Bin
	if c.Gem5 == "standin" {
		var err error
		if gem5, err = gem5configs.Standin(c.ProjectDir, filepath.Join(c.WorkingDir, "gem5-configs")); err != nil {
			return fmt.Errorf("gem5 stand-in: %w", err)
		}
	}
	config, inputs, err := gem5configs.Config(c.ProjectDir, filepath.Join(c.WorkingDir, "gem5-configs"))
	if err != nil {
		return fmt.Errorf("gem5 config: %w", err)
	}
	deps := present(p.installRaw, p.gem5, p.kernelSave)
	detailed := c.DetailedCPU
	if detailed == "auto" {
		detailed = ""
	}
	cat := p.selection.Catalog
	for _, fn := range p.functions {
		port, err := cat.Port(fn)
		if err != nil {
			return err
		}
		s := simulate.Spec{Gem5: gem5, Config: config, Kernel: p.kernelPath, Disk: p.simDisk, Function: fn,
			Client: cat.ClientName(fn), Image: cat.Project.Services[fn].Image, ExecMode: c.ExecMode, Port: port,
			Standin: c.Gem5 == "standin", DetailedCPU: detailed,
			System: c.System, CPUs: c.CPUs, MemoryMiB: c.Memory.MiB(), Root: p.rootDevice(), SetupCPU: c.SetupCPU,
			AtomicWarming: c.AtomicWarming, Invocations: c.NumInvocations, Warmup: c.Warmup,
			GuestDir: functions.GuestDir, Work: c.WorkingDir, HangTimeout: c.HangTimeout, Timeout: c.SimTimeout,
			Inputs: inputs, Deps: deps, ResolveSetupCPU: p.setupCPU, Files: &p.files}
		setup := s.SetupRule()
		eval := s.EvalRule(setup)
		if err := p.g.Add(setup, eval); err != nil {
			return err
		}
		p.simulations = append(p.simulations, eval)
	}
	return nil
}

// rootDevice is where gem5's kernel finds the root file system: the legacy
// IDE driver's hda before Linux 5.14, libata's sda after.
func (p *pipeline) rootDevice() string {
	if p.cfg.RootDevice != "auto" {
		return p.cfg.RootDevice
	}
	if p.cfg.Kernel == "" && kernel.VersionBefore(p.cfg.KernelVersion(), 5, 14) {
		return "/dev/hda2"
	}
	return "/dev/sda2"
}

// setupCPU resolves SETUP_CPU=auto with the KVM probe.
func (p *pipeline) setupCPU(ctx context.Context, r qemu.Commander) string {
	switch p.cfg.SetupCPU {
	case "kvm", "atomic":
		return p.cfg.SetupCPU
	}
	if accel, _ := p.accel(ctx, r); accel == "kvm" {
		return "kvm"
	}
	p.warnAtomicSetup.Do(func() {
		p.g.UI().Warnf("gem5's setup runs boot on atomic cores because KVM does not work here: expect hours per function (WARMUP_INVOCATIONS=%d); SETUP_CPU=kvm forces KVM", p.cfg.Warmup)
	})
	return "atomic"
}
