package functions

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/debpkg"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// Busybox is functions:busybox: Debian's static busybox for a guest
// architecture other than the host's (the tiny arm64 disk on an x86 host),
// fetched from a Debian mirror through its signed release and unpacked.
type Busybox struct {
	Source debpkg.Source // mirror, suite (DEBIAN_VERSION) and the guest's arch
	Out    string        // where the busybox binary goes
}

// Description is what makes the busybox another one.
func (b Busybox) Description() map[string]string {
	return map[string]string{"mirror": b.Source.Mirror, "suite": b.Source.Suite, "arch": b.Source.Arch}
}

// Preflight checks the tools the fetch verifies and unpacks with.
func (b Busybox) Preflight(ctx context.Context) error {
	if err := apt.Need("gpgv", "dpkg-deb"); err != nil {
		return err
	}
	if err := download.Reachable(ctx, b.Source.Mirror); err != nil {
		return fmt.Errorf("busybox-static for %s: %w (MIRROR= names another Debian mirror)", b.Source.Arch, err)
	}
	return nil
}

// Make fetches busybox-static for the guest's arch and writes its
// bin/busybox to j.Out(Out).
func (b Busybox) Make(ctx context.Context, j job.Job) error {
	work, err := os.MkdirTemp(filepath.Dir(b.Out), ".busybox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	p, err := b.Source.Lookup(ctx, "busybox-static", work)
	if err != nil {
		return err
	}
	j.Progress("busybox-static %s (%s) from %s", p.Version, b.Source.Arch, b.Source.Mirror)
	deb, err := b.Source.Fetch(ctx, p, work, download.Report("busybox-static", j.Progress))
	if err != nil {
		return err
	}
	root := filepath.Join(work, "root")
	if err := debpkg.Extract(ctx, deb, root); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(root, "bin", "busybox"))
	if err != nil {
		return fmt.Errorf("busybox-static %s: %w", p.Version, err)
	}
	return os.WriteFile(j.Out(b.Out), data, 0o755)
}
