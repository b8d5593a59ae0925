package targets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/targets/graph"
)

// Client builds the function invocation client (the original tools/client).
type Client mg.Namespace

// Build builds the static test-client for linux/amd64 and linux/arm64 into $RESOURCES/test-client-<arch>; CLIENT=/path skips it.
func (Client) Build(ctx context.Context) error { return buildOrSkip(ctx, "client:build", "CLIENT") }

const clientPackage = "github.com/vswarmu/vswarmu-mage/client/cmd/test-client"

// clientArches are the architectures client:build makes.
var clientArches = []string{"amd64", "arm64"}

// addClient adds the client rule, unless CLIENT names a binary.
func (p *pipeline) addClient() error {
	c := p.cfg
	out := func(arch string) string { return filepath.Join(c.Resources, "test-client-"+arch) }
	if c.Client != "" {
		p.clientPath = c.Client
		return nil
	}
	// The client is built inside this module's source (a checkout, or the
	// module cache when another project imports these targets); in a
	// checkout its files are inputs.
	dir := sourceRoot()
	pkg := "./client/cmd/test-client"
	var inputs []string
	switch {
	case dir == "":
		pkg, dir = clientPackage, c.ProjectDir
	case isCheckout(dir):
		inputs = []string{filepath.Join(dir, "client", "**", "*.go"), filepath.Join(dir, "client", "proto"),
			filepath.Join(dir, "go.mod"), filepath.Join(dir, "go.sum")}
	}
	version := moduleVersion()
	var outputs []string
	for _, a := range clientArches {
		outputs = append(outputs, out(a))
	}
	p.client = &graph.Rule{
		Target:  "client:build",
		Doc:     "build the static test-client for amd64 and arm64",
		Outputs: outputs,
		Inputs:  inputs,
		Params:  graph.Params{"package": pkg, "version": version},
		Recipe: func(ctx context.Context, j *graph.Job) error {
			for _, a := range clientArches {
				cmd := j.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version, "-o", j.Out(out(a)), pkg)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+a)
				j.Progress("go build for %s", a)
				if err := j.RunCmd(ctx, cmd); err != nil {
					return fmt.Errorf("build the client for %s: %w", a, err)
				}
			}
			return nil
		},
	}
	p.clientPath = out(c.Arch)
	return p.g.Add(p.client)
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
	return fileExists(filepath.Join(dir, ".git")) || !strings.Contains(dir, string(filepath.Separator)+"pkg"+string(filepath.Separator)+"mod"+string(filepath.Separator))
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
