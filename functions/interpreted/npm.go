package interpreted

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/download"
)

// DefaultNPMRegistry is where the Node.js functions' modules come from.
const DefaultNPMRegistry = "https://registry.npmjs.org"

// Module is one npm package the lock file pins.
type Module struct {
	Path    string // where it goes under the app, e.g. node_modules/@grpc/grpc-js
	Name    string // its package name, e.g. @grpc/grpc-js
	Version string
	SHA512  string // hex, from the lock's integrity
}

// Tarball is the module's tarball URL on registry.
func (m Module) Tarball(registry string) string {
	return strings.TrimSuffix(registry, "/") + "/" + m.Name + "/-/" + path.Base(m.Name) + "-" + m.Version + ".tgz"
}

// lockFile is the part of an npm package-lock.json (version 2 or 3) read here.
type lockFile struct {
	LockfileVersion int `json:"lockfileVersion"`
	Packages        map[string]struct {
		Version   string `json:"version"`
		Integrity string `json:"integrity"`
		Dev       bool   `json:"dev"`
	} `json:"packages"`
}

// ParseLock returns the modules a package-lock.json pins for production
// (dev dependencies left out), in path order.
func ParseLock(data []byte) ([]Module, error) {
	var l lockFile
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("package-lock.json: %w", err)
	}
	if l.LockfileVersion < 2 {
		return nil, fmt.Errorf("package-lock.json: lockfileVersion %d; make it with npm 7 or later", l.LockfileVersion)
	}
	var mods []Module
	for p, e := range l.Packages {
		if p == "" || e.Dev {
			continue
		}
		i := strings.LastIndex(p, "node_modules/")
		if !strings.HasPrefix(p, "node_modules/") {
			return nil, fmt.Errorf("package-lock.json: package %q is not under node_modules/", p)
		}
		sum, err := sha512Hex(e.Integrity)
		if err != nil {
			return nil, fmt.Errorf("package-lock.json: %s: %w", p, err)
		}
		if e.Version == "" {
			return nil, fmt.Errorf("package-lock.json: %s has no version", p)
		}
		mods = append(mods, Module{Path: p, Name: p[i+len("node_modules/"):], Version: e.Version, SHA512: sum})
	}
	slices.SortFunc(mods, func(a, b Module) int { return strings.Compare(a.Path, b.Path) })
	return mods, nil
}

// sha512Hex turns an integrity string ("sha512-<base64>") into hex.
func sha512Hex(integrity string) (string, error) {
	for _, h := range strings.Fields(integrity) {
		if b64, ok := strings.CutPrefix(h, "sha512-"); ok {
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil || len(b) != 64 {
				return "", fmt.Errorf("integrity %q is no sha512", h)
			}
			return hex.EncodeToString(b), nil
		}
	}
	return "", fmt.Errorf("integrity %q has no sha512 (every module needs one to be checked)", integrity)
}

// FetchModules downloads each module's tarball into cache (kept there;
// one that is present with the right checksum is not downloaded again) and
// returns their files.
func FetchModules(ctx context.Context, mods []Module, registry, cache string) ([]string, error) {
	var files []string
	for _, m := range mods {
		dst := filepath.Join(cache, strings.ReplaceAll(m.Name, "/", "+")+"-"+m.Version+".tgz")
		if err := download.File(ctx, m.Tarball(registry), "sha512:"+m.SHA512, dst, nil); err != nil {
			return nil, fmt.Errorf("npm module %s@%s: %w", m.Name, m.Version, err)
		}
		files = append(files, dst)
	}
	return files, nil
}

// addModule writes an npm tarball's files into tw under dir (the
// tarball's first path component, "package/" as a rule, is dropped).
func addModule(tw *tar.Writer, tgz, dir string, h dirs) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", tgz, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue // npm installs regular files only
		}
		_, rel, ok := strings.Cut(path.Clean(strings.TrimPrefix(hdr.Name, "/")), "/")
		if !ok || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		mode := int64(0o644)
		if hdr.Mode&0o111 != 0 {
			mode = 0o755
		}
		if err := h.file(tw, path.Join(dir, rel), mode, hdr.Size, tr); err != nil {
			return fmt.Errorf("%s: %w", tgz, err)
		}
	}
}
