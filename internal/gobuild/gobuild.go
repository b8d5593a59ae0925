// Package gobuild builds static Go binaries of a module for the guests'
// architectures (the client, the guest tools, the reference functions).
package gobuild

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// Binary is one binary to build: a package, for an architecture, to a
// file.
type Binary struct {
	Package string // "./client/cmd/test-client" in dir, or a full import path
	Arch    string // GOARCH
	Out     string
}

// Static builds each binary into j.Out(b.Out) (see Build).
func Static(ctx context.Context, j job.Job, dir, version string, bins []Binary) error {
	for _, b := range bins {
		if err := Build(ctx, j, dir, version, b.Package, b.Arch, j.Out(b.Out)); err != nil {
			return err
		}
	}
	return nil
}

// Build builds pkg without cgo for linux/arch, trimmed, with main.version
// set, into out, running `go build` in dir.
func Build(ctx context.Context, j job.Job, dir, version, pkg, arch, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	cmd := j.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+version, "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	j.Progress("go build %s for %s", filepath.Base(pkg), arch)
	if err := j.RunCmd(ctx, cmd); err != nil {
		return fmt.Errorf("build %s for %s: %w", pkg, arch, err)
	}
	return nil
}
