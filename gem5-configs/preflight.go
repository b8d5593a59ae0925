package gem5configs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vswarmu/vswarmu-mage/internal/download"
)

// Preflight checks, before anything is built, that the checkout can be
// made: a clone that already holds Version needs nothing; otherwise a
// remote Repo must be reachable and a local one must exist.
func (b Build) Preflight(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(b.Dir, ".git")); err == nil {
		if _, ok := b.resolve(ctx); ok {
			return nil
		}
	}
	if isRemote(b.Repo) {
		return download.Reachable(ctx, b.Repo)
	}
	local := b.Repo
	if u, ok := cutFileURL(local); ok {
		local = u
	}
	if _, err := os.Stat(local); err != nil {
		return fmt.Errorf("GEM5_REPO=%s: %w (a URL, a mirror or a local clone of gem5)", b.Repo, err)
	}
	return nil
}

// cutFileURL returns the path of a file:// URL.
func cutFileURL(s string) (string, bool) {
	const prefix = "file://"
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return "", false
}
