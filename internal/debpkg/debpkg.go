// Package debpkg fetches one binary package of a Debian release, for any
// architecture, the way apt trusts it: the release's InRelease checked
// with gpgv against the archive keyring, the Packages index checked
// against the SHA256 the release names, the package against the SHA256
// the index names (each download through internal/download, go-getter's
// checksums). The tiny arm64 disk takes its static busybox from here.
package debpkg

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ulikunitz/xz"

	"github.com/vswarmu/vswarmu-mage/internal/download"
)

// Keyring is Debian's archive keyring (package debian-archive-keyring).
const Keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// Source is one Debian release of one architecture on a mirror.
type Source struct {
	Mirror  string // http://deb.debian.org/debian
	Suite   string // bookworm
	Arch    string // arm64
	Keyring string // the archive keyring; Keyring when ""
}

// Package is a binary package as the index names it.
type Package struct {
	Name, Version, Filename, SHA256 string
}

// Lookup finds pkg in the release's main component, verifying the
// release's signature and the index's checksum; work holds the downloads.
func (s Source) Lookup(ctx context.Context, pkg, work string) (Package, error) {
	release, err := s.release(ctx, work)
	if err != nil {
		return Package{}, err
	}
	index := "main/binary-" + s.Arch + "/Packages.xz"
	sum, ok := release[index]
	if !ok {
		return Package{}, fmt.Errorf(
			"debian %s: the release names no %s (is %s an architecture of it?)",
			s.Suite,
			index,
			s.Arch,
		)
	}
	path := filepath.Join(work, "Packages-"+s.Arch+".xz")
	if err := download.File(ctx, s.dists(index), "sha256:"+sum, path, nil); err != nil {
		return Package{}, fmt.Errorf("debian %s %s index: %w", s.Suite, s.Arch, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return Package{}, err
	}
	defer f.Close()
	r, err := xz.NewReader(f)
	if err != nil {
		return Package{}, fmt.Errorf("%s: %w", path, err)
	}
	p, err := findPackage(r, pkg)
	if err != nil {
		return Package{}, fmt.Errorf("debian %s %s: %w", s.Suite, s.Arch, err)
	}
	return p, nil
}

// Fetch downloads p into work, checked against its index's SHA256, and
// returns the .deb's path.
func (s Source) Fetch(ctx context.Context, p Package, work string, progress download.Progress) (string, error) {
	deb := filepath.Join(work, filepath.Base(p.Filename))
	if err := download.File(ctx, strings.TrimSuffix(s.Mirror, "/")+"/"+p.Filename, "sha256:"+p.SHA256, deb, progress); err != nil {
		return "", fmt.Errorf("debian package %s %s: %w", p.Name, p.Version, err)
	}
	return deb, nil
}

// Extract unpacks a .deb's files into dir with dpkg-deb.
func Extract(ctx context.Context, deb, dir string) error {
	out, err := exec.CommandContext(ctx, "dpkg-deb", "-x", deb, dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("dpkg-deb -x %s: %w: %s", deb, err, bytes.TrimSpace(out))
	}
	return nil
}

func (s Source) dists(name string) string {
	return strings.TrimSuffix(s.Mirror, "/") + "/dists/" + s.Suite + "/" + name
}

// release downloads InRelease, checks its signature with gpgv and
// returns the SHA256 of every file it names.
func (s Source) release(ctx context.Context, work string) (map[string]string, error) {
	path := filepath.Join(work, "InRelease-"+s.Suite)
	if err := download.File(ctx, s.dists("InRelease"), "", path, nil); err != nil {
		return nil, fmt.Errorf("debian %s release: %w", s.Suite, err)
	}
	keyring := s.Keyring
	if keyring == "" {
		keyring = Keyring
	}
	var signed, stderr bytes.Buffer
	c := exec.CommandContext(ctx, "gpgv", "--keyring", keyring, "--output", "-", path)
	c.Stdout, c.Stderr = &signed, &stderr
	if err := c.Run(); err != nil {
		return nil, fmt.Errorf(
			"debian %s release %s: its signature does not verify with %s: %w: %s",
			s.Suite,
			path,
			keyring,
			err,
			bytes.TrimSpace(stderr.Bytes()),
		)
	}
	return releaseSums(signed.String()), nil
}

// releaseSums reads the SHA256 section of a release file: name -> sum.
func releaseSums(text string) map[string]string {
	sums := map[string]string{}
	in := false
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, " ") {
			in = strings.HasPrefix(line, "SHA256:")
			continue
		}
		if f := strings.Fields(line); in && len(f) == 3 {
			sums[f[2]] = f[0]
		}
	}
	return sums
}

// findPackage reads a Packages index for pkg's stanza.
func findPackage(r io.Reader, pkg string) (Package, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var cur Package
	done := func() bool { return cur.Name == pkg && cur.Filename != "" && cur.SHA256 != "" }
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if done() {
				return cur, nil
			}
			cur = Package{}
			continue
		}
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch k {
		case "Package":
			cur.Name = v
		case "Version":
			cur.Version = v
		case "Filename":
			cur.Filename = v
		case "SHA256":
			cur.SHA256 = v
		}
	}
	if err := sc.Err(); err != nil {
		return Package{}, err
	}
	if done() {
		return cur, nil
	}
	return Package{}, fmt.Errorf("no package %s in the index", pkg)
}
