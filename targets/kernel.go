package targets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/kernel"
)

// Kernel builds a gem5-ready Linux kernel (the original setup/kernel.Makefile).
type Kernel mg.Namespace

// DepInstall installs the kernel build dependencies with apt (as root or with sudo); what is installed already is skipped.
func (Kernel) DepInstall(ctx context.Context) error {
	return depInstall(ctx, ruleKernelDepInstall)
}

// Source fetches the Linux source for KVERSION (kernel.org tarball with its sha256, KERNEL_SOURCE=git, or a local tarball/directory).
func (Kernel) Source(ctx context.Context) error { return buildOrSkip(ctx, ruleKernelSource, "KERNEL") }

// Patch applies the project's kernel/patches (not to a KERNEL_SOURCE directory) and KERNEL_PATCHES to the source once.
func (Kernel) Patch(ctx context.Context) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	b, err := p.kernelBuild()
	if err != nil {
		return err
	}
	if len(b.Patches) == 0 {
		fmt.Println("no kernel/patches for this source and KERNEL_PATCHES is empty: nothing to patch")
		return nil
	}
	return buildOrSkip(ctx, ruleKernelPatch, "KERNEL")
}

// Config writes .config: KERNEL_BASE (defconfig) for ARCH merged with kernel/configs fragments, then olddefconfig.
func (Kernel) Config(ctx context.Context) error { return buildOrSkip(ctx, ruleKernelConfig, "KERNEL") }

// Build builds vmlinux for ARCH (amd64 natively, arm64 with aarch64-linux-gnu-); KERNEL=/path/vmlinux skips it.
func (Kernel) Build(ctx context.Context) error { return buildOrSkip(ctx, ruleKernelBuild, "KERNEL") }

// Save copies vmlinux and its .config to KERNEL_OUT ($RESOURCES/vmlinux-<KVERSION>-<arch>).
func (Kernel) Save(ctx context.Context) error { return buildOrSkip(ctx, ruleKernelSave, "KERNEL") }

// Check checks a kernel .config (KERNEL_CONFIG, else the kernel stage's) for what Docker, systemd, gem5 and qemu need.
func (Kernel) Check(ctx context.Context) error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	path := cfg.KernelConfig
	if path == "" {
		switch {
		case cfg.Kernel == "":
			b, err := p.kernelBuild()
			if err != nil {
				return err
			}
			path = b.ConfigPath()
			if err := buildOrSkip(ctx, ruleKernelConfig, "KERNEL"); err != nil {
				return err
			}
		case fileExists(cfg.Kernel + ".config"):
			path = cfg.Kernel + ".config"
		default:
			return fmt.Errorf(
				"kernel:check: KERNEL=%s has no %s.config beside it; set KERNEL_CONFIG to the config to check",
				cfg.Kernel,
				cfg.Kernel,
			)
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
	if p.cfg.Kernel != "" {
		return nil
	}
	b, err := p.kernelBuild()
	if err != nil {
		return err
	}
	return removeAll(b.BuildDir())
}

// CleanAll removes every kernel source, build and download under $RESOURCES/kernel.
func (Kernel) CleanAll() error {
	cfg, _, err := load()
	if err != nil {
		return err
	}
	return removeAll(filepath.Join(cfg.Resources, "kernel"))
}

// kernelBuild is the kernel build the configuration describes.
func (p *plan) kernelBuild() (kernel.Build, error) {
	c := p.cfg
	src, err := kernel.ResolveSource(c.KernelSource, c.KernelVersion(), c.KernelMirror, c.KernelChecksum)
	if err != nil {
		return kernel.Build{}, err
	}
	frags, err := kernel.Fragments(c.ProjectDir, c.Arch, c.KernelVersion(), c.KernelFrags)
	if err != nil {
		return kernel.Build{}, err
	}
	patches, err := kernelPatches(c.ProjectDir, src, c.KernelPatches)
	if err != nil {
		return kernel.Build{}, err
	}
	return kernel.Build{Version: c.KernelVersion(), Source: src, Arch: c.Arch, Base: c.KernelBase,
		Dir: filepath.Join(
			c.Resources,
			"kernel",
		), Out: c.KernelOut, Jobs: c.Jobs, Patches: patches, Fragments: frags}, nil
}

// kernelPatches are the patches kernel:patch applies: the project's
// (kernel/patches) to a source the tool unpacks or clones, never to a
// KERNEL_SOURCE directory of the user's own, then KERNEL_PATCHES.
func kernelPatches(projectDir string, src kernel.Source, extra []string) ([]string, error) {
	if src.Kind == "dir" {
		return extra, nil
	}
	builtin, err := kernel.BuiltinPatches(projectDir)
	if err != nil {
		return nil, err
	}
	return append(builtin, extra...), nil
}

// patchesParam names the patches by file name and content, not by path:
// the same patches in another checkout (a fresh clone, CI) leave the
// kernel up to date; an edited patch does not.
func patchesParam(paths []string) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			out[i] = filepath.Base(p) + "@unreadable"
			continue
		}
		out[i] = filepath.Base(p) + "@" + shortHash(string(b))
	}
	return strings.Join(out, " ")
}

// kernel is the vmlinux guests boot: KERNEL's, else kernel:save's.
func (p *plan) kernel() artifact {
	return p.source("KERNEL", p.cfg.Kernel, "kernel", func() artifact {
		return artifact{path: p.cfg.KernelOut, rule: p.kernelStep(ruleKernelSave, func(b kernel.Build) *engine.Rule {
			return &engine.Rule{
				Doc: "copy vmlinux and its config to KERNEL_OUT", Outputs: []string{b.Out, b.Out + ".config"},
				Deps: []*engine.Rule{p.kernelCompile()}, Slots: -1, Recipe: recipe(b.Save),
			}
		})}
	})
}

// kernelStep declares a kernel rule from the configuration's build.
func (p *plan) kernelStep(name string, decl func(b kernel.Build) *engine.Rule) *engine.Rule {
	return p.rule(name, func() (*engine.Rule, error) {
		b, err := p.kernelBuild()
		if err != nil {
			return nil, err
		}
		return decl(b), nil
	})
}

// kernelCompile is kernel:build: vmlinux.
func (p *plan) kernelCompile() *engine.Rule {
	return p.kernelStep(ruleKernelBuild, func(b kernel.Build) *engine.Rule {
		return &engine.Rule{
			Doc: "build vmlinux for ARCH (arm64 with aarch64-linux-gnu-)", Outputs: []string{b.Vmlinux()},
			Deps: []*engine.Rule{p.kernelConfig()}, Params: engine.Params{"ARCH": b.Arch}, InPlace: true,
			Slots: b.Jobs, Space: 2 << 30, Recipe: recipe(b.Compile),
		}
	})
}

// kernelConfig is kernel:config: .config from the base and the fragments.
func (p *plan) kernelConfig() *engine.Rule {
	return p.kernelStep(ruleKernelConfig, func(b kernel.Build) *engine.Rule {
		var inputs []string
		for _, f := range b.Fragments {
			if f.Path != "" {
				inputs = append(inputs, f.Path)
			}
		}
		return &engine.Rule{
			Doc: "merge the gem5 + container fragment onto KERNEL_BASE and olddefconfig", Outputs: []string{b.ConfigPath()},
			Inputs: inputs, Deps: p.kernelTree(),
			Params: engine.Params{"ARCH": b.Arch, "KERNEL_BASE": b.Base, "fragment": kernel.Merged(b.Fragments),
				"source": b.SourceDir()},
			InPlace: true, Recipe: recipe(b.Configure),
		}
	})
}

// kernelTree are the rules that prepare the source tree: kernel:source
// (unless the source is a directory) and kernel:patch (with patches).
func (p *plan) kernelTree() []*engine.Rule {
	b, err := p.kernelBuild()
	if err != nil {
		p.errs = append(p.errs, err)
		return nil
	}
	var out []*engine.Rule
	if b.Source.Kind != "dir" {
		out = append(out, p.kernelSource())
	}
	if len(b.Patches) > 0 {
		out = []*engine.Rule{p.kernelStep(ruleKernelPatch, func(b kernel.Build) *engine.Rule {
			return &engine.Rule{
				Doc: "apply kernel/patches and KERNEL_PATCHES to the source tree (once)", Outputs: []string{b.PatchStamp()},
				Inputs: b.Patches, Deps: out, Params: engine.Params{"KERNEL_PATCHES": patchesParam(b.Patches)},
				InPlace: true, Slots: -1, Recipe: recipe(b.Patch),
			}
		})}
	}
	return out
}

// kernelSource is kernel:source: the unpacked (or cloned) source.
func (p *plan) kernelSource() *engine.Rule {
	return p.kernelStep(ruleKernelSource, func(b kernel.Build) *engine.Rule {
		var inputs []string
		if b.Source.Local() && !b.Source.Installed() {
			inputs = []string{b.Source.Location}
		}
		return &engine.Rule{
			Doc: "fetch and unpack the Linux source for KVERSION", Outputs: []string{b.SourceDir()}, Inputs: inputs,
			Params: engine.Params{"KVERSION": b.Version, "source": b.Source.Kind + " " + b.Source.Location,
				"checksum": b.Source.Checksum, "ref": b.Source.Ref},
			Recipe: recipe(b.Fetch), Preflight: b.Preflight, Space: 1536 << 20,
		}
	})
}
