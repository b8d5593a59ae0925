// Command vswarmu-run starts a function as a plain process instead of in
// its container (EXEC_MODE=process): it reads the container's description
// (the JSON `docker inspect` prints, or the same shape written by the tiny
// disk builder), enters the container's root file system with chroot, goes
// to its working directory, pins itself to the given CPUs and executes the
// container's command with the container's environment. No namespaces,
// cgroups, overlay file system or docker-proxy are involved: the function
// shares the guest's network, so it listens on its own port.
//
//	vswarmu-run [-cpus LIST] [-rootfs DIR] CONTAINER.json
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Container is the part of `docker inspect`'s output a launch needs.
type Container struct {
	Path   string   `json:"Path"`
	Args   []string `json:"Args"`
	Config struct {
		Env        []string `json:"Env"`
		WorkingDir string   `json:"WorkingDir"`
	} `json:"Config"`
}

// Launch is one resolved launch: root, directory, command, environment.
type Launch struct {
	Root string
	Dir  string
	Argv []string
	Env  []string
}

// Parse reads docker inspect's output (a list of one container) or a
// single container object.
func Parse(r io.Reader) (Container, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Container{}, err
	}
	var list []Container
	if err := json.Unmarshal(b, &list); err == nil {
		if len(list) != 1 {
			return Container{}, fmt.Errorf("the description lists %d containers, want 1", len(list))
		}
		return check(list[0])
	}
	var one Container
	if err := json.Unmarshal(b, &one); err != nil {
		return Container{}, fmt.Errorf("not a docker inspect description: %w", err)
	}
	return check(one)
}

func check(c Container) (Container, error) {
	if c.Path == "" {
		return c, errors.New("the description has no command (Path)")
	}
	return c, nil
}

// Resolve turns a container description into a launch under root.
func (c Container) Resolve(root string) Launch {
	dir := c.Config.WorkingDir
	if dir == "" {
		dir = "/"
	}
	env := c.Config.Env
	if !hasVar(env, "PATH") {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	return Launch{Root: root, Dir: dir, Argv: append([]string{c.Path}, c.Args...), Env: env}
}

func hasVar(env []string, name string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, name+"=") {
			return true
		}
	}
	return false
}

// ParseCPUs reads a CPU list like 1 or 0,2-3.
func ParseCPUs(s string) (unix.CPUSet, error) {
	var set unix.CPUSet
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a {
			return set, fmt.Errorf("-cpus %q: not a CPU list like 1 or 0,2-3", s)
		}
		for i := a; i <= b; i++ {
			set.Set(i)
		}
	}
	return set, nil
}

// lookPath finds a command that has no slash in the launch's PATH inside
// its root.
func (l Launch) lookPath() (string, error) {
	cmd := l.Argv[0]
	if strings.Contains(cmd, "/") {
		return cmd, nil
	}
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range l.Env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, cmd)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in PATH %s of the function's root", cmd, path)
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("vswarmu-run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cpus := fs.String("cpus", "", "CPUs to run on, e.g. 1 (default: all)")
	root := fs.String("rootfs", "", "the container's root file system (default: rootfs beside CONTAINER.json)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() < 1 {
		fmt.Fprintln(stderr, "usage: vswarmu-run [-cpus LIST] [-rootfs DIR] CONTAINER.json [ARG...] (ARGs follow the container's own)")
		return 2
	}
	if err := launch(fs.Arg(0), *root, *cpus, fs.Args()[1:]...); err != nil {
		fmt.Fprintf(stderr, "vswarmu-run: %v\n", err)
		return 1
	}
	return 0 // not reached: launch execs
}

func launch(spec, root, cpus string, extra ...string) error {
	f, err := os.Open(spec)
	if err != nil {
		return err
	}
	c, err := Parse(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", spec, err)
	}
	if root == "" {
		root = filepath.Join(filepath.Dir(spec), "rootfs")
	}
	l := c.Resolve(root)
	l.Argv = append(l.Argv, extra...)
	if cpus != "" {
		set, err := ParseCPUs(cpus)
		if err != nil {
			return err
		}
		if err := unix.SchedSetaffinity(0, &set); err != nil {
			return fmt.Errorf("pin to CPUs %s: %w", cpus, err)
		}
	}
	if err := syscall.Chroot(l.Root); err != nil {
		return fmt.Errorf("chroot %s: %w", l.Root, err)
	}
	if err := os.Chdir(l.Dir); err != nil {
		return fmt.Errorf("working directory %s in %s: %w", l.Dir, l.Root, err)
	}
	bin, err := l.lookPath()
	if err != nil {
		return err
	}
	return fmt.Errorf("exec %s: %w", bin, syscall.Exec(bin, l.Argv, l.Env))
}

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }
