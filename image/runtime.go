package image

// The container runtime of the Debian disk, built here. Debian 12 builds
// containerd, runc and Docker with Go 1.19; gem5 v24's X86 cores run such a
// binary wrongly (they execute the `xchg %rax,%r8` of its write barrier as a
// NOP: internal/misdecode, README "Containers under gem5"), while the same
// programs built with a current Go run correctly. So the image stage builds them
// from their modules, at pinned versions, and writes them over the
// distribution's files.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
)

// RuntimeComponent is one program of the container runtime: which module
// and package it is built from, how, and where the distribution keeps it.
type RuntimeComponent struct {
	Name    string // the binary's name
	Module  string // its Go module
	Version string // pinned version
	Package string // the main package, relative to the module
	Guest   string // its path in the guest, which the build replaces
	CGO     bool   // needs cgo (runc's nsenter and libseccomp)
	Tags    string // build tags
	LDFlags string // linker flags (the version it reports)
	// VendorMod: the module keeps its requirements in vendor.mod and
	// vendor.sum (moby and the docker CLI), which become go.mod and go.sum.
	VendorMod bool
	// Replace pins requirements the module names at versions the Go
	// module proxy does not serve (an untagged commit of moby the docker
	// CLI requires) to released ones: module → version.
	Replace map[string]string
}

// SetKeyHookPath is where the dockerd image:runtime builds looks for its
// libnetwork-setkey hook (image/patches/docker; vswarmu-setkey goes
// there), else it runs a second dockerd as the hook.
const SetKeyHookPath = "/usr/libexec/docker/libnetwork-setkey"

// runtimePatches are the project's patches to the runtime's modules, by
// module: image/patches/<dir>/*.patch in name order, applied to the
// module's writable copy before any of its programs is built.
var runtimePatches = map[string]string{"github.com/docker/docker": "docker"}

//go:embed patches
var patchFS embed.FS

// ModulePatch is one of the project's patches to a runtime module.
type ModulePatch struct {
	Name string // file name under image/patches/<dir>
	Text []byte
}

// ModulePatches are the project's patches to module, in the order they apply.
func ModulePatches(module string) ([]ModulePatch, error) {
	dir, ok := runtimePatches[module]
	if !ok {
		return nil, nil
	}
	names, err := fs.Glob(patchFS, "patches/"+dir+"/*.patch")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]ModulePatch, 0, len(names))
	for _, n := range names {
		b, err := patchFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, ModulePatch{Name: path.Base(n), Text: b})
	}
	return out, nil
}

// patchesParam names module's patches with their contents' hashes, so a
// changed patch rebuilds the runtime.
func patchesParam(module string) string {
	ps, err := ModulePatches(module)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("%s@%x", p.Name, sha256.Sum256(p.Text)))
	}
	return strings.Join(parts, " ")
}

// Versions of the runtime: containerd and runc as Debian 12 ships them
// (containerd 1.6.20, runc 1.1.x), Docker 27.5 (Debian's 20.10 has no
// module file to build it from; from 27 dockerd no longer splits its
// default address pools into 65,536 networks in an init function: its
// start natively, `dockerd --version`, 84.5 M user instructions in 26.1,
// 46.6 M in 27.5), and compose v2 (vSwarm-u's guest runs
// compose v2; Debian's docker-compose 1.29 is a Python program, whose
// interpreter and imports are slow to start on simulated cores).
const (
	containerdVersion = "v1.6.20"
	runcVersion       = "v1.1.12"
	dockerVersion     = "27.5.1"
	composeVersion    = "v2.28.1"
)

// RuntimeComponents are the runtime's programs.
var RuntimeComponents = []RuntimeComponent{
	{
		Name:    "containerd",
		Module:  "github.com/containerd/containerd",
		Version: containerdVersion,
		Package: "cmd/containerd",
		Guest:   "/usr/bin/containerd",
		// Without the Kubernetes CRI plugin (Docker does not use it; the
		// guest's config disables it too) and aufs (its plugin runs
		// modprobe at start): their packages' init functions are a third
		// of containerd's start natively (containerd --version: 30.9 M
		// user instructions, 22.0 M without them, Valgrind).
		Tags:    "no_btrfs no_devmapper no_zfs no_cri no_aufs",
		LDFlags: "-X github.com/containerd/containerd/version.Version=" + strings.TrimPrefix(containerdVersion, "v"),
	},
	{Name: "containerd-shim-runc-v2", Module: "github.com/containerd/containerd", Version: containerdVersion,
		Package: "cmd/containerd-shim-runc-v2", Guest: "/usr/bin/containerd-shim-runc-v2",
		LDFlags: "-X github.com/containerd/containerd/version.Version=" + strings.TrimPrefix(containerdVersion, "v")},
	{
		Name:    "runc",
		Module:  "github.com/opencontainers/runc",
		Version: runcVersion,
		Package: ".",
		Guest:   "/usr/sbin/runc",
		CGO:     true,
		Tags:    "seccomp",
		LDFlags: "-X main.version=" + strings.TrimPrefix(runcVersion, "v"),
	},
	{
		Name:      "dockerd",
		Module:    "github.com/docker/docker",
		Version:   "v" + dockerVersion + "+incompatible",
		Package:   "cmd/dockerd",
		Guest:     "/usr/sbin/dockerd",
		Tags:      "exclude_graphdriver_btrfs exclude_graphdriver_devicemapper",
		VendorMod: true,
		LDFlags:   "-X github.com/docker/docker/dockerversion.Version=" + dockerVersion,
	},
	{Name: "docker-proxy", Module: "github.com/docker/docker", Version: "v" + dockerVersion + "+incompatible",
		Package: "cmd/docker-proxy", Guest: "/usr/sbin/docker-proxy", VendorMod: true},
	{
		Name:      "docker",
		Module:    "github.com/docker/cli",
		Version:   "v" + dockerVersion + "+incompatible",
		Package:   "cmd/docker",
		Guest:     "/usr/bin/docker",
		VendorMod: true,
		LDFlags:   "-X github.com/docker/cli/cli/version.Version=" + dockerVersion,
		Replace:   map[string]string{"github.com/docker/docker": "v" + dockerVersion + "+incompatible"},
	},
	{Name: "docker-compose", Module: "github.com/docker/compose/v2", Version: composeVersion, Package: "cmd",
		Guest: "/usr/bin/docker-compose", LDFlags: "-X github.com/docker/compose/v2/internal.Version=" + composeVersion},
}

// RuntimePackages are the host packages the runtime's build needs beyond
// Go: a C compiler and libseccomp's headers for runc.
var RuntimePackages = []string{"gcc", "libc6-dev", "libseccomp-dev", "pkg-config"}

// Runtime builds the runtime's programs into Dir for Arch.
type Runtime struct {
	Dir  string // the binaries ($RESOURCES/runtime-<arch>)
	Work string // writable copies of the modules
	Arch string // amd64 (the only one whose runc this host can link)
	Go   string // the go command ("" = go on PATH)
}

// Binaries are the built programs, in RuntimeComponents' order.
func (rt Runtime) Binaries() []string {
	out := make([]string, len(RuntimeComponents))
	for i, c := range RuntimeComponents {
		out[i] = filepath.Join(rt.Dir, c.Name)
	}
	return out
}

// Description is what shapes the binaries: every component's module and
// version, and the Go that builds them.
func (rt Runtime) Description() map[string]string {
	d := map[string]string{"ARCH": rt.Arch, "go": runtime.Version()}
	for _, c := range RuntimeComponents {
		d[c.Name] = fmt.Sprintf(
			"%s@%s %s tags=%q cgo=%v replace=%v",
			c.Module,
			c.Version,
			c.Package,
			c.Tags,
			c.CGO,
			c.Replace,
		)
		if p := patchesParam(c.Module); p != "" {
			d[c.Name] += " patches=" + p
		}
	}
	return d
}

// Injects are the binaries as the image stage writes them over the
// distribution's.
func (rt Runtime) Injects() []Inject {
	out := make([]Inject, len(RuntimeComponents))
	for i, c := range RuntimeComponents {
		out[i] = Inject{Src: filepath.Join(rt.Dir, c.Name), Dst: c.Guest, Mode: 0o755}
	}
	return out
}

// Build fetches each module through the Go module proxy (the go command
// checks every module against go.sum and the checksum database) and
// builds each program into j.Out(binary).
func (rt Runtime) Build(ctx context.Context, j job.Job) error {
	if rt.Arch != "amd64" {
		return fmt.Errorf(
			"ARCH=%s: the container runtime is built for amd64 only (runc links libseccomp with cgo); use EXEC_MODE=process",
			rt.Arch,
		)
	}
	if err := apt.Need(rt.goCmd(), "gcc", "pkg-config"); err != nil {
		return err
	}
	sources := map[string]string{}
	for _, c := range RuntimeComponents {
		key := c.Module + "@" + c.Version
		if _, ok := sources[key]; !ok {
			dir, err := rt.source(ctx, j, c)
			if err != nil {
				return err
			}
			sources[key] = dir
		}
		j.Progress("building %s", c.Name)
		if err := rt.compile(ctx, j, c, sources[key]); err != nil {
			return fmt.Errorf("build %s (%s@%s): %w", c.Name, c.Module, c.Version, err)
		}
	}
	return nil
}

func (rt Runtime) goCmd() string {
	if rt.Go != "" {
		return rt.Go
	}
	return "go"
}

// env is the go command's environment for a component.
func (rt Runtime) env(c RuntimeComponent) []string {
	cgo := "0"
	if c.CGO {
		cgo = "1"
	}
	return append(os.Environ(), "GOOS=linux", "GOARCH="+rt.Arch, "CGO_ENABLED="+cgo, "GOFLAGS=-mod=mod",
		"GOTOOLCHAIN=local", "GOWORK=off")
}

// source downloads a component's module and makes a writable copy of it
// that builds in module mode: vendor.mod and vendor.sum as go.mod and
// go.sum where the module keeps them so, and no vendor directory.
func (rt Runtime) source(ctx context.Context, j job.Job, c RuntimeComponent) (string, error) {
	j.Progress("downloading %s@%s", c.Module, c.Version)
	cmd := j.Command(rt.goCmd(), "mod", "download", "-json", c.Module+"@"+c.Version)
	cmd.Env = rt.env(c)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := j.RunCmd(ctx, cmd); err != nil {
		return "", fmt.Errorf(
			"go mod download %s@%s: %w: %s",
			c.Module,
			c.Version,
			err,
			strings.TrimSpace(stderr.String()),
		)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out.Bytes(), &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s%v", c.Module, c.Version, info.Error, err)
	}
	dst := filepath.Join(rt.Work, strings.ReplaceAll(c.Module, "/", "_")+"@"+c.Version)
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	if err := copyTree(info.Dir, dst); err != nil {
		return "", fmt.Errorf("copy %s: %w", info.Dir, err)
	}
	if err := os.RemoveAll(filepath.Join(dst, "vendor")); err != nil {
		return "", err
	}
	if c.VendorMod {
		for _, f := range [][2]string{{"vendor.mod", "go.mod"}, {"vendor.sum", "go.sum"}} {
			if err := os.Rename(filepath.Join(dst, f[0]), filepath.Join(dst, f[1])); err != nil {
				return "", fmt.Errorf("%s@%s keeps no %s: %w", c.Module, c.Version, f[0], err)
			}
		}
	}
	for _, mod := range slices.Sorted(maps.Keys(c.Replace)) {
		edit := j.Command(rt.goCmd(), "mod", "edit", "-replace="+mod+"="+mod+"@"+c.Replace[mod])
		edit.Dir, edit.Env = dst, rt.env(c)
		if err := j.RunCmd(ctx, edit); err != nil {
			return "", fmt.Errorf("%s@%s: replace %s: %w", c.Module, c.Version, mod, err)
		}
	}
	return dst, applyPatches(ctx, j, c, dst)
}

// applyPatches applies the project's patches to a module's copy in dst.
func applyPatches(ctx context.Context, j job.Job, c RuntimeComponent, dst string) error {
	ps, err := ModulePatches(c.Module)
	if err != nil {
		return fmt.Errorf("image/patches for %s: %w", c.Module, err)
	}
	for _, p := range ps {
		j.Progress("patching %s@%s: %s", c.Module, c.Version, p.Name)
		cmd := j.Command("git", "apply", "-")
		cmd.Dir, cmd.Stdin = dst, bytes.NewReader(p.Text)
		if err := j.RunCmd(ctx, cmd); err != nil {
			return fmt.Errorf("image/patches: %s does not apply to %s@%s: %w", p.Name, c.Module, c.Version, err)
		}
	}
	return nil
}

// compile builds one component from its module's copy.
func (rt Runtime) compile(ctx context.Context, j job.Job, c RuntimeComponent, dir string) error {
	args := []string{"build", "-trimpath", "-o", j.Out(filepath.Join(rt.Dir, c.Name))}
	if c.Tags != "" {
		args = append(args, "-tags", c.Tags)
	}
	ld := "-s -w " + c.LDFlags
	args = append(args, "-ldflags", strings.TrimSpace(ld), "./"+strings.TrimPrefix(c.Package, "./"))
	cmd := j.Command(rt.goCmd(), args...)
	cmd.Dir, cmd.Env = dir, rt.env(c)
	if err := j.RunCmd(ctx, cmd); err != nil {
		return err
	}
	return checkDecodable(j.Out(filepath.Join(rt.Dir, c.Name)))
}

// checkDecodable refuses a built program that holds instructions gem5
// executes differently from a real CPU: the runtime is built here so that
// gem5 runs it correctly (Debian's Go 1.19 builds hold such instructions).
func checkDecodable(bin string) error {
	r, err := misdecode.ScanFile(bin)
	if errors.Is(err, misdecode.ErrNotX86) || err == nil && len(r.Findings) == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check what gem5 misdecodes: %w", err)
	}
	return fmt.Errorf(
		"%s %s (gem5's %s): build the runtime with Go 1.21 or later (the go command on PATH)",
		bin, r.Summary(), misdecode.Gem5Sources(r.Misdecodes()),
	)
}

// copyTree copies a module directory (read-only in the module cache) into
// dst, writable.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// warnDistributionRuntime reads the container runtime's programs the disk
// raw keeps from its distribution (CONTAINER_RUNTIME=distribution) and
// warns of each that holds instructions gem5 executes differently from a
// real CPU; a program the disk lacks is passed over.
func warnDistributionRuntime(ctx context.Context, j job.Job, raw string) {
	for _, c := range RuntimeComponents {
		b, err := ReadFile(ctx, raw, c.Guest)
		if err != nil {
			continue
		}
		r, err := misdecode.Scan(bytes.NewReader(b))
		if err != nil || len(r.Findings) == 0 {
			continue
		}
		j.Warnf(
			"CONTAINER_RUNTIME=distribution: the disk's %s %s: "+
				"a gem5 without the project's decoder fix runs it wrongly (Debian's containerd panics at start; gem5:build applies the fix, gem5:probe tells), "+
				"CONTAINER_RUNTIME=built builds the runtime with this Go",
			c.Guest, r.Summary(),
		)
	}
}
