package main

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imageTagged is the image named ref in a docker archive.
func imageTagged(archive, ref string) (v1.Image, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", ref, err)
	}
	img, err := tarball.ImageFromPath(archive, &tag)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", archive, err)
	}
	return img, nil
}

// extract writes the image's flattened file system into root.
func extract(img v1.Image, root string) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	cmd := exec.Command("tar", "-x", "--numeric-owner", "-C", root)
	cmd.Stdin = rc
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("unpack into %s: %w: %s", root, err, out)
	}
	return nil
}

// command is the container's argv as docker makes it: the compose file's
// entrypoint replaces the image's and drops its command.
func command(s types.ServiceConfig, entrypoint, cmd []string) []string {
	if len(s.Entrypoint) > 0 {
		return append(slices.Clone([]string(s.Entrypoint)), s.Command...)
	}
	if len(s.Command) > 0 {
		cmd = s.Command
	}
	return append(slices.Clone(entrypoint), cmd...)
}

// environment is the compose file's environment as NAME=value lines.
func environment(s types.ServiceConfig) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		if v := s.Environment[k]; v != nil {
			out = append(out, k+"="+*v)
		}
	}
	return out
}

// lookInRoot is where the container's PATH finds a command (a path inside
// root, as the chroot sees it).
func lookInRoot(root, cmd string, env []string) string {
	if strings.Contains(cmd, "/") {
		return cmd
	}
	dirs := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			dirs = v
		}
	}
	for _, d := range filepath.SplitList(dirs) {
		if fi, err := os.Stat(filepath.Join(root, d, cmd)); err == nil && !fi.IsDir() {
			return path.Join(d, cmd)
		}
	}
	return cmd
}
