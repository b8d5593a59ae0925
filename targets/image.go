package targets

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/image"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
)

// Image builds the base disk image (the original setup/disk.Makefile).
type Image mg.Namespace

// DepInstall installs what building and booting images needs (mmdebstrap, e2fsprogs, qemu, keyrings) with apt.
func (Image) DepInstall(ctx context.Context) error {
	return depInstall(ctx, ruleImageDepInstall)
}

// Base builds the operating system disk: debootstrap (default) or the original's Ubuntu autoinstall (IMAGE_BUILDER).
func (Image) Base(ctx context.Context) error { return buildOrSkip(ctx, ruleImageBase, "DISK") }

// Build makes $RESOURCES/disk-image.qcow2: the base disk with the gem5init agent, m5 and the client; DISK=/path skips it.
func (Image) Build(ctx context.Context) error { return buildOrSkip(ctx, ruleImageBuild, "DISK") }

// Runtime builds containerd, runc, Docker and compose v2 with this Go into $RESOURCES/runtime-<arch> (CONTAINER_RUNTIME=built); image:build writes them over the distribution's.
func (Image) Runtime(ctx context.Context) error { return buildOrSkip(ctx, ruleImageRuntime, "DISK") }

// Raw converts the disk image to the raw format gem5 reads ($RESOURCES/disk-image.raw).
func (Image) Raw(ctx context.Context) error { return buildOrSkip(ctx, ruleImageRaw, "DISK") }

// Run boots the disk image in qemu with the serial console on this terminal (changes are dropped unless PERSIST=1).
func (Image) Run(ctx context.Context) error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	kern, disk := p.kernel(), p.disk()
	if err := p.build(ctx, deps(kern, disk)...); err != nil {
		return err
	}
	persist := cfg.Persist
	accel, cpu := p.qemuAccel(ctx, qemu.Unregistered{})
	m := qemu.Machine{Arch: cfg.Arch, Kernel: kern.path, Append: image.RootAppend(cfg.Arch) + " vswarmu.keep=1",
		MemoryMiB: cfg.Memory.MiB(), CPUs: cfg.CPUs, Accel: accel, CPU: cpu, Network: true, Interactive: true,
		Disks: []qemu.Disk{{Path: disk.path, Snapshot: !persist}}}
	if persist {
		fmt.Printf("booting %s (changes are kept); leave with Ctrl-A x or poweroff\n", disk.path)
	} else {
		fmt.Printf("booting %s (changes are dropped; PERSIST=1 keeps them); leave with Ctrl-A x or poweroff\n", disk.path)
	}
	if cfg.RootPassword == "root" {
		fmt.Println("log in as root with password \"root\" (ROOT_PASSWORD sets another one)")
	}
	_, err = qemu.Run(ctx, qemu.Unregistered{}, m, os.Stdout, 0)
	return err
}

// imageSpec is the disk image the configuration describes.
func (p *plan) imageSpec() image.Spec {
	c := p.cfg
	suite := p.suite()
	spec := image.Spec{
		Builder: c.ImageBuilder, Distro: c.Distro, Suite: suite, Arch: c.Arch, Mirror: c.Mirror, Keyring: c.UbuntuKeyring,
		DiskSize: int64(c.DiskSize), RootPassword: c.RootPassword, Extra: c.ImagePackages,
		Dir: filepath.Join(c.Resources, "image"), Out: p.diskPath(),
		Raw: filepath.Join(c.Resources, "disk-image.raw"), ProjectDir: c.ProjectDir,
		GuestTools: image.GuestTools{ClientName: "test-client", Launcher: p.toolPath(runTool, c.Arch),
			LauncherPath: functions.Launcher, Seeder: p.toolPath(seedTool, c.Arch)},
		Auto: image.Autoinstall{
			ISO:       installerISO(c, suite),
			Kernel:    p.kernel().path,
			MemoryMiB: max(c.Memory.MiB(), 4096),
			CPUs:      c.CPUs,
			Timeout:   3 * time.Hour,
		},
	}
	spec.Auto.Accel = p.qemuAccel
	if k := p.ubuntuKeyring(); k.rule != nil {
		spec.Keyring, spec.KeyringFetched = k.path, true
	}
	return spec
}

// ubuntuKeyring is image:keyring, Ubuntu's archive keyring fetched from the
// Ubuntu archive and checked against its pinned sha256: for an Ubuntu disk
// on a host that does not package the keyring, unless UBUNTU_KEYRING names
// one (no rule otherwise).
func (p *plan) ubuntuKeyring() artifact {
	c := p.cfg
	if c.Distro != "ubuntu" || c.ImageBuilder == "autoinstall" || c.UbuntuKeyring != "" || image.HostHasUbuntuKeyring() {
		return artifact{}
	}
	k := image.KeyringFetch{Mirror: cmp.Or(c.Mirror, image.DefaultMirror("ubuntu", c.Arch)), Package: image.UbuntuKeyringPackage(),
		Out: filepath.Join(c.Resources, "ubuntu-archive-keyring.gpg")}
	return artifact{path: k.Out, rule: p.rule(ruleImageKeyring, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc:     "fetch Ubuntu's archive keyring (the ubuntu-keyring package, sha256 pinned) for a host that lacks it",
			Outputs: []string{k.Out}, Params: k.Description(), Preflight: k.Preflight, Recipe: recipe(k.Fetch),
		}, nil
	})}
}

// suite is the distribution release of the disk image.
func (p *plan) suite() string {
	if p.cfg.Distro == "debian" {
		return p.cfg.DebianVersion
	}
	return p.cfg.UbuntuVersion
}

// diskPath is where image:build (or a release) puts the disk image.
func (p *plan) diskPath() string { return filepath.Join(p.cfg.Resources, "disk-image.qcow2") }

// disk is the disk image qemu boots: DISK's, else image:build's.
func (p *plan) disk() artifact { return p.source("DISK", p.cfg.Disk, "disk", p.imageBuild) }

// imageBuild is image:build: the base disk with the agent and the tools.
func (p *plan) imageBuild() artifact {
	spec := p.imageSpec()
	m5, client, tools := p.m5(), p.client(), p.tools()
	spec.M5, spec.Client = m5.path, client.path
	needs := deps(artifact{rule: p.imageBase()}, artifact{rule: tools}, m5, client) // m5 may be one of the tools
	if rt := p.containerRuntime(); rt.rule != nil {
		spec.Runtime = append(p.runtimeBuild().Injects(),
			image.Inject{Src: p.toolPath(setkeyTool, p.cfg.Arch), Dst: image.SetKeyHookPath, Mode: 0o755})
		needs = append(needs, rt.rule)
	}
	inputs, description := spec.FinishInputs()
	return artifact{path: spec.Out, rule: p.rule(ruleImageBuild, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc: "make disk-image.qcow2: the base disk with gem5init, m5, the client and the container runtime", Outputs: []string{spec.Out},
			Inputs: inputs, Deps: needs, Params: description, Recipe: recipe(spec.Finish),
		}, nil
	})}
}

// runtimeBuild is the container runtime the configuration builds.
func (p *plan) runtimeBuild() image.Runtime {
	c := p.cfg
	return image.Runtime{
		Dir:  filepath.Join(c.Resources, "runtime-"+c.Arch),
		Work: filepath.Join(c.Resources, "runtime-src"),
		Arch: c.Arch,
	}
}

// containerRuntime is image:runtime: containerd, runc, Docker and compose built
// with this Go (none with CONTAINER_RUNTIME=distribution).
func (p *plan) containerRuntime() artifact {
	if p.cfg.ContainerRuntime != "built" {
		return artifact{}
	}
	rt := p.runtimeBuild()
	return artifact{path: rt.Dir, rule: p.rule(ruleImageRuntime, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc: "build containerd, runc, Docker and compose v2 with this Go (the disk's container runtime)", Outputs: rt.Binaries(),
			Params: rt.Description(), Recipe: recipe(rt.Build), Slots: p.cfg.Jobs, Space: 3 << 30,
		}, nil
	})}
}

// imageBase is image:base: the operating system disk.
func (p *plan) imageBase() *engine.Rule {
	spec := p.imageSpec()
	return p.rule(ruleImageBase, func() (*engine.Rule, error) {
		var deps []*engine.Rule
		if spec.Builder == "autoinstall" {
			deps = append(deps, p.kernel().rule) // the finalize boot uses it
		}
		if k := p.ubuntuKeyring(); k.rule != nil {
			deps = append(deps, k.rule)
		}
		return &engine.Rule{
			Doc: "build the operating system disk (IMAGE_BUILDER)", Outputs: []string{spec.Base()}, Deps: deps,
			Params: spec.BaseDescription(), Recipe: recipe(spec.MakeBase), Preflight: spec.PreflightBase, Space: 2 << 30,
		}, nil
	})
}

// imageRaw is image:raw: the disk image converted for gem5 (none when
// DISK names an image).
func (p *plan) imageRaw() {
	if p.cfg.Disk != "" {
		return
	}
	spec := p.imageSpec()
	p.rule(ruleImageRaw, func() (*engine.Rule, error) {
		return &engine.Rule{
			Doc: "convert the disk image to the raw format gem5 reads", Outputs: []string{spec.Raw},
			Deps: deps(p.disk()), Recipe: recipe(spec.ToRaw),
		}, nil
	})
}

// m5 is the guest's m5 utility: this project's (client:tools), gem5's
// util/m5 (gem5:m5) or M5_UTIL's file.
func (p *plan) m5() artifact {
	switch c := p.cfg; c.M5Util {
	case "builtin":
		return artifact{path: p.toolPath(m5Tool, c.Arch), rule: p.tools()}
	case "gem5":
		if c.Gem5 != "" {
			p.errs = append(
				p.errs,
				fmt.Errorf(
					"M5_UTIL=gem5 builds gem5's util/m5 from GEM5_DIR, but GEM5=%s replaces the gem5 stage: use M5_UTIL=builtin or M5_UTIL=<path to an m5>",
					c.Gem5,
				),
			)
			return artifact{}
		}
		return p.gem5M5()
	default:
		return p.given("M5_UTIL", c.M5Util)
	}
}

// installerISO is the autoinstall builder's ISO: ISO_URL with ISO_SHA256,
// else the known live-server release of suite.
func installerISO(c *config.Config, suite string) image.ISO {
	if c.ISOURL != "" {
		return image.ISO{URL: c.ISOURL, SHA256: c.ISOSHA256}
	}
	return image.ISOs[suite]
}

// qemuAccel decides how qemu runs guests (see qemu.Accelerator), once per
// invocation.
func (p *plan) qemuAccel(ctx context.Context, c qemu.Commander) (accel, cpu string) {
	kernel := p.kernel().path // declares rules, which takes p.mu: not under it
	p.mu.Lock()
	if p.accel == nil {
		p.accel = &qemu.Accelerator{Choice: p.cfg.CPU, Arch: p.cfg.Arch, Kernel: kernel,
			Cache: qemu.ProbeCache{Path: filepath.Join(p.cfg.StateDir(), "kvm-probe")},
			Say: func(ok bool, why string) {
				if ok {
					p.g.UI().Printf("qemu uses KVM (a probe boot worked)")
				} else {
					p.g.UI().Warnf("KVM is not usable here (%s): qemu uses TCG, which is slower; CPU=kvm forces KVM", why)
				}
			}}
	}
	a := p.accel
	p.mu.Unlock()
	return a.Resolve(ctx, c)
}

// Download fetches the Ubuntu live-server ISO of UBUNTU_VERSION (or ISO_URL) and checks its sha256, for IMAGE_BUILDER=autoinstall.
func (Image) Download(ctx context.Context) error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	iso := installerISO(cfg, cfg.UbuntuVersion)
	if iso.URL == "" {
		return fmt.Errorf("no installer ISO known for UBUNTU_VERSION=%s; set ISO_URL and ISO_SHA256", cfg.UbuntuVersion)
	}
	dst := filepath.Join(cfg.Resources, "image", "downloads", filepath.Base(iso.URL))
	p.g.UI().Printf("downloading %s (sha256 %s)", iso.URL, iso.SHA256)
	if err := download.File(ctx, iso.URL, "sha256:"+iso.SHA256, dst, nil); err != nil {
		return err
	}
	p.g.UI().Printf("%s %s", p.g.UI().Green("✔"), dst)
	return nil
}

// Clean removes the disk images and their base disks under $RESOURCES (downloads stay).
func (Image) Clean() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	for _, p := range []string{filepath.Join(cfg.Resources, "disk-image.qcow2"), filepath.Join(cfg.Resources, "disk-image.raw")} {
		if err := os.Remove(p); err == nil {
			fmt.Printf("removed %s\n", p)
		}
	}
	bases, _ := filepath.Glob(filepath.Join(cfg.Resources, "image", "base-*.raw"))
	for _, b := range bases {
		if err := removeAll(b); err != nil {
			return err
		}
	}
	return nil
}
