package debpkg

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/download"
)

const index = `Package: busybox
Version: 1:1.35.0-4+b3
Filename: pool/main/b/busybox/busybox_1.35.0-4+b3_arm64.deb
SHA256: 1111

Package: busybox-static
Source: busybox (1:1.35.0-4+deb12u1)
Version: 1:1.35.0-4+deb12u1+b1
Description: Standalone rescue shell with tons of builtin utilities
Filename: pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_arm64.deb
SHA256: 732c

Package: last
Filename: pool/l.deb
SHA256: 3333`

func TestFindPackage(t *testing.T) {
	for _, c := range []struct {
		pkg, want, err string
	}{
		{"busybox-static", "pool/main/b/busybox/busybox-static_1.35.0-4+deb12u1+b1_arm64.deb 732c 1:1.35.0-4+deb12u1+b1", ""},
		{"busybox", "pool/main/b/busybox/busybox_1.35.0-4+b3_arm64.deb 1111 1:1.35.0-4+b3", ""},
		{"last", "pool/l.deb 3333 ", ""}, // the last stanza, with no blank line after it
		{"busybox-s", "", "no package busybox-s in the index"},
	} {
		p, err := findPackage(strings.NewReader(index), c.pkg)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v, want %q", c.pkg, err, c.err)
			}
			continue
		}
		if got := p.Filename + " " + p.SHA256 + " " + p.Version; err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.pkg, got, err, c.want)
		}
	}
}

func TestReleaseSums(t *testing.T) {
	text := "Origin: Debian\nMD5Sum:\n 0000 10 main/binary-arm64/Packages.xz\nSHA256:\n abcd 8689464 main/binary-arm64/Packages.xz\n ef01 12 main/binary-amd64/Release\nAcquire-By-Hash: yes\n"
	sums := releaseSums(text)
	if sums["main/binary-arm64/Packages.xz"] != "abcd" || sums["main/binary-amd64/Release"] != "ef01" ||
		len(sums) != 2 {
		t.Fatalf("sums %v: want the SHA256 section only", sums)
	}
}

func FuzzFindPackage(f *testing.F) {
	f.Add(index, "busybox-static")
	f.Add("Package: a\n\n\nPackage: b\nSHA256: x\nFilename: y\n", "b")
	f.Fuzz(func(t *testing.T, text, pkg string) {
		p, err := findPackage(strings.NewReader(text), pkg)
		if err == nil && (p.Name != pkg || p.Filename == "" || p.SHA256 == "") {
			t.Fatalf("found %+v for %q", p, pkg)
		}
	})
}

// TestFetchFromTheMirror fetches arm64's busybox-static from the Debian
// mirror this machine's apt uses, through the signed release, and
// unpacks it; it skips when the mirror cannot be reached.
func TestFetchFromTheMirror(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads from the Debian mirror")
	}
	for _, tool := range []string{"gpgv", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (packages gpgv, dpkg)", tool)
		}
	}
	if _, err := os.Stat(Keyring); err != nil {
		t.Skip("no Debian archive keyring (package debian-archive-keyring)")
	}
	s := Source{Mirror: "http://deb.debian.org/debian", Suite: "bookworm", Arch: "arm64"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := download.Reachable(ctx, s.Mirror); err != nil {
		t.Skipf("the Debian mirror is not reachable: %v", err)
	}
	work := t.TempDir()
	p, err := s.Lookup(ctx, "busybox-static", work)
	if err != nil {
		t.Fatal(err)
	}
	deb, err := s.Fetch(ctx, p, work, nil)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(work, "root")
	if err := Extract(ctx, deb, root); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "bin", "busybox"))
	if err != nil || len(b) < 20 || string(b[1:4]) != "ELF" || b[18] != 0xb7 { // e_machine 183: AArch64
		t.Fatalf("bin/busybox of %s: not an AArch64 ELF (%v)", deb, err)
	}
	// A wrong checksum in the index is a failed download, not a package.
	p.SHA256 = strings.Repeat("0", 64)
	if _, err := s.Fetch(ctx, p, t.TempDir(), nil); err == nil {
		t.Fatal("a package that does not match its index's SHA256 was accepted")
	}
	t.Logf("%s %s from %s", p.Name, p.Version, p.Filename)
}
