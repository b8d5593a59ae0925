package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vswarmu/vswarmu-mage/internal/download"
)

// PreflightBase checks, before anything is built, what building the base
// disk needs: the apt mirror (debootstrap) or the installer ISO
// (autoinstall) reachable, and Ubuntu's archive keyring on a host that
// has none. Every problem is returned, joined.
func (s Spec) PreflightBase(ctx context.Context) error {
	var errs []error
	if s.Builder == "autoinstall" {
		iso := filepath.Join(s.Dir, "downloads", filepath.Base(s.Auto.ISO.URL))
		if _, err := os.Stat(iso); err != nil && s.Auto.ISO.URL != "" {
			errs = append(errs, download.Reachable(ctx, s.Auto.ISO.URL))
		}
	} else {
		errs = append(errs, download.Reachable(ctx, s.mirror()))
		errs = append(errs, s.keyringPreflight(ctx))
	}
	return errors.Join(errs...)
}

// keyringPreflight says that an Ubuntu disk cannot be checked against
// its archive on a host without Ubuntu's keyring.
func (s Spec) keyringPreflight(ctx context.Context) error {
	if s.Distro != "ubuntu" || s.KeyringFetched {
		return nil
	}
	if s.Keyring != "" {
		if _, err := os.Stat(s.Keyring); err != nil {
			return fmt.Errorf("UBUNTU_KEYRING=%s: %w", s.Keyring, err)
		}
		return nil
	}
	if _, err := os.Stat(hostUbuntuKeyring); err == nil {
		return nil
	}
	return nil // image:keyring fetches it from the archive (whose reachability is checked)
}
