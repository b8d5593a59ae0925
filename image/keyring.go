package image

// Ubuntu's archive keyring on a host that does not package it (Debian):
// the ubuntu-keyring package itself, from the Ubuntu archive the disk's
// packages come from, checked against a sha256 the project pins before
// its keyring is used to check that archive.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/debpkg"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// KeyringPackage is a .deb in an archive's pool with its pinned sha256.
type KeyringPackage struct {
	Path   string // under the mirror: pool/main/u/ubuntu-keyring/...
	SHA256 string
	Member string // the keyring file inside it
}

// UbuntuKeyringPackage is Ubuntu's ubuntu-keyring 2021.03.26 (jammy's; its
// archive keyring checks focal and jammy alike), pinned by its sha256.
func UbuntuKeyringPackage() KeyringPackage {
	return KeyringPackage{
		Path:   "pool/main/u/ubuntu-keyring/ubuntu-keyring_2021.03.26_all.deb",
		SHA256: "0d0e7ed6b112f5d03eabf3c7eb01ebdacf9c57714b279e90495cfc58c8c4520f",
		Member: "usr/share/keyrings/ubuntu-archive-keyring.gpg",
	}
}

// HostHasUbuntuKeyring says whether the host packages Ubuntu's keyring.
func HostHasUbuntuKeyring() bool {
	_, err := os.Stat(hostUbuntuKeyring)
	return err == nil
}

// KeyringFetch fetches an archive keyring package from a mirror and keeps
// its keyring at Out.
type KeyringFetch struct {
	Mirror  string // the Ubuntu archive (MIRROR)
	Package KeyringPackage
	Out     string // $RESOURCES/ubuntu-archive-keyring.gpg
}

// URL is where the package is fetched from.
func (k KeyringFetch) URL() string {
	return strings.TrimSuffix(k.Mirror, "/") + "/" + k.Package.Path
}

// Description is what shapes the keyring (a change fetches it again).
func (k KeyringFetch) Description() map[string]string {
	return map[string]string{"url": k.URL(), "sha256": k.Package.SHA256, "member": k.Package.Member}
}

// Preflight checks that the archive answers.
func (k KeyringFetch) Preflight(ctx context.Context) error { return download.Reachable(ctx, k.URL()) }

// Fetch downloads the package, checked against its pinned sha256 (a
// mismatch is an error and nothing is kept), and writes its keyring to
// j.Out(Out).
func (k KeyringFetch) Fetch(ctx context.Context, j job.Job) error {
	work, err := os.MkdirTemp(filepath.Dir(k.Out), ".keyring-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	deb := filepath.Join(work, filepath.Base(k.Package.Path))
	j.Progress("fetching %s", filepath.Base(k.Package.Path))
	if err := download.File(ctx, k.URL(), "sha256:"+k.Package.SHA256, deb, download.Report("ubuntu-keyring", j.Progress)); err != nil {
		return fmt.Errorf("the Ubuntu archive keyring package (%s, sha256 %s): %w; or set UBUNTU_KEYRING, or DISTRO=debian",
			k.URL(), k.Package.SHA256, err)
	}
	tree := filepath.Join(work, "tree")
	if err := debpkg.Extract(ctx, deb, tree); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(tree, k.Package.Member))
	if err != nil {
		return fmt.Errorf("%s has no %s: %w", filepath.Base(deb), k.Package.Member, err)
	}
	return os.WriteFile(j.Out(k.Out), b, 0o644)
}
