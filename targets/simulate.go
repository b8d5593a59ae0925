package targets

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/functions/interpreted"
	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/image"
	"github.com/vswarmu/vswarmu-mage/internal/debpkg"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/internal/suggest"
	"github.com/vswarmu/vswarmu-mage/kernel"
)

// Functions installs the serverless functions into the disk (the original simulation/Makefile's install_functions).
type Functions mg.Namespace

// Install boots the disk in qemu, loads or pulls every listed function's containers and invokes each once; a disk that holds every listed function already is kept.
func (Functions) Install(ctx context.Context) error { return build(ctx, ruleFunctionsInstall) }

// Raw converts the installed disk to the raw format gem5 reads.
func (Functions) Raw(ctx context.Context) error { return build(ctx, ruleFunctionsRaw) }

// Check says which functions the last install proved to work.
func (Functions) Check() error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	if cfg.InstalledDisk != "" {
		return fmt.Errorf("INSTALLED_DISK=%s is used: nothing was installed by this tool", cfg.InstalledDisk)
	}
	status, err := functions.Installed(p.install().Summary())
	if err != nil {
		return fmt.Errorf("no install record (%v): run mage functions:install", err)
	}
	var bad []string
	for _, fn := range p.sel.Functions {
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
		return &exitError{
			code: 1,
			msg:  fmt.Sprintf("%d functions are not installed: %s", len(bad), strings.Join(bad, " ")),
		}
	}
	return nil
}

// List prints the functions this configuration simulates, where the list comes from, and the images they need.
func (Functions) List() error {
	_, p, err := load()
	if err != nil {
		return err
	}
	fmt.Printf("functions (from %s), their images (from %s) and where each comes from under IMAGES (now %s):\n",
		p.sel.ListFrom, p.sel.Catalog.Path, p.cfg.Images)
	w := tabwriter.NewWriter(os.Stdout, 2, 0, 2, ' ', 0)
	for _, fn := range p.sel.Functions {
		img := p.sel.Catalog.Images([]string{fn})
		fmt.Fprintf(w, "  %s\t%s\tregistry: pulled in the guest\treference: %s\n", fn, strings.Join(img, " "), p.referenceOf(fn))
	}
	return w.Flush()
}

// referenceOf says which target builds fn's image for IMAGES=reference.
func (p *plan) referenceOf(fn string) string {
	if _, ok := functions.References[fn]; ok {
		return ruleFunctionsReference + " builds it (Go, functions/src)"
	}
	if f, ok := interpreted.Functions[fn]; ok {
		return interpretedRules[f.Language] + " builds it (" + f.Language + " on Debian " + interpreted.Suite + ")"
	}
	return "none (docker save it into a directory and set IMAGES to it)"
}

// Tiny makes the tiny disk (INSTALLED_DISK=tiny): busybox, gem5init, m5, the client and the reference functions as plain processes, to check a gem5 in minutes.
func (Functions) Tiny(ctx context.Context) error { return build(ctx, ruleFunctionsTiny) }

// DriveDisk makes the drive system's disk for TOPOLOGY=two-machine: busybox, gem5init, m5 and the client.
func (Functions) DriveDisk(ctx context.Context) error { return build(ctx, ruleFunctionsDriveDisk) }

// Reference builds docker archives of the Go reference functions (fibonacci-go, aes-go, auth-go) for IMAGES=reference.
func (Functions) Reference(ctx context.Context) error { return build(ctx, ruleFunctionsReference) }

// ReferenceNodejs builds docker archives of the Node.js reference functions (Debian's nodejs, the project's servers) for IMAGES=reference.
func (Functions) ReferenceNodejs(ctx context.Context) error {
	return build(ctx, ruleFunctionsReferenceNodejs)
}

// ReferencePython builds docker archives of the Python reference functions (Debian's python3 and grpcio, the project's servers) for IMAGES=reference.
func (Functions) ReferencePython(ctx context.Context) error {
	return build(ctx, ruleFunctionsReferencePython)
}

// Simulate runs the functions on gem5 (the original simulation/Makefile's run_simulator).
type Simulate mg.Namespace

// Boot boots gem5 once for every function (kernel and disk) and checkpoints before the run script (BOOT_CHECKPOINT=1).
func (Simulate) Boot(ctx context.Context) error { return build(ctx, ruleSimulateBoot) }

// Setup starts one function on gem5 (from the boot checkpoint, or booting on KVM or atomic cores) and checkpoints it after the warm-up.
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
	if !slices.Contains(p.sel.Functions, function) {
		hint := "FUNCTIONS=" + function + " selects it"
		if _, ok := p.sel.Catalog.Project.Services[function]; !ok {
			hint = fmt.Sprintf("%s does not define it either (functions there: %s)", p.sel.Catalog.Path,
				strings.Join(p.sel.Catalog.Functions(), ", "))
		}
		return fmt.Errorf(
			"%s is not in the function list (%s: %s)%s; %s",
			function,
			p.sel.ListFrom,
			strings.Join(
				p.sel.Functions,
				" ",
			),
			suggest.Hint(function, append(p.sel.Functions, p.sel.Catalog.Functions()...)),
			hint,
		)
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
	var made []artifact
	for _, a := range []artifact{p.gem5(), p.kernel(), p.disk(), p.client(), {rule: p.tools()}} {
		if a.rule != nil && !a.rule.Leaf() {
			made = append(made, a)
		}
	}
	if p.cfg.Gem5 == "" {
		made = append(made, p.gem5M5())
	}
	if len(made) == 0 {
		p.g.UI().Printf("GEM5, KERNEL, DISK and CLIENT name existing files: nothing to build")
		return nil
	}
	return p.build(ctx, deps(made...)...)
}

// functionsCatalog is the selection's catalogue.
func (p *plan) catalog() *functions.Catalog { return p.sel.Catalog }

// install describes functions:install for the configuration.
func (p *plan) install() functions.Install {
	c := p.cfg
	in := functions.Install{
		Selection: p.sel,
		Base:      p.disk().path,
		Dir:       filepath.Join(c.WorkingDir, "disk"),
		Kernel:    p.kernel().path,
		Arch:      c.Arch,
		MemoryMiB: c.Memory.MiB(),
		CPUs:      c.CPUs,
		Images:    c.Images,
		Scanner:   p.scanner().path,
		Timeout:   c.BootTimeout,
		Accel:     p.qemuAccel,
	}
	if c.Images == "reference" {
		in.Images = p.referenceDir()
	}
	return in
}

// installed are the functions the last install holds when it holds every
// selected one and was otherwise made as in would be (FUNCTIONS narrowed
// to functions installed already keeps the disk and its boot); else nil.
func (p *plan) installed(in functions.Install) []string {
	for _, rec := range p.g.LastRuns(ruleFunctionsInstall) {
		held := strings.Fields(rec.Param("functions"))
		changed := rec.ChangedParams(in.Description())
		if rec.Target() == ruleFunctionsInstall && in.Covers(held) &&
			(len(changed) == 0 || slices.Equal(changed, []string{"functions"})) {
			return held
		}
	}
	return nil
}

// installedDisk is the raw disk with the functions that gem5 boots:
// INSTALLED_DISK's, the tiny disk, or functions:raw's.
func (p *plan) installedDisk() artifact {
	switch c := p.cfg; c.InstalledDisk {
	case "tiny":
		return p.tinyDisk()
	case "release":
		return p.fromRelease("installed-disk")
	case "":
	default:
		return p.given("INSTALLED_DISK", c.InstalledDisk)
	}
	in := p.install()
	return artifact{path: in.Raw(), rule: p.rule(ruleFunctionsRaw, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc: "convert the installed disk to the raw format gem5 reads", Outputs: []string{in.Raw()},
			Deps: []*engine.Rule{p.functionsInstall()}, Recipe: recipe(in.ToRaw),
		}, nil
	})}
}

// functionsInstall is functions:install.
func (p *plan) functionsInstall() *engine.Rule {
	return p.rule(ruleFunctionsInstall, func() (*engine.Rule, error) {
		in := p.install()
		if held := p.installed(in); held != nil {
			in.Selection = &functions.Selection{Catalog: p.sel.Catalog, Functions: held,
				ListFrom: "the installed disk (" + strings.Join(held, " ") + ")"}
		}
		needs := deps(p.disk(), p.kernel(), p.scanner())
		if p.cfg.Images == "reference" {
			refs := append([]artifact{p.references()}, p.interpretedFor(in.Selection.Functions)...)
			if len(deps(refs...)) == 0 {
				return nil, fmt.Errorf(
					"IMAGES=reference: no reference function (%s) to build: this module's source is not at hand, or %s defines none of them",
					strings.Join(slices.Sorted(maps.Keys(functions.References)), ", "),
					p.catalog().Path,
				)
			}
			needs = append(needs, deps(refs...)...)
		}
		return &engine.Rule{
			Doc:     "install the functions' containers into the disk (qemu) and invoke each once",
			Outputs: []string{in.Overlay(), in.Summary(), in.ScanRecord()}, Inputs: in.Inputs(), Deps: needs, Params: in.Description(),
			Recipe: recipe(in.Run), Preflight: in.Preflight, Space: 2 << 30,
		}, nil
	})
}

// referenceDir holds the reference functions' docker archives.
func (p *plan) referenceDir() string { return filepath.Join(p.cfg.Resources, "images") }

// referenceImages are the reference functions the catalogue defines and
// the image names it gives them.
func (p *plan) referenceImages() (names []string, images map[string]string) {
	images = map[string]string{}
	for _, fn := range slices.Sorted(maps.Keys(functions.References)) {
		if s, ok := p.catalog().Project.Services[fn]; ok && s.Image != "" {
			names = append(names, fn)
			images[fn] = s.Image
		}
	}
	return names, images
}

// references is functions:reference: docker archives of the Go reference
// functions, built from this module's source (no rule without them).
func (p *plan) references() artifact {
	dir := sourceRoot()
	names, images := p.referenceImages()
	if dir == "" || len(names) == 0 {
		return artifact{}
	}
	return artifact{path: p.referenceDir(), rule: p.rule(ruleFunctionsReference, func() (*engine.Rule, error) {
		var inputs, outputs []string
		if isCheckout(dir) {
			inputs = []string{filepath.Join(dir, "functions", "src"), filepath.Join(dir, "functions", "reference"),
				filepath.Join(dir, "client", "pb"), filepath.Join(dir, "go.mod")}
		}
		ref := functions.ReferenceBuild{SourceDir: dir, Arch: p.cfg.Arch, Images: images, Dir: p.referenceDir()}
		for _, fn := range names {
			outputs = append(outputs, ref.Archive(fn))
		}
		return &engine.Rule{
			Doc: "build docker archives of the Go reference functions (offline images)", Outputs: outputs, Inputs: inputs,
			Params: engine.Params{"ARCH": p.cfg.Arch, "images": fmt.Sprint(images)}, Recipe: recipe(ref.Make),
		}, nil
	})}
}

// tinyDisk is functions:tiny (INSTALLED_DISK=tiny): the tiny busybox disk
// with the reference functions as plain processes.
func (p *plan) tinyDisk() artifact {
	c := p.cfg
	out := filepath.Join(c.Resources, "tiny-"+c.Arch+".raw")
	return artifact{path: out, rule: p.rule(ruleFunctionsTiny, func() (*engine.Rule, error) {
		names, images := p.referenceImages()
		ref := p.references()
		var missing []string
		for _, fn := range p.sel.Functions {
			if images[fn] == "" {
				missing = append(missing, fn)
			}
		}
		if len(missing) > 0 || ref.rule == nil {
			return nil, fmt.Errorf(
				"INSTALLED_DISK=tiny holds only the reference functions (%s); %s: not among them (FUNCTIONS=fibonacci-go selects one)",
				strings.Join(slices.Sorted(maps.Keys(functions.References)), ", "),
				strings.Join(missing, " "),
			)
		}
		archives := map[string]string{}
		for _, fn := range names {
			archives[fn] = filepath.Join(p.referenceDir(), functions.ArchiveName(images[fn]))
		}
		client, bb := p.client(), p.busybox()
		t := functions.Tiny{
			Catalog:    p.catalog(),
			Archives:   archives,
			Busybox:    bb.path,
			Applets:    hostBusybox(),
			M5:         p.toolPath(m5Tool, c.Arch),
			Client:     client.path,
			Launcher:   p.toolPath(runTool, c.Arch),
			ProjectDir: c.ProjectDir,
			Out:        out,
		}
		return &engine.Rule{
			Doc: "make the tiny disk: busybox, gem5init, m5, the client and the reference functions as plain processes",
			Outputs: []string{
				out,
			}, Inputs: t.Inputs(), Deps: append(deps(ref, client, bb), p.tools()), Params: t.Description(),
			Recipe: recipe(t.Make),
		}, nil
	})}
}

// busybox is the static busybox of the tiny disks: the host's for a
// guest of the host's arch ("" when there is none: the disk's recipe then
// says what to install), else functions:busybox's, Debian's for ARCH.
func (p *plan) busybox() artifact {
	c := p.cfg
	if c.Arch == qemu.HostArch() {
		return artifact{path: hostBusybox()}
	}
	b := functions.Busybox{Out: filepath.Join(c.Resources, "busybox-"+c.Arch),
		Source: debpkg.Source{
			Mirror: cmp.Or(c.Mirror, image.DefaultMirror("debian", c.Arch)),
			Suite:  c.DebianVersion,
			Arch:   c.Arch,
		}}
	return artifact{path: b.Out, rule: p.rule(ruleFunctionsBusybox, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc:     "fetch Debian's static busybox for ARCH (the tiny disk of an arch other than the host's), through its signed release",
			Outputs: []string{b.Out}, Params: b.Description(), Preflight: b.Preflight, Recipe: recipe(b.Make),
		}, nil
	})}
}

// hostBusybox is the host's busybox, "" when there is none.
func hostBusybox() string {
	path, _ := exec.LookPath("busybox")
	return path
}

// driveDisk is the drive system's disk of two-machine runs: DRIVE_DISK,
// or functions:driveDisk (the tiny guest with the client, no function).
func (p *plan) driveDisk() artifact {
	c := p.cfg
	if c.DriveDisk != "" {
		return p.given("DRIVE_DISK", c.DriveDisk)
	}
	out := filepath.Join(c.Resources, "drive-"+c.Arch+".raw")
	return artifact{path: out, rule: p.rule(ruleFunctionsDriveDisk, func() (*engine.Rule, error) {
		client := p.client()
		bb := p.busybox()
		t := functions.Tiny{
			Catalog:    p.catalog(),
			Busybox:    bb.path,
			Applets:    hostBusybox(),
			M5:         p.toolPath(m5Tool, c.Arch),
			Client:     client.path,
			ProjectDir: c.ProjectDir,
			Out:        out,
			Drive:      true,
		}
		return &engine.Rule{
			Doc: "make the drive system's disk (two machines): busybox, gem5init, m5 and the client",
			Outputs: []string{
				out,
			}, Inputs: t.Inputs(), Deps: append(deps(client, bb), p.tools()), Params: t.Description(),
			Recipe: recipe(t.Make),
		}, nil
	})}
}

// machineDeps are what every gem5 run of the configuration boots: the
// disk, gem5, the kernel and, with two machines, the drive system's disk.
func (p *plan) machineDeps() []*engine.Rule {
	arts := []artifact{p.installedDisk(), p.gem5(), p.kernel()}
	if p.topology().DriveSystem() {
		arts = append(arts, p.driveDisk())
	}
	if p.cfg.Arch == "arm64" {
		arts = append(arts, p.bootloader())
	}
	return deps(arts...)
}

// topology is the configuration's arrangement of machines (TOPOLOGY).
func (p *plan) topology() gem5configs.Topology {
	t, err := gem5configs.LookupTopology(p.cfg.Topology)
	if err != nil {
		p.errs = append(p.errs, err)
		t, _ = gem5configs.LookupTopology("")
	}
	return t
}

// simulations are simulate:fn:<fn> of every listed function.
func (p *plan) simulations() []*engine.Rule {
	if p.cfg.ExecMode == functions.Process {
		if err := p.catalog().CheckProcessMode(p.sel.Functions); err != nil {
			p.errs = append(p.errs, fmt.Errorf("EXEC_MODE=process: %w", err))
			return nil
		}
	}
	out := make([]*engine.Rule, 0, len(p.sel.Functions))
	for _, fn := range p.sel.Functions {
		out = append(out, p.evaluation(fn))
	}
	return out
}

// machine describes the simulated machine of the configuration (gem5,
// config, kernel, disk, board), without a function: what simulate:boot
// runs.
func (p *plan) machine() (gem5configs.Simulation, error) {
	c := p.cfg
	config, _, err := gem5configs.Config(c.ProjectDir, filepath.Join(c.WorkingDir, "gem5-configs"))
	if err != nil {
		return gem5configs.Simulation{}, fmt.Errorf("gem5 config: %w", err)
	}
	m := gem5configs.Machine{Gem5: p.gem5().path, Config: config, Kernel: p.kernel().path, Disk: p.installedDisk().path,
		Standin: c.Gem5 == "standin", CPUs: c.CPUs, MemoryMiB: c.Memory.MiB(), Root: p.rootDevice(), SetupCPU: c.SetupCPU,
		KernelArgs: c.KernelArgs, Init: p.simulatedInit(), Board: p.board(), Topology: c.Topology, DriveDisk: p.twoMachineDisk(),
		LinkDelay: c.LinkDelay, LinkBandwidth: c.LinkBandwidth, ExecMode: c.ExecMode}
	if c.Gem5 == "" {
		m.Gem5Patches = p.gem5Patches()
	}
	cat, err := gem5configs.Systems(c.ProjectDir)
	if err != nil {
		return gem5configs.Simulation{}, err
	}
	run := gem5configs.Runner{Work: c.WorkingDir, HangTimeout: c.HangTimeout, Timeout: c.SimTimeout, Files: &p.files,
		Exec: p.exec, ResolveSetupCPU: p.setupCPU, Prober: p.prober(config), Systems: cat}
	eval := gem5configs.Evaluation{System: c.System, AtomicWarming: c.AtomicWarming, Invocations: c.NumInvocations,
		Measurement: c.Measurement}
	work := gem5configs.Workload{Warmup: c.Warmup, GuestDir: functions.GuestDir, Scans: p.install().ScanRecord(),
		CPUTimes: c.GuestCPUTimes}
	return gem5configs.Simulation{Machine: m, Workload: work, Evaluation: eval, Runner: run}, nil
}

// imageOrigin names a function's image with where it came from, for the
// runs' records: built here, loaded from a directory, or pulled.
func (p *plan) imageOrigin(image string) string {
	switch images := p.cfg.Images; {
	case image == "":
		return ""
	case images == "reference" || p.cfg.InstalledDisk == "tiny":
		return image + " (a reference image built here from " + p.referenceSource(image) + ", IMAGES=reference)"
	case images == "registry":
		return image + " (pulled from its registry in the guest, IMAGES=registry)"
	default:
		return image + " (loaded from " + images + ")"
	}
}

// board is the simulated board of ARCH: x86 (gem5's X86Board) or Arm
// (its ArmBoard, with the boot loader).
func (p *plan) board() gem5configs.Board {
	if p.cfg.Arch == "arm64" {
		return gem5configs.Board{ISA: gem5configs.Arm, Bootloader: p.bootloader().path}
	}
	return gem5configs.Board{Idle: p.cfg.GuestIdle}
}

// twoMachineDisk is the drive system's disk when the topology boots one,
// else "".
func (p *plan) twoMachineDisk() string {
	if !p.topology().DriveSystem() {
		return ""
	}
	return p.driveDisk().path
}

// simulation describes fn's simulation in the configuration.
func (p *plan) simulation(fn string) (gem5configs.Simulation, error) {
	s, err := p.machine()
	if err != nil {
		return s, err
	}
	if s.Port, err = p.catalog().Port(fn); err != nil {
		return s, err
	}
	s.Function, s.Client, s.Image = fn, p.catalog().ClientName(fn), p.imageOrigin(p.catalog().Project.Services[fn].Image)
	if s.DetailedCPU = p.cfg.DetailedCPU; s.DetailedCPU == "auto" {
		s.DetailedCPU = ""
	}
	if p.cfg.BootCheckpoint {
		s.BootCheckpoint = s.BootCheckpointDir()
	}
	return s, nil
}

// configInputs are the project's gem5 config files (none when the
// built-in config is used).
func (p *plan) configInputs() []string {
	_, inputs, err := gem5configs.Config(p.cfg.ProjectDir, filepath.Join(p.cfg.WorkingDir, "gem5-configs"))
	if err != nil {
		p.errs = append(p.errs, err)
	}
	return inputs
}

// setup is simulate:setup:<fn>: boot, start the function, checkpoint.
func (p *plan) setup(fn string) *engine.Rule {
	return p.rule("simulate:setup:"+fn, func() (*engine.Rule, error) {
		s, err := p.simulation(fn)
		if err != nil {
			return nil, err
		}
		p.jobDirs["simulate:setup:"+fn] = s.SetupDir()
		needs := p.machineDeps()
		if boot := p.boot(); boot != nil {
			needs = append(needs, boot)
		}
		return &engine.Rule{
			Doc: "start " + fn + " on gem5, warm it up, checkpoint", Outputs: []string{s.CheckpointDir()},
			Inputs: p.configInputs(), Deps: needs, Params: s.SetupDescription(),
			Slots: p.gem5Slots(), Recipe: recipe(s.Setup),
		}, nil
	})
}

// boot is simulate:boot: one boot of the kernel and disk, checkpointed
// before the run script, for every setup (nil with BOOT_CHECKPOINT=0).
func (p *plan) boot() *engine.Rule {
	if !p.cfg.BootCheckpoint {
		return nil
	}
	return p.rule(ruleSimulateBoot, func() (*engine.Rule, error) {
		s, err := p.machine()
		if err != nil {
			return nil, err
		}
		boot := gem5configs.BootOf(s)
		p.jobDirs[ruleSimulateBoot] = boot.Dir()
		return &engine.Rule{
			Doc: "boot gem5 to the guest's run script and checkpoint there, for every function's setup", Outputs: []string{boot.CheckpointDir()},
			Inputs: p.configInputs(), Deps: p.machineDeps(), Params: boot.Description(),
			Slots: p.gem5Slots(), Recipe: recipe(boot.Run),
		}, nil
	})
}

// evaluation is simulate:fn:<fn>: restore and measure.
func (p *plan) evaluation(fn string) *engine.Rule {
	return p.rule("simulate:fn:"+fn, func() (*engine.Rule, error) {
		s, err := p.simulation(fn)
		if err != nil {
			return nil, err
		}
		p.jobDirs["simulate:fn:"+fn] = s.ResultsDir()
		return &engine.Rule{
			Doc: "restore " + fn + "'s checkpoint and measure it on the detailed cores", Outputs: s.EvalOutputs(),
			Inputs: p.configInputs(), Deps: []*engine.Rule{p.setup(fn)}, Params: s.EvalDescription(),
			InPlace: true, // gem5 writes its outputs into the results directory itself
			Slots:   p.gem5Slots(), Recipe: recipe(s.Evaluate),
		}, nil
	})
}

// gem5Slots is how many JOBS slots a gem5 run holds: one here, none when
// it runs on the cluster (SLURM_MAX_JOBS bounds those).
func (p *plan) gem5Slots() int {
	if !executorOf(p.cfg).HoldsSlots() {
		return -1
	}
	return 0
}

// rootDevice is where gem5's kernel finds the root file system: the legacy
// IDE driver's hda before Linux 5.14, libata's sda after.
func (p *plan) rootDevice() string {
	if p.cfg.RootDevice != "auto" {
		return p.cfg.RootDevice
	}
	if p.cfg.Arch == "arm64" {
		return "/dev/vda2" // gem5's ArmBoard attaches the disk as virtio-blk
	}
	if p.cfg.Kernel == "" && kernel.VersionBefore(p.cfg.KernelVersion(), 5, 14) {
		return "/dev/hda2"
	}
	return "/dev/sda2"
}

// setupCPU resolves SETUP_CPU=auto with the KVM probe.
func (p *plan) setupCPU(ctx context.Context, r qemu.Commander) string {
	switch p.cfg.SetupCPU {
	case "kvm", "atomic":
		return p.cfg.SetupCPU
	}
	if accel, _ := p.qemuAccel(ctx, r); accel == "kvm" {
		return "kvm"
	}
	p.sayOnce(
		"atomic setup",
		"gem5's setup runs boot on atomic cores because KVM does not work here: expect minutes to hours per function (WARMUP_INVOCATIONS=%d); SETUP_CPU=kvm forces KVM",
		p.cfg.Warmup,
	)
	return "atomic"
}

// simulatedInit is the test system's init under gem5: vswarmu-init on the
// distribution disk (SIMULATED_INIT=lean), else the disk's own (systemd,
// or the tiny disk's init).
func (p *plan) simulatedInit() string {
	if p.cfg.SimulatedInit != "lean" || p.cfg.InstalledDisk == "tiny" {
		return ""
	}
	return image.LeanInit
}
