package targets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/image"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/targets/graph"
)

// Image builds the base disk image (the original setup/disk.Makefile).
type Image mg.Namespace

// DepInstall installs what building and booting images needs (mmdebstrap, e2fsprogs, qemu, keyrings) with apt.
func (Image) DepInstall(ctx context.Context) error {
	return depInstall(ctx, "image:depInstall")
}

// Base builds the operating system disk: debootstrap (default) or the original's Ubuntu autoinstall (IMAGE_BUILDER).
func (Image) Base(ctx context.Context) error { return buildOrSkip(ctx, "image:base", "DISK") }

// Build makes $RESOURCES/disk-image.qcow2: the base disk with the gem5init agent, m5 and the client; DISK=/path skips it.
func (Image) Build(ctx context.Context) error { return buildOrSkip(ctx, "image:build", "DISK") }

// Raw converts the disk image to the raw format gem5 reads ($RESOURCES/disk-image.raw).
func (Image) Raw(ctx context.Context) error { return buildOrSkip(ctx, "image:raw", "DISK") }

// Run boots the disk image in qemu with the serial console on this terminal (changes are dropped unless PERSIST=1).
func (Image) Run(ctx context.Context) error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	if deps := present(p.kernelSave, p.imageBuild); len(deps) > 0 {
		if err := p.build(ctx, deps...); err != nil {
			return err
		}
	}
	persist := os.Getenv("PERSIST") == "1"
	accel, cpu := p.accel(ctx, qemu.Unregistered{})
	m := qemu.Machine{Arch: cfg.Arch, Kernel: p.kernelPath, Append: image.RootAppend(cfg.Arch) + " vswarmu.keep=1",
		MemoryMiB: cfg.Memory.MiB(), CPUs: cfg.CPUs, Accel: accel, CPU: cpu, Network: true, Interactive: true,
		Disks: []qemu.Disk{{Path: p.diskPath, Snapshot: !persist}}}
	if persist {
		fmt.Printf("booting %s (changes are kept); leave with Ctrl-A x or poweroff\n", p.diskPath)
	} else {
		fmt.Printf("booting %s (changes are dropped; PERSIST=1 keeps them); leave with Ctrl-A x or poweroff\n", p.diskPath)
	}
	if cfg.RootPassword == "root" {
		fmt.Println("log in as root with password \"root\" (ROOT_PASSWORD sets another one)")
	}
	_, err = qemu.Run(ctx, qemu.Unregistered{}, m, os.Stdout, 0)
	return err
}

// addImage adds the image rules, unless DISK names an image to use.
func (p *pipeline) addImage() error {
	c := p.cfg
	if c.Disk != "" {
		p.diskPath, p.rawPath = c.Disk, c.Disk
		return nil
	}
	suite := c.UbuntuVersion
	if c.Distro == "debian" {
		suite = c.DebianVersion
	}
	iso := installerISO(c, suite)
	spec := image.Spec{
		Builder: c.ImageBuilder, Distro: c.Distro, Suite: suite, Arch: c.Arch, Mirror: c.Mirror, Keyring: c.UbuntuKeyring,
		DiskSize: int64(c.DiskSize), RootPassword: c.RootPassword, Extra: c.ImagePackages,
		Dir: filepath.Join(c.Resources, "image"), Out: filepath.Join(c.Resources, "disk-image.qcow2"),
		Raw: filepath.Join(c.Resources, "disk-image.raw"), ProjectDir: c.ProjectDir, ClientName: "test-client",
		Auto: image.Autoinstall{ISO: iso, Kernel: p.kernelPath, MemoryMiB: max(c.Memory.MiB(), 4096), CPUs: c.CPUs, Timeout: 3 * time.Hour},
	}
	spec.Auto.Accel = p.accel
	var baseDeps, buildDeps []*graph.Rule
	if spec.Builder == "autoinstall" && p.kernelSave != nil {
		baseDeps = append(baseDeps, p.kernelSave) // the finalize boot uses it
	}
	switch c.M5Util {
	case "builtin":
		spec.M5 = p.toolPath(m5Tool, c.Arch)
		buildDeps = append(buildDeps, p.tools)
	case "gem5":
		if p.m5 == nil {
			return fmt.Errorf("M5_UTIL=gem5 builds gem5's util/m5 from GEM5_DIR, but GEM5=%s replaces the gem5 stage: use M5_UTIL=builtin or M5_UTIL=<path to an m5>", c.Gem5)
		}
		spec.M5 = p.gem5Build().M5()
		buildDeps = append(buildDeps, p.m5)
	default:
		spec.M5 = c.M5Util
	}
	spec.Launcher, spec.LauncherPath = p.toolPath(runTool, c.Arch), functions.Launcher
	if !slices.Contains(buildDeps, p.tools) {
		buildDeps = append(buildDeps, p.tools)
	}
	if p.client != nil {
		spec.Client = p.clientPath
		buildDeps = append(buildDeps, p.client)
	} else if c.Client != "" {
		spec.Client = c.Client
	}
	rules := spec.Rules(baseDeps, buildDeps)
	p.imageBuild, p.imageRaw = rules[1], rules[2]
	p.diskPath, p.rawPath = spec.Out, spec.Raw
	if c.RootPassword == "root" {
		p.warnings = append(p.warnings, "the disk image's root password is the original's default \"root\"; set ROOT_PASSWORD on shared machines")
	}
	return p.g.Add(rules...)
}

// installerISO is the autoinstall builder's ISO: ISO_URL with ISO_SHA256,
// else the known live-server release of suite.
func installerISO(c *config.Config, suite string) image.ISO {
	if c.ISOURL != "" {
		return image.ISO{URL: c.ISOURL, SHA256: c.ISOSHA256}
	}
	return image.ISOs[suite]
}

// accel decides how qemu runs guests: CPU=kvm or tcg as asked, a -cpu
// model with TCG, or with CPU=auto KVM only when a probe boot proves it
// works here (remembered per boot). The choice is said once.
func (p *pipeline) accel(ctx context.Context, c qemu.Commander) (accel, cpu string) {
	p.accelOnce.Do(func() {
		switch p.cfg.CPU {
		case "kvm":
			p.accelChoice = [2]string{"kvm", ""}
		case "tcg":
			p.accelChoice = [2]string{"tcg", ""}
		case "auto":
			cache := qemu.ProbeCache{Path: filepath.Join(p.cfg.StateDir(), "kvm-probe")}
			ok, why, found := cache.Get(p.cfg.Arch, p.kernelPath)
			if !found {
				ok, why = qemu.ProbeKVM(ctx, c, p.cfg.Arch, p.kernelPath, 30*time.Second)
				_ = cache.Put(p.cfg.Arch, p.kernelPath, ok, why)
			}
			if ok {
				p.accelChoice = [2]string{"kvm", ""}
				p.g.UI().Printf("qemu uses KVM (a probe boot worked)")
			} else {
				p.accelChoice = [2]string{"tcg", ""}
				p.g.UI().Warnf("KVM is not usable here (%s): qemu uses TCG, which is slower; CPU=kvm forces KVM", why)
			}
		default:
			p.accelChoice = [2]string{"tcg", p.cfg.CPU}
		}
	})
	return p.accelChoice[0], p.accelChoice[1]
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
	cfg, err := config.FromEnv()
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
