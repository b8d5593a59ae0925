// Command standinguest is a test double of qemu-system-x86_64 for
// functions:install: no kernel boots and no disk is written. It does what
// the install's guest does at the interface the host sees: it fetches
// run.sh and the files the script fetches from the file server the kernel
// command line names, loads each image archive, runs each function's
// container command in a chroot of its image's file system behind the
// compose file's port mapping (in a network namespace of its own), invokes
// it with the project's client, scans its file system with the fetched
// vswarmu-scan, and uploads the log and exit status. Every line it prints
// says it is a stand-in. It runs as root (chroot, unshare).
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// inNetns is the argument the double re-executes itself with inside its
// network namespace.
const inNetns = "--vswarmu-standin-guest-netns"

// banner starts the console, so no log is mistaken for a real guest's.
const banner = "vswarmu stand-in guest (a test double of qemu: no kernel boots, no disk is written)"

func main() {
	if len(os.Args) == 3 && os.Args[1] == inNetns {
		os.Exit(installAll(os.Args[2], os.Stdout))
	}
	if err := boot(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "stand-in guest:", err)
		os.Exit(1)
	}
}

// boot plays the guest's boot: the script and its files from the host,
// the install in a network namespace, the log and status back.
func boot(args []string) error {
	fmt.Println(banner)
	server, err := serverOf(args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "vswarmu-standin-guest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	script, err := get(server, "run.sh")
	if err != nil {
		return err
	}
	if err := fetchAll(server, script, dir); err != nil {
		return err
	}
	status := 0
	cmd := exec.Command("unshare", "--net", "--fork", "--", os.Args[0], inNetns, dir)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		status = 1
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			status = ee.ExitCode()
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "run.log"))
	if err := put(server, "run.log", log); err != nil {
		return err
	}
	fmt.Println("stand-in guest: powering off")
	return put(server, "exit-status", []byte(fmt.Sprintln(status)))
}

// serverOf is the file server vswarmu.server= on the kernel command line
// names, as the host reaches it (qemu's 10.0.2.2 is the host's loopback).
func serverOf(args []string) (string, error) {
	for i, a := range args {
		if a != "-append" || i+1 == len(args) {
			continue
		}
		for _, f := range strings.Fields(args[i+1]) {
			if v, ok := strings.CutPrefix(f, "vswarmu.server="); ok {
				return strings.Replace(v, "10.0.2.2:", "127.0.0.1:", 1), nil
			}
		}
	}
	return "", fmt.Errorf("no vswarmu.server= on the kernel command line (-append): %q", args)
}

func get(server, name string) ([]byte, error) {
	resp, err := http.Get("http://" + server + "/" + name)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: %s", name, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func put(server, name string, data []byte) error {
	req, err := http.NewRequest(http.MethodPut, "http://"+server+"/upload/"+name, bytes.NewReader(data))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("upload %s: %s", name, resp.Status)
	}
	return nil
}

// fetchLine is a file the install script fetches; installLine a function
// it installs.
var (
	fetchLine   = regexp.MustCompile(`(?m)^fetch (\S+) `)
	installLine = regexp.MustCompile(`(?m)^install_one (\S+) (\S+)$`)
)

// fetchAll fetches every file the script fetches into dir and writes the
// plan installAll follows: one "name client" line per function, and the
// image archives.
func fetchAll(server string, script []byte, dir string) error {
	var plan strings.Builder
	for _, m := range fetchLine.FindAllSubmatch(script, -1) {
		name := string(m[1])
		b, err := get(server, name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o755); err != nil {
			return err
		}
		if strings.HasSuffix(name, ".tar") {
			fmt.Fprintf(&plan, "load %s\n", name)
		}
	}
	for _, m := range installLine.FindAllSubmatch(script, -1) {
		fmt.Fprintf(&plan, "install %s %s\n", m[1], m[2])
	}
	return os.WriteFile(filepath.Join(dir, "plan"), []byte(plan.String()), 0o644)
}

// readPlan reads fetchAll's plan.
func readPlan(dir string) (archives []string, fns [][2]string, err error) {
	f, err := os.Open(filepath.Join(dir, "plan"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		switch w := strings.Fields(sc.Text()); {
		case len(w) == 2 && w[0] == "load":
			archives = append(archives, w[1])
		case len(w) == 3 && w[0] == "install":
			fns = append(fns, [2]string{w[1], w[2]})
		}
	}
	return archives, fns, sc.Err()
}
