// Package kernel is the kernel stage: it fetches a Linux source (kernel.org
// tarball with its sha256, the stable git tree, or a local tarball or
// directory), configures it by merging the gem5 + container fragment onto
// the architecture's defconfig, builds vmlinux (amd64 natively, arm64 with
// aarch64-linux-gnu-) and checks configs for what Docker and gem5 need.
package kernel

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
)

//go:embed configs/*.config
var embedded embed.FS

// Packages are the Debian/Ubuntu packages kernel builds for arch need
// (the original's list; the cross compiler only for arm64).
func Packages(arch string) []string {
	pkgs := []string{"git", "build-essential", "libncurses-dev", "xz-utils", "libssl-dev", "bc", "flex", "libelf-dev",
		"bison", "cpio", "kmod", "rsync"}
	if arch == "arm64" {
		pkgs = append(pkgs, "gcc-aarch64-linux-gnu")
	}
	return pkgs
}

// Fragment is one configuration fragment and where it came from.
type Fragment struct {
	Name string // e.g. common.config
	Path string // the file on disk, when it came from one
	Text string
}

// Fragments returns the fragments for arch and version: common.config,
// <arch>.config and, if it exists, v<major>.<minor>.config. Each comes from
// projectDir/kernel/configs when that file exists (a checkout, or a user's
// override) and from the copy built into the tool otherwise. extra are
// further fragment files (KERNEL_FRAGMENTS).
func Fragments(projectDir, arch, version string, extra []string) ([]Fragment, error) {
	names := []string{"common.config", arch + ".config"}
	if m := versionRE.FindStringSubmatch(version); m != nil {
		names = append(names, fmt.Sprintf("v%s.%s.config", m[1], m[2]))
	}
	var out []Fragment
	for i, n := range names {
		disk := filepath.Join(projectDir, "kernel", "configs", n)
		if b, err := os.ReadFile(disk); err == nil {
			out = append(out, Fragment{Name: n, Path: disk, Text: string(b)})
			continue
		}
		b, err := embedded.ReadFile("configs/" + n)
		if errors.Is(err, fs.ErrNotExist) && i == len(names)-1 && len(names) == 3 {
			continue // no version-specific fragment
		}
		if err != nil {
			return nil, fmt.Errorf("kernel fragment %s: %w", n, err)
		}
		out = append(out, Fragment{Name: n, Text: string(b)})
	}
	for _, p := range extra {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("KERNEL_FRAGMENTS: %w", err)
		}
		out = append(out, Fragment{Name: filepath.Base(p), Path: p, Text: string(b)})
	}
	for _, f := range out {
		if _, err := ParseConfig(strings.NewReader(f.Text), f.Name); err != nil {
			return nil, fmt.Errorf("kernel fragment: %w", err)
		}
	}
	return out, nil
}

// BuiltinPatches are the project's kernel patches, projectDir's
// kernel/patches/*.patch in name order (none outside a checkout). They
// change no behaviour by themselves: each adds a kernel parameter the
// simulations pass (0001: lapic_timer_khz=, the local APIC timer's clock).
func BuiltinPatches(projectDir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(projectDir, "kernel", "patches", "*.patch"))
	if err != nil {
		return nil, fmt.Errorf("kernel/patches: %w", err)
	}
	slices.Sort(m)
	return m, nil
}

// Merged returns the fragments as one file, each part headed by its name.
func Merged(frags []Fragment) string {
	var b strings.Builder
	for _, f := range frags {
		fmt.Fprintf(&b, "# ---- %s ----\n%s\n", f.Name, strings.TrimRight(f.Text, "\n"))
	}
	return b.String()
}

// Build is one kernel build.
type Build struct {
	Version   string // KVERSION without "v"
	Source    Source
	Arch      string // amd64 or arm64
	Base      string // defconfig or tinyconfig
	Dir       string // $RESOURCES/kernel: downloads, sources, build trees
	Out       string // KERNEL_OUT
	Jobs      int
	Patches   []string
	Fragments []Fragment
}

// KernelArch is the kernel's name for the architecture (ARCH=).
func KernelArch(arch string) string {
	if arch == "arm64" {
		return "arm64"
	}
	return "x86_64"
}

// archDir is the directory under arch/ that holds the architecture.
func archDir(arch string) string {
	if arch == "arm64" {
		return "arm64"
	}
	return "x86"
}

// SourceDir is where the kernel source is unpacked (or the given directory).
func (b Build) SourceDir() string {
	if b.Source.Kind == "dir" {
		return b.Source.Location
	}
	return filepath.Join(b.Dir, b.Source.Name)
}

// BuildDir is the out-of-tree build directory (make O=), so the source
// stays pristine and serves several architectures.
func (b Build) BuildDir() string {
	return filepath.Join(b.Dir, "build-"+b.Source.Name+"-"+b.Arch+"-"+b.Base)
}

// ConfigPath is the build's .config.
func (b Build) ConfigPath() string { return filepath.Join(b.BuildDir(), ".config") }

// Vmlinux is the kernel image the build makes.
func (b Build) Vmlinux() string { return filepath.Join(b.BuildDir(), "vmlinux") }

// makeArgs are the arguments every make of this kernel gets.
func (b Build) makeArgs(targets ...string) []string {
	args := []string{"-C", b.SourceDir(), "O=" + b.BuildDir(), "ARCH=" + KernelArch(b.Arch)}
	if b.Arch == "arm64" && qemu.HostArch() != "arm64" {
		args = append(args, "CROSS_COMPILE=aarch64-linux-gnu-")
	}
	return append(args, targets...)
}

// Fetch downloads (go-getter, checksum verified) and unpacks the source
// into j.Out(SourceDir()).
func (b Build) Fetch(ctx context.Context, j job.Job) error {
	out := j.Out(b.SourceDir())
	if b.Source.Kind == "git" {
		// A shallow clone of the tag: the stable tree's history is many
		// GB. (go-getter's git getter clones --depth 1 without --branch,
		// which cannot reach a tag off the default branch.)
		j.Progress("cloning %s at %s", b.Source.Location, b.Source.Ref)
		if err := j.Run(ctx, "git", "clone", "--quiet", "--depth", "1", "--branch", b.Source.Ref, b.Source.Location, out); err != nil {
			return fmt.Errorf(
				"clone %s at %s (is %s a tag there?): %w",
				b.Source.Location,
				b.Source.Ref,
				b.Source.Ref,
				err,
			)
		}
		return nil
	}
	tarball := b.Source.Location
	if b.Source.Installed() {
		if _, err := os.Stat(tarball); err != nil {
			return &MissingPackageError{Package: strings.TrimSuffix(filepath.Base(tarball), ".tar.xz"), Path: tarball}
		}
	}
	if !b.Source.Local() || b.Source.Checksum != "" {
		tarball = filepath.Join(b.Dir, "downloads", filepath.Base(b.Source.Location))
		j.Logf("go-getter: %s (checksum %s) -> %s", b.Source.Location, cmp.Or(b.Source.Checksum, "none"), tarball)
		if err := download.File(ctx, b.Source.Location, b.Source.Checksum, tarball, download.Report("downloaded", j.Progress)); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	j.Progress("unpacking %s", filepath.Base(tarball))
	// GNU tar keeps the tree's symbolic links (go-getter's unpacker does not).
	if err := j.Run(ctx, "tar", "-xf", tarball, "-C", out, "--strip-components=1", "--no-same-owner"); err != nil {
		return fmt.Errorf("unpack %s: %w", tarball, err)
	}
	if _, err := os.Stat(filepath.Join(out, "Kconfig")); err != nil {
		return fmt.Errorf("%s does not unpack to a kernel source tree (no Kconfig at its top)", tarball)
	}
	return nil
}

// PatchStamp records the patches applied to the source tree.
func (b Build) PatchStamp() string { return filepath.Join(b.SourceDir(), ".vswarmu-patches") }

// Patch applies the patches to the source tree, each once (a patch that
// reverses cleanly is applied already), and writes PatchStamp.
func (b Build) Patch(ctx context.Context, j job.Job) error {
	var applied []string
	for _, p := range b.Patches {
		c := j.Command("git", "apply", "--check", "-R", p)
		c.Dir = b.SourceDir()
		if err := j.RunCmd(ctx, c); err == nil {
			j.Logf("%s is already applied", p)
			applied = append(applied, p)
			continue
		}
		c = j.Command("git", "apply", p)
		c.Dir = b.SourceDir()
		if err := j.RunCmd(ctx, c); err != nil {
			return fmt.Errorf("patch %s does not apply to %s: %w", p, b.SourceDir(), err)
		}
		applied = append(applied, p)
	}
	return os.WriteFile(b.PatchStamp(), []byte(strings.Join(applied, "\n")+"\n"), 0o644)
}

// Configure writes .config: base config, fragment merged with
// merge_config.sh, olddefconfig; then every fragment option must have
// survived, unless this kernel does not have it.
func (b Build) Configure(ctx context.Context, j job.Job) error {
	build := b.BuildDir()
	if err := os.MkdirAll(build, 0o755); err != nil {
		return err
	}
	j.Progress("make %s", b.Base)
	if err := j.Run(ctx, "make", b.makeArgs(b.Base)...); err != nil {
		return fmt.Errorf("make %s: %w", b.Base, err)
	}
	fragPath := filepath.Join(build, "vswarmu-fragment.config")
	merged := Merged(b.Fragments)
	if err := os.WriteFile(fragPath, []byte(merged), 0o644); err != nil {
		return err
	}
	j.Progress("merge_config.sh")
	merge := j.Command("sh", filepath.Join(b.SourceDir(), "scripts", "kconfig", "merge_config.sh"),
		"-m", "-O", build, b.ConfigPath(), fragPath)
	merge.Dir = build // the script makes its temporary files in the current directory
	if err := j.RunCmd(ctx, merge); err != nil {
		return fmt.Errorf("merge_config.sh: %w", err)
	}
	j.Progress("make olddefconfig")
	if err := j.Run(ctx, "make", b.makeArgs("olddefconfig")...); err != nil {
		return fmt.Errorf("make olddefconfig: %w", err)
	}
	frag, _ := ParseConfig(strings.NewReader(merged), fragPath)
	final, err := ReadConfig(b.ConfigPath())
	if err != nil {
		return err
	}
	defined, err := KconfigSymbols(b.SourceDir(), archDir(b.Arch))
	if err != nil {
		return err
	}
	res := CheckMerge(frag, final, defined)
	version, _ := SourceVersion(b.SourceDir())
	if len(res.Skipped) > 0 {
		j.Logf("not in Linux %s for %s (skipped): %s", version, b.Arch, strings.Join(res.Skipped, " "))
	}
	if len(res.Lost) > 0 {
		return fmt.Errorf(
			"fragment options that did not survive merge_config.sh + olddefconfig on Linux %s %s (a dependency is off or the option is for another architecture; enable the dependencies in the fragment or move the option to kernel/configs/<arch>.config; the log shows merge_config.sh's warnings): %s",
			version,
			b.Arch,
			strings.Join(res.Lost, ", "),
		)
	}
	return nil
}

// Compile builds vmlinux with make -j Jobs.
func (b Build) Compile(ctx context.Context, j job.Job) error {
	c := j.Command("make", b.makeArgs("-j", fmt.Sprint(b.Jobs), "vmlinux")...)
	c.Stdout = job.StepCounter(j, kbuildStep, "%d files")
	c.Stderr = c.Stdout
	if err := j.RunCmd(ctx, c); err != nil {
		return fmt.Errorf("make vmlinux: %w", err)
	}
	return nil
}

var kbuildStep = regexp.MustCompile(`^\s+(CC|AS|LD|AR)\s`)

// Save copies vmlinux and its .config to Out and Out.config.
func (b Build) Save(ctx context.Context, j job.Job) error {
	if err := copyFile(b.Vmlinux(), j.Out(b.Out), 0o755); err != nil {
		return err
	}
	return copyFile(b.ConfigPath(), j.Out(b.Out+".config"), 0o644)
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
