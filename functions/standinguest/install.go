package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/vswarmu/vswarmu-mage/client"
	"github.com/vswarmu/vswarmu-mage/functions"
)

// installAll is the install script's work, in the double's network
// namespace: its output goes to dir/run.log, as the guest's does.
func installAll(dir string, console io.Writer) int {
	f, err := os.Create(filepath.Join(dir, "run.log"))
	if err != nil {
		fmt.Fprintln(console, err)
		return 1
	}
	defer f.Close()
	log := io.MultiWriter(f, console)
	fmt.Fprintln(log, banner)
	if out, err := exec.Command("ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		fmt.Fprintf(log, "VSWARMU-INSTALL-ERROR stand-in guest: loopback: %v %s\n", err, out)
		return 1
	}
	archives, fns, err := readPlan(dir)
	if err != nil {
		fmt.Fprintf(log, "VSWARMU-INSTALL-ERROR stand-in guest: %v\n", err)
		return 1
	}
	cat, err := functions.LoadFile(filepath.Join(dir, "functions.yaml"))
	if err != nil {
		fmt.Fprintf(log, "VSWARMU-INSTALL-ERROR cannot fetch functions.yaml: %v\n", err)
		return 1
	}
	images := loadAll(dir, archives, log)
	for _, fn := range fns {
		c := container{dir: dir, name: fn[0], client: fn[1], service: cat.Project.Services[fn[0]], log: log}
		c.install(images)
	}
	fmt.Fprintln(log, "stand-in guest: images loaded:", strings.Join(slices.Sorted(maps.Keys(images)), " "))
	return 0
}

// loadAll reads each archive's image names, as `docker load` does: the
// images by name, each its archive.
func loadAll(dir string, archives []string, log io.Writer) map[string]string {
	images := map[string]string{}
	for _, a := range archives {
		path := filepath.Join(dir, a)
		m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
		if err != nil || len(m) == 0 {
			fmt.Fprintf(log, "VSWARMU-INSTALL-ERROR cannot load %s: %v\n", a, err)
			continue
		}
		for _, d := range m {
			for _, tag := range d.RepoTags {
				images[tag] = path
				fmt.Fprintf(log, "Loaded image: %s\n", tag)
			}
		}
	}
	return images
}

// container is one function's container in the double.
type container struct {
	dir, name, client string
	service           types.ServiceConfig
	log               io.Writer
}

// install starts the function, invokes it five times with input 1 (the
// script's test-client line), scans its file system and stops it.
func (c container) install(images map[string]string) {
	fmt.Fprintf(c.log, "=== %s\n", c.name)
	archive, ok := images[c.service.Image]
	if !ok {
		fmt.Fprintf(c.log, "pull access denied for %s (the stand-in guest has no registry)\n", c.service.Image)
		fmt.Fprintf(c.log, "VSWARMU-INSTALL %s failed: docker-compose up failed\n", c.name)
		return
	}
	root, argv, env, wd, err := c.unpack(archive)
	if err == nil {
		err = c.serve(root, argv, env, wd)
	}
	if err != nil {
		fmt.Fprintf(c.log, "%s\nVSWARMU-INSTALL %s failed: the client could not invoke it\n", err, c.name)
		return
	}
	if err := c.scan(root); err != nil {
		fmt.Fprintf(c.log, "VSWARMU-INSTALL-ERROR %s: cannot scan its image's programs: %v\n", c.name, err)
	}
	fmt.Fprintf(c.log, "VSWARMU-INSTALL %s ok\nVSWARMU-PREPARED %s\n", c.name, c.name)
}

// unpack writes the image's file system and gives the container's command,
// environment and working directory as docker would run them.
func (c container) unpack(archive string) (root string, argv, env []string, wd string, err error) {
	img, err := imageTagged(archive, c.service.Image)
	if err != nil {
		return "", nil, nil, "", err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return "", nil, nil, "", err
	}
	root = filepath.Join(c.dir, "rootfs", c.name)
	if err := extract(img, root); err != nil {
		return "", nil, nil, "", err
	}
	argv = command(c.service, cfg.Config.Entrypoint, cfg.Config.Cmd)
	env = append(cfg.Config.Env, environment(c.service)...)
	wd = c.service.WorkingDir
	if wd == "" {
		wd = cfg.Config.WorkingDir
	}
	return root, argv, env, wd, nil
}

// serve runs the container's command in its file system, forwards the
// compose file's published port to it, and invokes the function.
func (c container) serve(root string, argv, env []string, wd string) error {
	if len(argv) == 0 {
		return fmt.Errorf("%s: no command (neither the compose file nor the image gives one)", c.name)
	}
	var out strings.Builder
	cmd := &exec.Cmd{Path: lookInRoot(root, argv[0], env), Args: argv, Env: env, Dir: wd}
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start %v in its image: %w", c.name, argv, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	stop, err := forward(c.service.Ports)
	if err != nil {
		return err
	}
	defer stop()
	res, err := client.Run(context.Background(), client.Options{Function: c.client, Addr: "localhost:50000",
		Input: "1", N: 5, Timeout: 120 * time.Second, Log: c.log})
	switch {
	case err != nil:
		return fmt.Errorf("%v; the container's output:\n%s", err, out.String())
	case res.Errors > 0 || res.Wrong > 0:
		return fmt.Errorf("%d errors, %d wrong replies; the container's output:\n%s", res.Errors, res.Wrong, out.String())
	}
	return nil
}

// scan pipes the container's file system to vswarmu-scan, as the script
// pipes `docker export`.
func (c container) scan(root string) error {
	scanner := filepath.Join(c.dir, "vswarmu-scan")
	if _, err := os.Stat(scanner); err != nil {
		return nil // the install has no scanner (an arm64 guest)
	}
	tar := exec.Command("tar", "-c", "-C", root, ".")
	scan := exec.Command(scanner, "-function", c.name)
	pipe, err := tar.StdoutPipe()
	if err != nil {
		return err
	}
	scan.Stdin, scan.Stdout, scan.Stderr = pipe, c.log, c.log
	if err := tar.Start(); err != nil {
		return err
	}
	if err := scan.Run(); err != nil {
		_ = tar.Wait()
		return err
	}
	return tar.Wait()
}

// forward listens on each published port of the loopback and copies
// connections to the container's port, as docker-proxy does.
func forward(ports []types.ServicePortConfig) (stop func(), err error) {
	var lns []net.Listener
	stop = func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	for _, p := range ports {
		if p.Published == "" || p.Published == fmt.Sprint(p.Target) {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+p.Published)
		if err != nil {
			stop()
			return nil, fmt.Errorf("publish port %s: %w", p.Published, err)
		}
		lns = append(lns, ln)
		go accept(ln, fmt.Sprintf("127.0.0.1:%d", p.Target))
	}
	return stop, nil
}

func accept(ln net.Listener, target string) {
	for {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer in.Close()
			out, err := net.Dial("tcp", target)
			if err != nil {
				return
			}
			defer out.Close()
			go func() { _, _ = io.Copy(out, in) }()
			_, _ = io.Copy(in, out)
		}()
	}
}
