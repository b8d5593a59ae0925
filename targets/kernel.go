package targets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/kernel"
)

// Kernel builds a gem5-ready Linux kernel (the original setup/kernel.Makefile).
type Kernel mg.Namespace

// DepInstall installs the kernel build dependencies with apt (as root or with sudo); what is installed already is skipped.
func (Kernel) DepInstall(ctx context.Context) error {
	return depInstall(ctx, "kernel:depInstall")
}

// Source fetches the Linux source for KVERSION (kernel.org tarball with its sha256, KERNEL_SOURCE=git, or a local tarball/directory).
func (Kernel) Source(ctx context.Context) error { return buildOrSkip(ctx, "kernel:source", "KERNEL") }

// Patch applies KERNEL_PATCHES to the source once (nothing to do without patches).
func (Kernel) Patch(ctx context.Context) error {
	cfg, _, err := load()
	if err != nil {
		return err
	}
	if len(cfg.KernelPatches) == 0 {
		fmt.Println("KERNEL_PATCHES is empty: nothing to patch")
		return nil
	}
	return buildOrSkip(ctx, "kernel:patch", "KERNEL")
}

// Config writes .config: KERNEL_BASE (defconfig) for ARCH merged with kernel/configs fragments, then olddefconfig.
func (Kernel) Config(ctx context.Context) error { return buildOrSkip(ctx, "kernel:config", "KERNEL") }

// Build builds vmlinux for ARCH (amd64 natively, arm64 with aarch64-linux-gnu-); KERNEL=/path/vmlinux skips it.
func (Kernel) Build(ctx context.Context) error { return buildOrSkip(ctx, "kernel:build", "KERNEL") }

// Save copies vmlinux and its .config to KERNEL_OUT ($RESOURCES/vmlinux-<distro>-<arch>).
func (Kernel) Save(ctx context.Context) error { return buildOrSkip(ctx, "kernel:save", "KERNEL") }

// Check checks a kernel .config (KERNEL_CONFIG, else the kernel stage's) for what Docker, systemd, gem5 and qemu need.
func (Kernel) Check(ctx context.Context) error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	path := cfg.KernelConfig
	if path == "" {
		switch {
		case p.kernel != nil:
			path = p.kernel.ConfigPath()
			if err := buildOrSkip(ctx, "kernel:config", "KERNEL"); err != nil {
				return err
			}
		case fileExists(cfg.Kernel + ".config"):
			path = cfg.Kernel + ".config"
		default:
			return fmt.Errorf("kernel:check: KERNEL=%s has no %s.config beside it; set KERNEL_CONFIG to the config to check", cfg.Kernel, cfg.Kernel)
		}
	}
	c, err := kernel.ReadConfig(path)
	if err != nil {
		return err
	}
	rep := kernel.Check(c, cfg.Arch, path)
	rep.Print(p.g.UI())
	if failed := rep.Failed(); len(failed) > 0 {
		return fmt.Errorf("kernel config %s lacks required options:\n  %s", path, strings.Join(failed, "\n  "))
	}
	p.g.UI().Printf("%s %s has every required option", p.g.UI().Green("✔"), path)
	return nil
}

// Clean removes the kernel build directory of KVERSION/ARCH (the source stays).
func (Kernel) Clean() error {
	_, p, err := load()
	if err != nil {
		return err
	}
	if p.kernel == nil {
		return nil
	}
	return removeAll(p.kernel.BuildDir())
}

// CleanAll removes every kernel source, build and download under $RESOURCES/kernel.
func (Kernel) CleanAll() error {
	cfg, _, err := load()
	if err != nil {
		return err
	}
	return removeAll(filepath.Join(cfg.Resources, "kernel"))
}

// addKernel adds the kernel rules, unless KERNEL names a vmlinux to use.
func (p *pipeline) addKernel() error {
	c := p.cfg
	if c.Kernel != "" {
		p.kernelPath = c.Kernel
		return nil
	}
	src, err := kernel.ResolveSource(c.KernelSource, c.KernelVersion(), c.KernelMirror, c.KernelChecksum)
	if err != nil {
		return err
	}
	frags, err := kernel.Fragments(c.ProjectDir, c.Arch, c.KernelVersion(), c.KernelFrags)
	if err != nil {
		return err
	}
	b := kernel.Build{Version: c.KernelVersion(), Source: src, Arch: c.Arch, Base: c.KernelBase,
		Dir: filepath.Join(c.Resources, "kernel"), Out: c.KernelOut, Jobs: c.Jobs, Patches: c.KernelPatches, Fragments: frags}
	rules := b.Rules()
	p.kernel = &b
	p.kernelSave = rules[len(rules)-1]
	p.kernelPath = c.KernelOut
	return p.g.Add(rules...)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	fmt.Printf("removed %s\n", dir)
	return nil
}
