package targets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/kernel"
	"github.com/vswarmu/vswarmu-mage/release"
)

// Release makes release assets of the built resources.
type Release mg.Namespace

// Artifacts builds the resources and packs them as RELEASE_TAG's assets under RESOURCES/release: zstd parts, SHA256SUMS, a manifest.
func (Release) Artifacts(ctx context.Context) error {
	cfg, _, err := load()
	if err != nil {
		return err
	}
	switch {
	case cfg.ResourcesFrom == "release":
		return fmt.Errorf("release:artifacts packs resources built here: unset RESOURCES_FROM=release")
	case cfg.ReleaseTag == "latest":
		return fmt.Errorf("release:artifacts packs the assets of one tag: set RELEASE_TAG to it (v1.0.0)")
	}
	return build(ctx, ruleReleaseArtifacts)
}

// Download fetches RELEASE_TAG's assets from RELEASE_REPO, verifies every checksum and puts them where RESOURCES_FROM=release uses them.
func (Resources) Download(ctx context.Context) error {
	cfg, _, err := load()
	if err != nil {
		return err
	}
	if cfg.ResourcesFrom != "release" {
		return fmt.Errorf(
			"resources:download puts a release's files where the pipeline uses them with RESOURCES_FROM=release: set RESOURCES_FROM=release",
		)
	}
	return build(ctx, ruleResourcesDownload)
}

// fromRelease is a resource the download rule provides (RESOURCES_FROM=release).
func (p *plan) fromRelease(kind string) artifact {
	for _, w := range p.releaseWants() {
		if w.Kind == kind {
			return artifact{path: w.Path, rule: p.download()}
		}
	}
	return artifact{}
}

// releaseWants are the artifacts the configuration takes from a release,
// where they go and the settings they must have been built with.
func (p *plan) releaseWants() []release.Want {
	c := p.cfg
	wants := []release.Want{
		{Kind: "kernel", Arch: c.Arch, Path: c.KernelOut, Settings: p.kernelSettings()},
		{Kind: "kernel-config", Arch: c.Arch, Path: c.KernelOut + ".config", Settings: p.kernelSettings()},
		{Kind: "disk", Arch: c.Arch, Path: p.diskPath(), Settings: p.diskSettings()},
		{
			Kind:     "client",
			Arch:     c.Arch,
			Path:     p.toolPath(clientTool, c.Arch),
			Settings: map[string]string{"ARCH": c.Arch},
		},
	}
	if c.InstalledDisk == "release" {
		wants = append(wants, release.Want{Kind: "installed-disk", Arch: c.Arch, Path: p.releasedInstalledDisk(),
			Settings: p.installedSettings(), Contents: p.sel.Functions})
	}
	return wants
}

func (p *plan) releasedInstalledDisk() string {
	return filepath.Join(p.cfg.Resources, "installed-disk-"+p.cfg.Arch+".raw")
}

// download is resources:download: the release's artifacts, checked and in
// place; its parameters are the settings they must have been built with,
// so changing one of those makes them stale as usual.
func (p *plan) download() *engine.Rule {
	return p.rule(ruleResourcesDownload, func() (*engine.Rule, error) {
		c := p.cfg
		f := release.Fetch{
			API:   c.ReleaseAPI,
			Repo:  c.ReleaseRepo,
			Tag:   c.ReleaseTag,
			Arch:  c.Arch,
			Cache: filepath.Join(c.Resources, "release", "downloads"),
			Want:  p.releaseWants(),
		}
		params := engine.Params{"release": f.URL()}
		var outputs []string
		for _, w := range f.Want {
			outputs = append(outputs, w.Path)
			for k, v := range w.Settings {
				params[w.Kind+" "+k] = v
			}
			if len(w.Contents) > 0 {
				params[w.Kind+" functions"] = strings.Join(w.Contents, " ")
			}
		}
		return &engine.Rule{
			Doc: "download RELEASE_TAG's resources, verify and unpack them", Outputs: outputs, Params: params,
			Recipe: recipe(f.Run), Preflight: f.Preflight,
		}, nil
	})
}

// kernelSettings are what shapes the kernel.
func (p *plan) kernelSettings() map[string]string {
	c := p.cfg
	b, err := p.kernelBuild() // its fragments and patches, as the kernel rules have them
	if err != nil {
		p.errs = append(p.errs, err)
	}
	var patches []string
	for _, pt := range b.Patches {
		patches = append(patches, filepath.Base(pt))
	}
	return map[string]string{"ARCH": c.Arch, "KVERSION": c.KernelVersion(), "KERNEL_BASE": c.KernelBase,
		"fragments": shortHash(kernel.Merged(b.Fragments)), "KERNEL_PATCHES": strings.Join(patches, " ")}
}

// diskSettings are what shapes the base disk.
func (p *plan) diskSettings() map[string]string {
	c := p.cfg
	return map[string]string{"ARCH": c.Arch, "DISTRO": c.Distro, "release": p.suite(), "IMAGE_BUILDER": c.ImageBuilder,
		"IMAGE_PACKAGES": strings.Join(c.ImagePackages, " "), "DISK_SIZE": c.DiskSize.String(), "M5_UTIL": c.M5Util}
}

// installedSettings are what shapes the installed disk besides its
// functions.
func (p *plan) installedSettings() map[string]string {
	s := p.diskSettings()
	s["IMAGES"] = p.cfg.Images
	if !strings.Contains(p.cfg.Images, "/") {
		return s
	}
	s["IMAGES"] = "a directory"
	return s
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// releaseArtifacts is release:artifacts: the built resources packed as a
// release's assets.
func (p *plan) releaseArtifacts() *engine.Rule {
	return p.rule(ruleReleaseArtifacts, func() (*engine.Rule, error) {
		c := p.cfg
		sources, needs := p.releaseSources()
		dir := filepath.Join(c.Resources, "release", c.ReleaseTag)
		pack := release.Pack{
			Tag:      c.ReleaseTag,
			Arch:     c.Arch,
			Tool:     moduleVersion(),
			Sources:  sources,
			PartSize: int64(c.ReleasePartSize),
		}
		params := engine.Params{"RELEASE_TAG": c.ReleaseTag, "RELEASE_PART_SIZE": c.ReleasePartSize.String()}
		for _, s := range sources {
			params[s.Artifact.Name] = fmt.Sprint(s.Artifact.Settings, s.Artifact.Contents)
		}
		return &engine.Rule{
			Doc: "pack the resources as release assets (zstd parts, SHA256SUMS, manifest)", Outputs: []string{dir},
			Deps: needs, Params: params,
			Recipe: recipe(func(ctx context.Context, j job.Job) error { return pack.Write(ctx, j, j.Out(dir)) }),
		}, nil
	})
}

// releaseSources are ARCH's files of a release, made by the rules needs:
// the kernel and its .config, the base and the installed disk, the client
// and the guest tools, gem5's m5 and m5term when gem5 is built here.
func (p *plan) releaseSources() (sources []release.Source, needs []*engine.Rule) {
	c := p.cfg
	add := func(a artifact, name, kind, arch string, settings map[string]string, contents []string) {
		sources = append(
			sources,
			release.Source{Path: a.path, Artifact: release.Artifact{Name: name, Kind: kind, Arch: arch,
				Settings: settings, Contents: contents, Inputs: p.inputsOf(a.rule)}},
		)
		needs = append(needs, deps(a)...)
	}
	kern := p.kernel()
	add(kern, "vmlinux-"+c.Arch, "kernel", c.Arch, p.kernelSettings(), nil)
	add(
		artifact{path: kern.path + ".config", rule: kern.rule},
		"vmlinux-"+c.Arch+".config",
		"kernel-config",
		c.Arch,
		p.kernelSettings(),
		nil,
	)
	add(p.disk(), "disk-image-"+c.Arch+".qcow2", "disk", c.Arch, p.diskSettings(), nil)
	if c.InstalledDisk == "" {
		add(
			p.installedDisk(),
			"installed-disk-"+c.Arch+".raw",
			"installed-disk",
			c.Arch,
			p.installedSettings(),
			p.sel.Functions,
		)
	}
	add(p.client(), "test-client-"+c.Arch, "client", c.Arch, map[string]string{"ARCH": c.Arch}, nil)
	for _, t := range []guestTool{m5Tool, runTool} {
		add(
			artifact{path: p.toolPath(t, c.Arch), rule: p.tools()},
			t.name+"-"+c.Arch,
			t.name,
			c.Arch,
			map[string]string{"ARCH": c.Arch},
			nil,
		)
	}
	if c.Gem5 == "" {
		add(
			p.gem5M5(),
			"gem5-m5-"+c.Arch,
			"gem5-m5",
			c.Arch,
			map[string]string{"GEM5_VERSION": c.Gem5Version, "ARCH": c.Arch},
			nil,
		)
		// m5term runs on the host: gem5's build machine's.
		add(
			artifact{path: p.gem5Build().M5Term(), rule: p.gem5Term()},
			"m5term-"+c.Arch,
			"m5term",
			c.Arch,
			map[string]string{"GEM5_VERSION": c.Gem5Version},
			nil,
		)
	}
	return sources, needs
}

// inputsOf is the manifest of what an artifact was made from: its rule's
// parameters (long ones as hashes).
func (p *plan) inputsOf(r *engine.Rule) map[string]string {
	if r == nil {
		return nil
	}
	out := map[string]string{"rule": r.Target}
	for k, v := range r.Params {
		if len(v) > 120 {
			v = "sha256:" + shortHash(v)
		}
		out[k] = v
	}
	return out
}
