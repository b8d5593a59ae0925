package kernel

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Source says where a kernel's source comes from.
type Source struct {
	Kind     string // "tarball" (URL or local file), "debian" (a linux-source package's tarball), "git" or "dir"
	Location string // URL, repository or local path
	Checksum string // go-getter checksum for tarballs ("file:<list url>", "sha256:<hex>", or empty)
	Ref      string // git tag
	Name     string // a short name for the source directory
}

// StableGit is the kernel.org stable tree.
const StableGit = "https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git"

var versionRE = regexp.MustCompile(`^(\d+)\.(\d+)(\.\d+)?$`)

// ResolveSource interprets KERNEL_SOURCE for version (without "v"):
//   - "kernel.org": the release tarball from mirror, checked against the
//     mirror's sha256sums.asc;
//   - "git" or "git::<repository>": the stable tree (or another) at tag v<version>;
//   - an http(s) URL of a tarball, checked with checksum when given;
//   - "debian": Debian's linux-source-<major>.<minor> package (offline,
//     checked by apt), which kernel:depInstall installs;
//   - a local tarball or an unpacked source directory (offline use).
func ResolveSource(spec, version, mirror, checksum string) (Source, error) {
	m := versionRE.FindStringSubmatch(version)
	switch {
	case spec == "debian":
		pkg := SourcePackage(spec, version)
		if pkg == "" {
			return Source{}, fmt.Errorf(
				"KVERSION=%s: KERNEL_SOURCE=debian takes a version like v6.1 (Debian's linux-source-6.1)",
				version,
			)
		}
		return Source{Kind: "debian", Location: "/usr/src/" + pkg + ".tar.xz", Name: pkg + "-debian"}, nil
	case spec == "kernel.org" || spec == "":
		if m == nil {
			return Source{}, fmt.Errorf("KVERSION=%s is not a kernel.org release version like v5.4.84 or v6.1", version)
		}
		dir := fmt.Sprintf("%s/v%s.x", strings.TrimRight(mirror, "/"), m[1])
		file := "linux-" + version + ".tar.xz"
		if checksum == "" {
			checksum = "file:" + dir + "/sha256sums.asc"
		}
		return Source{Kind: "tarball", Location: dir + "/" + file, Checksum: checksum, Name: "linux-" + version}, nil
	case spec == "git" || strings.HasPrefix(spec, "git::"):
		repo := strings.TrimPrefix(spec, "git::")
		if spec == "git" {
			repo = StableGit
		}
		return Source{Kind: "git", Location: repo, Ref: "v" + version, Name: "linux-" + version + "-git"}, nil
	case strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://"):
		return Source{Kind: "tarball", Location: spec, Checksum: checksum, Name: "src-" + shortHash(spec)}, nil
	}
	abs, err := filepath.Abs(spec)
	if err != nil {
		return Source{}, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Source{}, fmt.Errorf(
			"KERNEL_SOURCE=%s: %w (use kernel.org, git, a URL, a tarball or a source directory)",
			spec,
			err,
		)
	}
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(abs, "Kconfig")); err != nil {
			return Source{}, fmt.Errorf(
				"KERNEL_SOURCE=%s is a directory but not a kernel source tree (no Kconfig)",
				spec,
			)
		}
		return Source{Kind: "dir", Location: abs, Name: filepath.Base(abs)}, nil
	}
	name := strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs))
	name = strings.TrimSuffix(name, ".tar")
	return Source{Kind: "tarball", Location: abs, Checksum: checksum, Name: name + "-" + shortHash(abs)}, nil
}

// SourcePackage is the Debian package that holds the source for
// KERNEL_SOURCE=debian ("" for other sources).
func SourcePackage(spec, version string) string {
	m := versionRE.FindStringSubmatch(version)
	if spec != "debian" || m == nil {
		return ""
	}
	return "linux-source-" + m[1] + "." + m[2]
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// Local reports whether the source is a file or directory on this machine.
func (s Source) Local() bool { return !strings.Contains(s.Location, "://") }

// Installed reports whether the source comes from a package (Debian's
// linux-source), which may not be installed yet when a build is planned.
func (s Source) Installed() bool { return s.Kind == "debian" }

// MissingPackageError says the source's package is not installed.
type MissingPackageError struct{ Package, Path string }

func (e *MissingPackageError) Error() string {
	return fmt.Sprintf("no %s: Debian's %s package (the kernel source) is not installed", e.Path, e.Package)
}

// VersionBefore reports whether version (5.4.84, 6.1) is older than
// major.minor; a version it cannot read counts as new.
func VersionBefore(version string, major, minor int) bool {
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		return false
	}
	var a, b int
	fmt.Sscan(m[1], &a)
	fmt.Sscan(m[2], &b)
	return a < major || a == major && b < minor
}
