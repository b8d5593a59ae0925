package image

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// fakeKeyringDeb makes an ubuntu-keyring .deb holding keyring bytes, as a
// local stand-in of Ubuntu's archive serves it, and returns its bytes.
func fakeKeyringDeb(t *testing.T, keyring string) []byte {
	t.Helper()
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed (apt-get install dpkg)")
	}
	tree := t.TempDir()
	for p, c := range map[string]string{
		"DEBIAN/control": "Package: ubuntu-keyring\nVersion: 2021.03.26\nArchitecture: all\nMaintainer: t <t@t>\nDescription: stand-in\n",
		"usr/share/keyrings/ubuntu-archive-keyring.gpg": keyring,
	} {
		os.MkdirAll(filepath.Dir(filepath.Join(tree, p)), 0o755)
		os.WriteFile(filepath.Join(tree, p), []byte(c), 0o644)
	}
	deb := filepath.Join(t.TempDir(), "k.deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "-b", tree, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -b: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(deb)
	return b
}

// TestKeyringFetchChecksThePinnedSHA256: the keyring comes from the
// archive's pool, only when the package's sha256 is the pinned one; a
// package that is not leaves nothing behind and names the checksum.
func TestKeyringFetchChecksThePinnedSHA256(t *testing.T) {
	deb := fakeKeyringDeb(t, "KEYRING-BYTES")
	pool := UbuntuKeyringPackage().Path
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ubuntu/"+pool {
			http.NotFound(w, r)
			return
		}
		w.Write(deb)
	}))
	defer srv.Close()
	sum := sha256.Sum256(deb)
	pkg := UbuntuKeyringPackage()
	pkg.SHA256 = hex.EncodeToString(sum[:])
	out := filepath.Join(t.TempDir(), "ubuntu-archive-keyring.gpg")
	k := KeyringFetch{Mirror: srv.URL + "/ubuntu", Package: pkg, Out: out}
	var log bytes.Buffer
	if err := k.Fetch(context.Background(), job.Local{W: &log}); err != nil {
		t.Fatalf("fetch: %v\n%s", err, log.String())
	}
	if b, _ := os.ReadFile(out); string(b) != "KEYRING-BYTES" {
		t.Fatalf("keyring %q", b)
	}
	os.Remove(out)
	k.Package = UbuntuKeyringPackage() // the real pin: the stand-in's package does not match it
	err := k.Fetch(context.Background(), job.Local{W: &log})
	if err == nil || !strings.Contains(err.Error(), k.Package.SHA256) || !strings.Contains(err.Error(), "UBUNTU_KEYRING") {
		t.Fatalf("a package with another sha256: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a keyring was kept from a package that failed its checksum")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".keyring-*")); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

func TestUbuntuKeyringPackageIsPinned(t *testing.T) {
	p := UbuntuKeyringPackage()
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(p.SHA256) ||
		!strings.HasPrefix(p.Path, "pool/main/u/ubuntu-keyring/ubuntu-keyring_") || !strings.HasSuffix(p.Path, "_all.deb") {
		t.Fatalf("pin %+v", p)
	}
}
