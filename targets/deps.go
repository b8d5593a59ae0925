package targets

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/image"
	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
	"github.com/vswarmu/vswarmu-mage/kernel"
)

// stageNeeds are the host packages a stage's rules need in a
// configuration: the depInstall target that installs them, and the rule
// names (or name prefixes, ending in ":") they are for.
type stageNeeds struct {
	depInstall string
	rules      []string
	packages   []string
}

// needs lists every stage's packages for cfg.
func needs(c *config.Config) []stageNeeds {
	var out []stageNeeds
	// A stage replaced by a given artifact (or a release's, or one the
	// main job does not read) needs nothing.
	fromRelease := c.ResourcesFrom == "release"
	if c.Gem5 == "" {
		out = append(out, stageNeeds{ruleGem5DepInstall, []string{"gem5:"}, gem5configs.Packages(c.CCache, c.Arch)})
	}
	if c.Kernel == "" && !fromRelease {
		out = append(out, stageNeeds{ruleKernelDepInstall, []string{"kernel:"}, kernelPackages(c)})
	}
	if c.Disk == "" && c.InstalledDisk == "" && !fromRelease {
		out = append(out, stageNeeds{ruleImageDepInstall, []string{"image:"}, imagePackages(c)})
	}
	switch c.InstalledDisk {
	case "":
		out = append(
			out,
			stageNeeds{
				ruleImageDepInstall,
				[]string{ruleFunctionsInstall, ruleFunctionsRaw},
				image.QemuPackages(c.Arch),
			},
		)
	case "tiny":
		out = append(out, stageNeeds{ruleImageDepInstall, []string{ruleFunctionsTiny}, tinyPackages(c.Arch)})
	}
	if c.Images == "reference" && c.InstalledDisk == "" {
		out = append(out, stageNeeds{ruleImageDepInstall, []string{ruleFunctionsReferenceNodejs, ruleFunctionsReferencePython},
			interpretedPackages(c.Arch)})
	}
	if t, err := gem5configs.LookupTopology(c.Topology); err == nil && t.DriveSystem() && c.DriveDisk == "" {
		out = append(out, stageNeeds{ruleImageDepInstall, []string{ruleFunctionsDriveDisk}, tinyPackages(c.Arch)})
	}
	switch c.Gem5 {
	case "standin":
		out = append(out, stageNeeds{ruleGem5DepInstall, []string{"simulate:"}, []string{"python3"}})
	case "":
	default:
		out = append(out, stageNeeds{ruleGem5DepInstall, []string{"simulate:"}, gem5RuntimePackages(c.Gem5)})
	}
	if pkgs := executorOf(c).Packages(); len(pkgs) > 0 {
		out = append(out, stageNeeds{ruleGem5DepInstall, []string{"simulate:"}, pkgs})
	}
	return out
}

// imagePackages are the image stage's packages.
func imagePackages(c *config.Config) []string {
	pkgs := image.Packages(c.ImageBuilder, c.Distro, c.Arch)
	if c.ContainerRuntime == "built" {
		pkgs = append(pkgs, image.RuntimePackages...)
	}
	return pkgs
}

// interpretedPackages build the Node.js and Python reference images: a
// Debian root file system (for another arch, with its scripts run under
// qemu-user).
func interpretedPackages(arch string) []string {
	pkgs := []string{"mmdebstrap", "debian-archive-keyring"}
	if arch != qemu.HostArch() {
		pkgs = append(pkgs, "qemu-user-static", "binfmt-support")
	}
	return pkgs
}

// tinyPackages make the tiny disks: a static busybox and an ext4 disk
// with a partition table; for a guest of another arch, what fetches and
// checks Debian's busybox-static of that arch (the host's lists its
// applets).
func tinyPackages(arch string) []string {
	pkgs := []string{"busybox-static", "e2fsprogs", "fdisk"}
	if arch != qemu.HostArch() {
		pkgs = append(pkgs, "gpgv", "debian-archive-keyring")
	}
	return pkgs
}

// gem5Libraries are the Debian/Ubuntu packages of the shared libraries a
// gem5.opt built on Debian 12 or Ubuntu links (gem5's build dependencies
// install them where gem5 is built; a gem5 given with GEM5 may lack them).
var gem5Libraries = map[string]string{
	"libpython3.11.so.1.0":      "libpython3.11",
	"libpython3.12.so.1.0":      "libpython3.12",
	"libpython3.10.so.1.0":      "libpython3.10",
	"libtcmalloc_minimal.so.4":  "libtcmalloc-minimal4",
	"libprotobuf.so.32":         "libprotobuf32",
	"libhdf5_serial.so.103":     "libhdf5-103-1",
	"libhdf5_serial_cpp.so.103": "libhdf5-cpp-103-1",
	"libpng16.so.16":            "libpng16-16",
	"libz.so.1":                 "zlib1g",
}

// gem5RuntimePackages are the packages of the libraries gem5 (a given
// gem5.opt) needs and this host lacks, as ldd reports them.
func gem5RuntimePackages(gem5 string) []string {
	out, _ := exec.Command("ldd", gem5).Output()
	var pkgs []string
	for _, line := range strings.Split(string(out), "\n") {
		lib, rest, _ := strings.Cut(strings.TrimSpace(line), " => ")
		if strings.Contains(rest, "not found") {
			if pkg, ok := gem5Libraries[lib]; ok {
				pkgs = append(pkgs, pkg)
			}
		}
	}
	return pkgs
}

// kernelPackages are the kernel build's packages, with Debian's kernel
// source for KERNEL_SOURCE=debian.
func kernelPackages(c *config.Config) []string {
	pkgs := kernel.Packages(c.Arch)
	if src := kernel.SourcePackage(c.KernelSource, c.KernelVersion()); src != "" {
		pkgs = append(pkgs, src)
	}
	return pkgs
}

// packagesOf are the packages a depInstall target installs.
func packagesOf(c *config.Config, depInstall string) []string {
	var pkgs []string
	for _, n := range needs(c) {
		if n.depInstall == depInstall {
			for _, p := range n.packages {
				if !slices.Contains(pkgs, p) {
					pkgs = append(pkgs, p)
				}
			}
		}
	}
	return pkgs
}

func (n stageNeeds) covers(rule string) bool {
	return slices.ContainsFunc(n.rules, func(r string) bool {
		return r == rule || strings.HasSuffix(r, ":") && strings.HasPrefix(rule, r)
	})
}

// depInstallFor is the depInstall target that installs what rule needs.
func depInstallFor(c *config.Config, rule string) string {
	for _, n := range needs(c) {
		if n.covers(rule) {
			return n.depInstall
		}
	}
	return ruleImageDepInstall
}

// unavailableHint says what to do without a package apt cannot install.
func unavailableHint(pkg string) string {
	if pkg == "ubuntu-keyring" {
		return image.KeyringHint
	}
	return pkg + " has no installation candidate here: install it from another source"
}

// installer installs packages for a configuration, saying what it
// installs and what it waits for.
type installer struct {
	out  *ui.Printer
	log  io.Writer
	opts apt.Options
}

func newInstaller(c *config.Config, out *ui.Printer, log io.Writer) installer {
	return installer{out: out, log: log, opts: apt.Options{LockTimeout: c.AptLockTimeout, Say: out.Printf}}
}

// install installs what of pkgs is missing, skipping (and saying so)
// packages apt has no candidate for, and returns what it installed; it
// says "installing <packages> <why>" first, only for what it will install.
func (in installer) install(ctx context.Context, what, why string, pkgs []string) ([]string, error) {
	missing, err := apt.Missing(ctx, pkgs)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	skip := apt.Unavailable(ctx, missing)
	if len(skip) > 0 {
		// Package lists may be missing or old (a new machine): update once.
		if err := apt.Update(ctx, in.log, in.opts); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		skip = apt.Unavailable(ctx, missing)
	}
	for _, s := range skip {
		in.out.Warnf("%s: skipping %s: %s", what, s, unavailableHint(s))
	}
	todo := slices.DeleteFunc(missing, func(p string) bool { return slices.Contains(skip, p) })
	if len(todo) == 0 {
		return nil, nil
	}
	if why != "" {
		in.out.Printf("installing %s %s", strings.Join(todo, " "), why)
	}
	return apt.Install(ctx, what, todo, in.log, in.opts)
}

// depInstall installs a depInstall target's packages for the current
// configuration and says what it did.
func depInstall(ctx context.Context, what string) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	pkgs := packagesOf(cfg, what)
	if what == ruleTestDepInstall {
		pkgs = TestPackages
	}
	out := ui.New(os.Stdout, os.Getenv("GITHUB_ACTIONS") == "true")
	installed, err := newInstaller(cfg, out, os.Stdout).install(ctx, what, "", pkgs)
	if err != nil {
		return err
	}
	if len(installed) == 0 {
		out.Printf(
			"%s %s: the %d packages this configuration needs are installed (or skipped above)",
			out.Green("✔"),
			what,
			len(pkgs),
		)
	} else {
		out.Printf("%s %s: installed %s", out.Green("✔"), what, strings.Join(installed, " "))
	}
	return nil
}

// TestPackages are what the test suite uses beyond the stages' packages:
// Chromium renders the HTML report, protoc checks the generated stubs,
// scons builds the gem5 stage's fixture, busybox and cpio make guests,
// xorriso a fake installer ISO, Slurm and munge a single-node cluster
// (internal/slurm/slurmtest), shellcheck the workflows' scripts.
var TestPackages = []string{"chromium", "protobuf-compiler", "scons", "git", "busybox-static", "cpio", "xorriso",
	"e2fsprogs", "fdisk", "python3", "slurmctld", "slurmd", "slurm-client", "munge", "shellcheck"}

// autoInstall installs the packages of the stages whose rules this build
// will run (AUTO_INSTALL=1, root or password-less sudo, apt present).
// It says whether it installed anything.
func (p *plan) autoInstall(ctx context.Context, rules []*engine.Rule) (bool, error) {
	if !p.cfg.AutoInstall || p.cfg.DryRun || !apt.Available() {
		return false, nil
	}
	verdicts, err := p.g.Evaluate(ctx, engine.Closure(rules...)...)
	if err != nil {
		return false, nil // the build itself reports what is wrong
	}
	var pkgs, why []string
	for _, n := range needs(p.cfg) {
		for _, v := range verdicts {
			if v.Stale && n.covers(v.Rule.Target) {
				for _, pkg := range n.packages {
					if !slices.Contains(pkgs, pkg) {
						pkgs = append(pkgs, pkg)
					}
				}
				why = append(why, v.Rule.Target)
				break
			}
		}
	}
	missing, err := apt.Missing(ctx, pkgs)
	if err != nil || len(missing) == 0 {
		return false, nil
	}
	logFile, err := os.CreateTemp("", "vswarmu-apt-*.log")
	if err != nil {
		return false, err
	}
	defer logFile.Close()
	in := newInstaller(p.cfg, p.g.UI(), logFile)
	if _, err := in.install(ctx, "AUTO_INSTALL", "for "+strings.Join(why, ", ")+" (AUTO_INSTALL=0 turns this off)", missing); err != nil {
		return false, fmt.Errorf("%w (apt's whole output: %s)", err, logFile.Name())
	}
	_ = os.Remove(logFile.Name())
	return true, nil
}
