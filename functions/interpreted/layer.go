package interpreted

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// epoch is every app file's time: the same sources give the same layer.
var epoch = time.Unix(0, 0)

// dirs writes files into a tar stream with their parent directories
// before them, each directory once.
type dirs map[string]bool

func (d dirs) dir(tw *tar.Writer, p string) error {
	if p == "." || p == "/" || d[p] {
		return nil
	}
	if err := d.dir(tw, path.Dir(p)); err != nil {
		return err
	}
	d[p] = true
	return tw.WriteHeader(&tar.Header{Name: p + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch})
}

func (d dirs) file(tw *tar.Writer, p string, mode, size int64, r io.Reader) error {
	if err := d.dir(tw, path.Dir(p)); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: mode, Size: size, ModTime: epoch}); err != nil {
		return err
	}
	_, err := io.Copy(tw, r)
	return err
}

func (d dirs) bytes(tw *tar.Writer, p string, b []byte) error {
	return d.file(tw, p, 0o644, int64(len(b)), bytes.NewReader(b))
}

// memoryLayer is a layer of the tar stream data.
func memoryLayer(data []byte) (v1.Layer, error) {
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// rootfsLayer makes a Debian root file system with the language's
// packages (mmdebstrap, essential variant: dpkg, a shell and coreutils
// beside the runtime) and returns it as a layer kept in tmp.
func rootfsLayer(ctx context.Context, j job.Job, lang Language, arch, mirror, tmp string) (v1.Layer, error) {
	root := filepath.Join(tmp, "rootfs")
	args := []string{"--variant=essential", "--mode=root", "--architectures=" + arch,
		"--include=" + strings.Join(lang.Packages, ","),
		"--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
		"--dpkgopt=path-exclude=/usr/share/locale/*", "--dpkgopt=path-exclude=/usr/share/info/*",
		Suite, root, mirror}
	j.Progress("mmdebstrap %s with %s", Suite, strings.Join(lang.Packages, " "))
	if err := j.Run(ctx, "mmdebstrap", args...); err != nil {
		return nil, fmt.Errorf("mmdebstrap %s (%s) from %s: %w%s", Suite, strings.Join(lang.Packages, " "), mirror, err,
			foreignHint(arch))
	}
	for _, junk := range []string{"var/lib/apt/lists", "var/cache/apt", "var/log"} {
		if err := os.RemoveAll(filepath.Join(root, junk)); err != nil {
			return nil, err
		}
	}
	tarPath := filepath.Join(tmp, "rootfs.tar")
	if err := j.Run(ctx, "tar", "-C", root, "--numeric-owner", "--sort=name", "--xattrs", "-cf", tarPath, "."); err != nil {
		return nil, fmt.Errorf("pack the %s root file system: %w", lang.Name, err)
	}
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	return tarball.LayerFromFile(tarPath)
}

// foreignHint says what a root file system of another architecture needs.
func foreignHint(arch string) string {
	if arch == hostArch() {
		return ""
	}
	return fmt.Sprintf(" (ARCH=%s on this host: mmdebstrap runs the packages' scripts with qemu-user-static and binfmt-support)", arch)
}
