package kernel

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/download"
)

// Preflight checks, before anything is built, that the source can be
// had: the server of a tarball (and of its checksum list) or of a git
// repository reachable, Debian's linux-source package installed or
// installable.
func (b Build) Preflight(ctx context.Context) error {
	s := b.Source
	switch {
	case s.Kind == "debian":
		if _, err := os.Stat(s.Location); err == nil {
			return nil
		}
		pkg := strings.TrimSuffix(s.Name, "-debian")
		if len(apt.Unavailable(ctx, []string{pkg})) > 0 {
			return fmt.Errorf(
				"KERNEL_SOURCE=debian: %s is not installed and apt has no candidate for it (KVERSION=%s; Debian 12 packages linux-source-6.1)",
				pkg,
				b.Version,
			)
		}
		return nil
	case s.Local():
		return nil
	}
	if err := download.Reachable(ctx, s.Location); err != nil {
		return err
	}
	if list, ok := strings.CutPrefix(s.Checksum, "file:"); ok && strings.Contains(list, "://") {
		return download.Reachable(ctx, list)
	}
	return nil
}
