package targets

import (
	"context"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/gobuild"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// Client builds the function invocation client (the original tools/client).
type Client mg.Namespace

// Build builds the static test-client for linux/amd64 and linux/arm64 into $RESOURCES/test-client-<arch>; CLIENT=/path skips it.
func (Client) Build(ctx context.Context) error { return buildOrSkip(ctx, ruleClientBuild, "CLIENT") }

// Tools builds the guest's tools, static, for amd64 and arm64: the m5 utility, vswarmu-run (starts a function as a plain process), vswarmu-seed (credits the disk's random seed at a simulated boot) and vswarmu-setkey (Docker's network hook without a second dockerd).
func (Client) Tools(ctx context.Context) error { return build(ctx, ruleClientTools) }

const modulePath = "github.com/vswarmu/vswarmu-mage"

// clientArches are the architectures client:build and client:tools make.
var clientArches = []string{"amd64", "arm64"}

// guestTool is a static Go program of this module the guest runs.
type guestTool struct {
	name, pkg string   // binary name, package path in the module
	src       []string // the module's directories it is built from (a test checks them against go list -deps)
}

var (
	clientTool = guestTool{
		"test-client",
		"client/cmd/test-client",
		[]string{"client", "client/m5", "client/pb/**", "client/cmd/test-client"},
	}
	m5Tool   = guestTool{"m5", "client/cmd/m5", []string{"client/m5", "client/cmd/m5"}}
	runTool  = guestTool{"vswarmu-run", "functions/cmd/vswarmu-run", []string{"functions/cmd/vswarmu-run"}}
	seedTool = guestTool{"vswarmu-seed", "image/cmd/vswarmu-seed", []string{"image/cmd/vswarmu-seed"}}
	// setkeyTool is Docker's libnetwork-setkey hook as a program of its own
	// (the built dockerd runs it when the disk has it: image/patches/docker).
	setkeyTool = guestTool{"vswarmu-setkey", "image/cmd/vswarmu-setkey", []string{"image/cmd/vswarmu-setkey"}}
	scanTool   = guestTool{"vswarmu-scan", "functions/cmd/vswarmu-scan",
		[]string{"functions/cmd/vswarmu-scan", "internal/misdecode", "results"}}
)

// scanner is functions:scanner: vswarmu-scan, which the install runs in
// the guest on each container's file system ("" for an arm64 guest: gem5's
// x86 decoder never runs its programs).
func (p *plan) scanner() artifact {
	if p.cfg.Arch != "amd64" {
		return artifact{}
	}
	return artifact{path: p.toolPath(scanTool, p.cfg.Arch), rule: p.rule(ruleFunctionsScanner, func() (*engine.Rule, error) {
		return p.goBuildRule("build vswarmu-scan, the install's scanner of the programs gem5 misexecutes, for amd64 and arm64", scanTool), nil
	})}
}

// toolPath is where a tool is built for arch.
func (p *plan) toolPath(t guestTool, arch string) string {
	return filepath.Join(p.cfg.Resources, t.name+"-"+arch)
}

// client is the test-client for the guest: CLIENT's, else client:build's.
func (p *plan) client() artifact {
	return p.source("CLIENT", p.cfg.Client, "client", func() artifact {
		return artifact{
			path: p.toolPath(clientTool, p.cfg.Arch),
			rule: p.rule(ruleClientBuild, func() (*engine.Rule, error) {
				return p.goBuildRule("build the static test-client for amd64 and arm64", clientTool), nil
			}),
		}
	})
}

// tools is client:tools: the guest's m5, vswarmu-run, vswarmu-seed and
// vswarmu-setkey.
func (p *plan) tools() *engine.Rule {
	return p.rule(ruleClientTools, func() (*engine.Rule, error) {
		return p.goBuildRule(
			"build the guest tools (m5, vswarmu-run, vswarmu-seed, vswarmu-setkey) for amd64 and arm64",
			m5Tool,
			runTool,
			seedTool,
			setkeyTool,
		), nil
	})
}

// goBuildRule builds static binaries of tools for every arch in
// clientArches, inside this module's source (a checkout, or the module
// cache when another project imports these targets); in a checkout the
// source files are inputs.
func (p *plan) goBuildRule(doc string, tools ...guestTool) *engine.Rule {
	dir := sourceRoot()
	prefix := "./"
	var inputs []string
	switch {
	case dir == "":
		prefix, dir = modulePath+"/", p.cfg.ProjectDir
	case isCheckout(dir):
		inputs = []string{
			filepath.Join(dir, "go.mod"),
			filepath.Join(dir, "go.sum"),
			"!" + filepath.Join(dir, "**", "*_test.go"),
		}
		for _, t := range tools {
			for _, src := range t.src {
				inputs = append(inputs, filepath.Join(dir, src, "*.go"))
			}
		}
	}
	version := moduleVersion()
	var outputs []gobuild.Binary
	for _, a := range clientArches {
		for _, t := range tools {
			outputs = append(outputs, gobuild.Binary{Package: prefix + t.pkg, Arch: a, Out: p.toolPath(t, a)})
		}
	}
	var outs, pkgs []string
	for _, b := range outputs {
		outs = append(outs, b.Out)
	}
	for _, t := range tools {
		pkgs = append(pkgs, prefix+t.pkg)
	}
	return &engine.Rule{
		Doc: doc, Outputs: outs, Inputs: inputs,
		Params: engine.Params{"packages": strings.Join(pkgs, " "), "version": version},
		Recipe: recipe(
			func(ctx context.Context, j job.Job) error { return gobuild.Static(ctx, j, dir, version, outputs) },
		),
	}
}

// sourceRoot is the root of this module's source as the running binary
// was compiled from it ("" when paths were trimmed).
func sourceRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	root := filepath.Dir(filepath.Dir(file))
	if !fileExists(filepath.Join(root, "go.mod")) {
		return ""
	}
	return root
}

// isCheckout tells a source checkout from the read-only module cache.
func isCheckout(dir string) bool {
	return fileExists(filepath.Join(dir, ".git")) ||
		!strings.Contains(
			dir,
			string(filepath.Separator)+"pkg"+string(filepath.Separator)+"mod"+string(filepath.Separator),
		)
}

// moduleVersion is this module's version as built into the running binary.
func moduleVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/vswarmu/vswarmu-mage" && m.Version != "" && m.Version != "(devel)" {
				return m.Version
			}
		}
	}
	return "dev"
}
