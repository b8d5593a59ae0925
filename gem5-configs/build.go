package gem5configs

// The gem5 build: clone gem5 at a version, build gem5.opt with scons
// (classic caches only unless a Ruby protocol is asked for), and the
// m5term and m5 utilities.

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// Packages are the Debian/Ubuntu packages gem5 and its utilities build
// with (the original's list), with ccache when the build uses it and the
// arm64 cross compiler when the guest's m5 is built for arm64.
func Packages(ccache bool, guestArch string) []string {
	pkgs := []string{
		"build-essential", "git", "m4", "scons", "zlib1g", "zlib1g-dev", "libprotobuf-dev",
		"protobuf-compiler", "libprotoc-dev", "libgoogle-perftools-dev", "python3-dev",
		"libboost-all-dev", "pkg-config", "python3-tk", "libunwind-dev",
	}
	if ccache {
		pkgs = append(pkgs, "ccache")
	}
	if guestArch == "arm64" {
		pkgs = append(pkgs, "g++-aarch64-linux-gnu")
	}
	return pkgs
}

// Build describes one gem5 build: where the source lives, which version
// and ISA, and how to compile.
type Build struct {
	Repo      string // GEM5_REPO: URL, mirror or local path
	Version   string // GEM5_VERSION: tag, branch or commit
	Dir       string // GEM5_DIR: the checkout
	Arch      string // GEM5_ARCH: X86 or ARM
	GuestArch string // ARCH: amd64 or arm64, for the guest's m5
	Jobs      int
	CCache    bool   // compile through ccache
	CCacheDir string // where ccache keeps objects
	// Ruby is the Ruby coherence protocol compiled in, "none" (or "")
	// for classic caches only: the configs use classic caches.
	Ruby string
	// Patches is GEM5_PATCHES: the folder of patches gem5:patch applies
	// (NoPatches or "": none).
	Patches string
}

// rubyOptions are the Kconfig settings (gem5 v24's `scons setconfig`)
// that select the Ruby protocol, or none.
func (b Build) rubyOptions() []string {
	if b.Ruby == "" || b.Ruby == "none" {
		return []string{"RUBY=n"}
	}
	return []string{"RUBY=y", "RUBY_PROTOCOL_" + strings.ToUpper(b.Ruby) + "=y"}
}

// Binary is the gem5 executable this build makes.
func (b Build) Binary() string { return filepath.Join(b.Dir, "build", b.Arch, "gem5.opt") }

// M5Term is the m5term binary (connects to a simulated system's console).
func (b Build) M5Term() string { return filepath.Join(b.Dir, "util", "term", "m5term") }

// M5 is the guest's m5 utility for the guest architecture.
func (b Build) M5() string {
	return filepath.Join(b.Dir, "util", "m5", "build", m5Arch(b.GuestArch), "out", "m5")
}

func m5Arch(guest string) string {
	if guest == "arm64" {
		return "arm64"
	}
	return "x86"
}

// git runs git in the checkout and returns its trimmed output.
func (b Build) git(ctx context.Context, args ...string) (string, error) {
	c := proc.Command("git", append([]string{"-C", b.Dir}, args...)...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output(ctx)
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// resolve returns the commit GEM5_VERSION names in the local clone, trying
// it as a tag, a commit, a local and a remote branch.
func (b Build) resolve(ctx context.Context) (string, bool) {
	for _, ref := range []string{b.Version, "origin/" + b.Version} {
		if out, err := b.git(ctx, "rev-parse", "--verify", "-q", ref+"^{commit}"); err == nil && out != "" {
			return out, true
		}
	}
	return "", false
}

// Head is the file a checkout rewrites when the checked-out commit
// changes: the source step's output.
func (b Build) Head() string { return filepath.Join(b.Dir, ".git", "HEAD") }

// CheckoutStale says why the checkout is not at Version ("" when it is).
func (b Build) CheckoutStale(ctx context.Context) (string, error) {
	want, ok := b.resolve(ctx)
	if !ok {
		return fmt.Sprintf("GEM5_VERSION %s is not in the local clone yet", b.Version), nil
	}
	have, err := b.git(ctx, "rev-parse", "HEAD")
	if err != nil {
		return "checkout has no HEAD commit", nil
	}
	if have != want {
		return fmt.Sprintf("checked-out commit %.12s is not GEM5_VERSION %s (%.12s)", have, b.Version, want), nil
	}
	return "", nil
}

// Checkout clones Repo into Dir (partially, when remote) and checks out
// Version.
func (b Build) Checkout(ctx context.Context, j job.Job) error {
	if _, err := os.Stat(filepath.Join(b.Dir, ".git")); os.IsNotExist(err) {
		if ents, _ := os.ReadDir(b.Dir); len(ents) > 0 {
			return fmt.Errorf(
				"GEM5_DIR %s exists but is not a git checkout; remove it or point GEM5_DIR elsewhere",
				b.Dir,
			)
		}
		args := []string{"clone", "--no-checkout"}
		if isRemote(b.Repo) {
			args = append(args, "--filter=blob:none") // blobs arrive at checkout: much faster
		}
		j.Progress("cloning %s", b.Repo)
		if err := j.Run(ctx, "git", append(args, b.Repo, b.Dir)...); err != nil {
			return fmt.Errorf("clone %s: %w", b.Repo, err)
		}
	}
	// The project's patches are changes in the work tree: out with them
	// first, so that any commit checks out (gem5:patch applies them again).
	if err := b.RemovePatches(ctx, j); err != nil {
		return err
	}
	commit, ok := b.resolve(ctx)
	if !ok {
		j.Progress("fetching %s", b.Version)
		if err := j.Run(ctx, "git", "-C", b.Dir, "fetch", "--tags", "origin"); err != nil {
			return fmt.Errorf("fetch %s: %w", b.Repo, err)
		}
		// A commit or branch that no tag or branch head reaches.
		_ = j.Run(ctx, "git", "-C", b.Dir, "fetch", "origin", b.Version)
		if commit, ok = b.resolve(ctx); !ok {
			return b.unknownVersion(ctx)
		}
	}
	j.Progress("checking out %s", b.Version)
	if err := j.Run(ctx, "git", "-C", b.Dir, "-c", "advice.detachedHead=false", "checkout", "--detach", commit); err != nil {
		return fmt.Errorf(
			"check out GEM5_VERSION %s (%.12s) in %s (local changes in the way? commit or stash them): %w",
			b.Version,
			commit,
			b.Dir,
			err,
		)
	}
	return nil
}

// unknownVersion explains a GEM5_VERSION that the repository does not
// have, listing the tags it does have, newest first.
func (b Build) unknownVersion(ctx context.Context) error {
	tags, _ := b.git(ctx, "tag", "--sort=-version:refname")
	list := strings.Fields(tags)
	more := ""
	if len(list) > 25 {
		more = fmt.Sprintf(" (and %d older)", len(list)-25)
		list = list[:25]
	}
	if len(list) == 0 {
		return fmt.Errorf("GEM5_VERSION=%s is not a tag, branch or commit of %s, which has no tags", b.Version, b.Repo)
	}
	return fmt.Errorf("GEM5_VERSION=%s is not a tag, branch or commit of %s; available tags: %s%s",
		b.Version, b.Repo, strings.Join(list, ", "), more)
}

var remoteRE = regexp.MustCompile(`^([a-z+]+://|[^/]+@[^/]+:)`)

func isRemote(repo string) bool {
	return remoteRE.MatchString(repo) && !strings.HasPrefix(repo, "file://")
}

// CompileDescription is what shapes gem5.opt besides its sources.
func (b Build) CompileDescription() map[string]string {
	return map[string]string{"GEM5_ARCH": b.Arch, "variant": "opt", "GEM5_RUBY": cmp.Or(b.Ruby, "none")}
}

// CompileInputs are the source files gem5.opt is built from.
func (b Build) CompileInputs() []string {
	in := func(p string) string { return filepath.Join(b.Dir, p) }
	return []string{in("SConstruct"), in("src"), in("site_scons"), in("build_opts"), in("include")}
}

// Compile runs `scons build/<ARCH>/gem5.opt -j <Jobs>` in the checkout
// (in place and incrementally), after setting the build's options.
func (b Build) Compile(ctx context.Context, j job.Job) error {
	if err := apt.Need("scons", "g++", "python3"); err != nil {
		return err
	}
	if err := b.configure(ctx, j); err != nil {
		return err
	}
	target := filepath.Join("build", b.Arch, "gem5.opt")
	c := j.Command("scons", append([]string{target, "-j", fmt.Sprint(b.Jobs), "--ignore-style"}, pythonConfig()...)...)
	c.Dir = b.Dir
	c.Env = b.env()
	c.KillGrace = sconsKillGrace()
	counter := job.StepCounter(j, sconsStep, "%d steps")
	c.Stdout, c.Stderr = counter, counter
	return j.RunCmd(ctx, c)
}

// sconsKillGrace is what `mage kill` gives an interrupted gem5 build:
// scons writes its signature database (build/<ARCH>/gem5.build/sconsign)
// only as it exits, so a build killed before that forgets every object it
// compiled in that run and compiles them again (420 objects, hours on
// these machines, were lost so with the three seconds of a Ctrl-C).
func sconsKillGrace() proc.Grace {
	return proc.Grace{Interrupt: 10 * time.Minute, Terminate: 30 * time.Second}
}

// configure sets the build's Kconfig options (gem5 v24 and later: the
// build_opts file holds KEY=y lines): the ISA's defaults, then the Ruby
// protocol or none. Older gem5 versions take no Kconfig; they build their
// default protocol, which is said in the log.
func (b Build) configure(ctx context.Context, j job.Job) error {
	opts, err := os.ReadFile(filepath.Join(b.Dir, "build_opts", b.Arch))
	if err != nil {
		return fmt.Errorf("GEM5_ARCH=%s: %s has no build_opts/%s: %w", b.Arch, b.Dir, b.Arch, err)
	}
	if !bytes.Contains(opts, []byte("=y")) {
		j.Logf(
			"gem5 %s has no Kconfig build options: GEM5_RUBY=%s is not applied (it builds its default protocol)",
			b.Version,
			b.Ruby,
		)
		return nil
	}
	build := filepath.Join("build", b.Arch)
	steps := [][]string{append([]string{"setconfig", build}, b.rubyOptions()...)}
	if _, err := os.Stat(filepath.Join(b.Dir, build, "config")); err != nil {
		steps = append([][]string{{"defconfig", build, filepath.Join("build_opts", b.Arch)}}, steps...)
	}
	for _, args := range steps {
		c := j.Command("scons", args...)
		c.Dir, c.Env = b.Dir, b.env()
		if err := j.RunCmd(ctx, c); err != nil {
			return fmt.Errorf("scons %s: %w", strings.Join(args, " "), err)
		}
	}
	return nil
}

// systemPythonConfig is the distribution's python3-config (python3-dev,
// which gem5:depInstall installs).
const systemPythonConfig = "/usr/bin/python3-config"

// pythonConfig points gem5's build at the distribution's Python when it
// has one: gem5 embeds the Python whose python3-config comes first on
// PATH, and a user's own Python (pyenv, conda) would leave a gem5.opt that
// runs only where that Python is.
func pythonConfig() []string {
	if _, err := os.Stat(systemPythonConfig); err != nil {
		return nil
	}
	return []string{"PYTHON_CONFIG=" + systemPythonConfig}
}

// env is the environment scons runs with: ccache through CC/CXX, which
// gem5's SConstruct takes from the environment.
func (b Build) env() []string {
	env := os.Environ()
	if b.CCache {
		env = append(env, "CC=ccache gcc", "CXX=ccache g++", "CCACHE_DIR="+b.CCacheDir)
	}
	return env
}

// TermInputs are the sources of m5term.
func (b Build) TermInputs() []string {
	dir := filepath.Join(b.Dir, "util", "term")
	return []string{filepath.Join(dir, "*.c"), filepath.Join(dir, "Makefile")}
}

// BuildTerm builds util/term/m5term.
func (b Build) BuildTerm(ctx context.Context, j job.Job) error {
	if err := apt.Need("make", "cc"); err != nil {
		return err
	}
	return j.Run(ctx, "make", "-C", filepath.Join(b.Dir, "util", "term"))
}

// M5Inputs are the sources of the guest's m5 utility.
func (b Build) M5Inputs() []string {
	dir := filepath.Join(b.Dir, "util", "m5")
	return []string{filepath.Join(dir, "SConstruct"), filepath.Join(dir, "src"), filepath.Join(b.Dir, "include")}
}

// BuildM5 builds the guest's m5 utility for GuestArch with util/m5's
// scons.
func (b Build) BuildM5(ctx context.Context, j job.Job) error {
	if err := apt.Need("scons"); err != nil {
		return err
	}
	c := j.Command("scons", filepath.Join("build", m5Arch(b.GuestArch), "out", "m5"), "-j", fmt.Sprint(b.Jobs))
	c.Dir = filepath.Join(b.Dir, "util", "m5")
	c.Env = b.env()
	return j.RunCmd(ctx, c)
}

// sconsStep matches gem5's abbreviated scons output: " [     CXX] X86/... -> .o".
var sconsStep = regexp.MustCompile(`^\s*\[\s*[A-Z0-9 ]+\]\s`)

// Bootloader is the arm64 boot loader gem5's Arm board starts the kernel
// with, built from gem5's own source (system/arm/bootloader/arm64):
// boot_foundation.arm64 has the GICv3 addresses of VExpress_GEM5_Foundation,
// the platform run_sim.py's Arm board uses.
func (b Build) Bootloader() string {
	return filepath.Join(b.Dir, "system", "arm", "bootloader", "arm64", "boot_foundation.arm64")
}

// BootloaderInputs are the boot loader's sources.
func (b Build) BootloaderInputs() []string {
	dir := filepath.Dir(b.Bootloader())
	return []string{filepath.Join(dir, "boot.S"), filepath.Join(dir, "makefile")}
}

// BuildBootloader builds Bootloader with the boot loader's makefile, with
// the aarch64 cross compiler on other hosts.
func (b Build) BuildBootloader(ctx context.Context, j job.Job) error {
	prefix := "aarch64-linux-gnu-"
	if runtime.GOARCH == "arm64" {
		prefix = ""
	}
	if err := apt.Need("make", prefix+"gcc", prefix+"ld"); err != nil {
		return err
	}
	out := j.Out(b.Bootloader()) // in place: make removes a target it did not finish
	return j.Run(ctx, "make", "-C", filepath.Dir(out), "CROSS_COMPILE="+prefix, "BUILDDIR=.", filepath.Base(out))
}
