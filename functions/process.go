package functions

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Execution modes: how a run script starts a function (EXEC_MODE).
const (
	// Container starts the function's container with docker-compose
	// (vSwarm-u's way).
	Container = "container"
	// Process starts the container's command as a plain process in the
	// guest, from the container's root file system (chroot), without
	// namespaces, cgroups or an overlay file system, as Serverless-suite
	// compares; the function listens on its own port.
	Process = "process"
)

// ProcessDir is where functions:install (and functions:tiny) keep each
// function's root file system (<fn>/rootfs) and container description
// (<fn>/container.json, docker inspect's format) for EXEC_MODE=process.
const ProcessDir = "/opt/vswarmu/functions"

// ProcessSpec is the container description of fn in the guest.
func ProcessSpec(fn string) string { return path.Join(ProcessDir, fn, "container.json") }

// Launcher is the guest's vswarmu-run (functions/cmd/vswarmu-run).
const Launcher = "/usr/local/bin/vswarmu-run"

// Port is the port fn listens on inside its container: the target of its
// mapping to HostPort. In process mode the client connects to it.
func (c *Catalog) Port(fn string) (int, error) {
	s, ok := c.Project.Services[fn]
	if !ok {
		return 0, fmt.Errorf("%s is not in %s", fn, c.Path)
	}
	for _, p := range s.Ports {
		if p.Published == strconv.Itoa(HostPort) {
			return int(p.Target), nil
		}
	}
	return 0, fmt.Errorf("%s (%s) does not publish port %d", fn, c.Path, HostPort)
}

// CheckProcessMode says why fn cannot run as a plain process: a function
// with helper services reaches them by their compose names, which only
// the containers' network resolves.
func (c *Catalog) CheckProcessMode(fns []string) error {
	var errs []error
	for _, fn := range fns {
		s := c.Project.Services[fn]
		if len(s.DependsOn) > 0 {
			deps := make([]string, 0, len(s.DependsOn))
			for d := range s.DependsOn {
				deps = append(deps, d)
			}
			sort.Strings(deps)
			errs = append(
				errs,
				fmt.Errorf(
					"%s depends on %s, which it reaches through the containers' network: run it with EXEC_MODE=%s",
					fn,
					strings.Join(deps, ", "),
					Container,
				),
			)
		}
	}
	return errors.Join(errs...)
}

// ContainerJSON is the container description of fn, in docker inspect's
// shape, as docker-compose would create it from image config cfgEnv and
// cfgDir: the compose entrypoint and command override the image's.
func (c *Catalog) ContainerJSON(
	fn string,
	imageEntrypoint, imageCmd, imageEnv []string,
	imageDir string,
) ([]byte, error) {
	s, ok := c.Project.Services[fn]
	if !ok {
		return nil, fmt.Errorf("%s is not in %s", fn, c.Path)
	}
	argv := append([]string(nil), imageEntrypoint...)
	cmd := imageCmd
	if len(s.Entrypoint) > 0 {
		argv, cmd = append([]string(nil), s.Entrypoint...), nil
	}
	if len(s.Command) > 0 {
		cmd = s.Command
	}
	argv = append(argv, cmd...)
	if len(argv) == 0 {
		return nil, fmt.Errorf("%s (%s): neither the service nor its image has a command", fn, c.Path)
	}
	env := append([]string(nil), imageEnv...)
	for k, v := range s.Environment {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	sort.Strings(env[len(imageEnv):])
	desc := []map[string]any{{
		"Name": "/" + ContainerName, "Path": argv[0], "Args": argv[1:],
		"Config": map[string]any{"Image": s.Image, "Env": env, "WorkingDir": cmpOr(s.WorkingDir, imageDir)},
	}}
	return json.MarshalIndent(desc, "", "  ")
}

// serviceText is fn's service as YAML, for rule parameters (a changed
// service makes what was built from it stale).
func (c *Catalog) serviceText(fn string) []byte {
	b, _ := json.Marshal(c.Project.Services[fn])
	return b
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ProcessFiles unpacks a docker-archive image into dir/rootfs and writes
// dir/container.json for fn: what EXEC_MODE=process needs of a function,
// made on the host (functions:tiny) instead of by docker in the guest.
func (c *Catalog) ProcessFiles(fn, archive, dir string) error {
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		return fmt.Errorf("image archive %s: %w", archive, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("image archive %s: %w", archive, err)
	}
	desc, err := c.ContainerJSON(fn, cfg.Config.Entrypoint, cfg.Config.Cmd, cfg.Config.Env, cfg.Config.WorkingDir)
	if err != nil {
		return err
	}
	root := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	fs := mutate.Extract(img)
	defer fs.Close()
	if err := untar(fs, root); err != nil {
		return fmt.Errorf("unpack %s: %w", archive, err)
	}
	return os.WriteFile(filepath.Join(dir, "container.json"), append(desc, '\n'), 0o644)
}

// untar writes a flattened image file system under root: directories,
// regular files, symbolic and hard links. It works through os.Root, so no
// name or link in the archive can reach outside root.
func untar(r io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if name == "" {
			continue
		}
		if err := unpackEntry(root, name, h, tr); err != nil {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
	}
}

func unpackEntry(root *os.Root, name string, h *tar.Header, r io.Reader) error {
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	mode := os.FileMode(h.Mode).Perm()
	switch h.Typeflag {
	case tar.TypeDir:
		return root.MkdirAll(name, mode|0o700)
	case tar.TypeReg:
		f, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case tar.TypeSymlink:
		_ = root.Remove(name)
		return root.Symlink(h.Linkname, name)
	case tar.TypeLink:
		_ = root.Remove(name)
		return root.Link(strings.TrimPrefix(path.Clean("/"+h.Linkname), "/"), name)
	}
	return nil // devices, fifos: not needed to run a function
}
