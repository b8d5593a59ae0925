package functions

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vswarmu/vswarmu-mage/internal/gobuild"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// References are the functions that have Go reference servers in
// functions/src: images of them can be made offline.
var References = map[string]string{
	"fibonacci-go": "./functions/src/fibonacci",
	"aes-go":       "./functions/src/aes",
	"auth-go":      "./functions/src/auth",
}

// ArchiveName is the file an image is saved as (docker-archive format),
// for the guest to `docker load`.
func ArchiveName(image string) string {
	r := strings.NewReplacer("/", "_", ":", "_")
	return r.Replace(image) + ".tar"
}

// WriteServerImage writes a docker-archive of an image named ref that
// holds one static server binary at /app/server (where the compose file's
// entrypoint looks for the Go functions' server), for arch.
func WriteServerImage(ref, server, arch, out string) error {
	bin, err := os.ReadFile(server)
	if err != nil {
		return err
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	epoch := time.Unix(0, 0)
	for _, d := range []string{"app/", "tmp/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Name: "app/server", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin)), ModTime: epoch}); err != nil {
		return err
	}
	if _, err := tw.Write(bin); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	data := layer.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return err
	}
	return ServerImage{Ref: ref, Arch: arch, Layers: []v1.Layer{l}, Entrypoint: []string{"/app/server"},
		Description: "vswarmu-mage reference function server"}.Write(out)
}

// ServerImage is a reference function's image: its layers and how it runs
// (it listens on port 50051, as the catalogue's services expect).
type ServerImage struct {
	Ref         string // its name, e.g. vhiveease/fibonacci-go:latest
	Arch        string // GOARCH names
	Layers      []v1.Layer
	Entrypoint  []string
	WorkingDir  string   // "" for the root
	Env         []string // KEY=value
	Description string   // its org.opencontainers.image.description
}

// Write writes the image as a docker archive (what `docker load` reads) to out.
func (s ServerImage) Write(out string) error {
	img, err := mutate.AppendLayers(empty.Image, s.Layers...)
	if err != nil {
		return err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS = s.Arch, "linux"
	cfg.Config.Entrypoint, cfg.Config.WorkingDir, cfg.Config.Env = s.Entrypoint, s.WorkingDir, s.Env
	cfg.Config.ExposedPorts = map[string]struct{}{"50051/tcp": {}}
	cfg.Config.Labels = map[string]string{"org.opencontainers.image.description": s.Description}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	tag, err := name.NewTag(s.Ref)
	if err != nil {
		return fmt.Errorf("image name %s: %w", s.Ref, err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return tarball.WriteToFile(out, tag, img)
}

// ReferenceBuild makes docker archives of the Go reference functions from
// this module's source, under the image names a catalogue gives them.
type ReferenceBuild struct {
	SourceDir string            // this module's source (a checkout or the module cache)
	Arch      string            // GOARCH of the servers
	Images    map[string]string // function -> image name
	Dir       string            // where the archives go
}

// Archive is where fn's archive goes.
func (r ReferenceBuild) Archive(fn string) string {
	return filepath.Join(r.Dir, ArchiveName(r.Images[fn]))
}

// Make builds each server and writes its image to j.Out(Archive(fn)).
func (r ReferenceBuild) Make(ctx context.Context, j job.Job) error {
	tmp, err := os.MkdirTemp("", "vswarmu-reference-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, fn := range slices.Sorted(maps.Keys(r.Images)) {
		bin := filepath.Join(tmp, fn)
		if err := gobuild.Build(ctx, j, r.SourceDir, "reference", References[fn], r.Arch, bin); err != nil {
			return fmt.Errorf("the %s server: %w", fn, err)
		}
		if err := WriteServerImage(r.Images[fn], bin, r.Arch, j.Out(r.Archive(fn))); err != nil {
			return fmt.Errorf("image %s: %w", r.Images[fn], err)
		}
		j.Logf("%s: %s", r.Images[fn], r.Archive(fn))
	}
	return nil
}
