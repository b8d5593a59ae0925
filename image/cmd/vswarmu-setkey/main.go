// Command vswarmu-setkey is Docker's libnetwork-setkey prestart hook as a
// small program of its own.
//
// dockerd asks the OCI runtime to run, before each container starts, a
// hook that tells it the container's network namespace: the hook reads the
// container's state (its pid) on stdin and sends the namespace's path over
// dockerd's libnetwork socket, which then moves the container's veth into
// it. dockerd names itself as that hook (/proc/<dockerd's pid>/exe with
// argv[0] "libnetwork-setkey"), so every container start runs a second
// dockerd: every package init function of the daemon, 82.2 M user
// instructions natively (Valgrind) and more on gem5's simulated cores, to
// send one line of JSON. The runtime image:runtime builds has dockerd name this
// program instead when the disk holds it (/usr/libexec/docker/libnetwork-setkey,
// image/patches/docker). It speaks the same protocol to the same socket, so
// dockerd configures the container's network exactly as before.
//
//	libnetwork-setkey [-exec-root DIR] CONTAINER-ID SHORT-CONTROLLER-ID
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
)

// state is the part of the OCI runtime's container state the hook reads.
type state struct {
	Pid int `json:"pid"`
}

// request is what dockerd's key listener decodes (libnetwork's setKeyData).
type request struct {
	ContainerID string
	Key         string
	OTelTrace   map[string]string
}

// success is dockerd's whole reply when it set the key.
const success = "success"

// Socket is dockerd's libnetwork key listener under execRoot.
func Socket(execRoot, shortControllerID string) string {
	return filepath.Join(execRoot, "libnetwork", shortControllerID+".sock")
}

// Request reads the container's state from r and returns the request for
// containerID: the path of its process's network namespace.
func Request(r io.Reader, containerID string) (request, error) {
	var s state
	if err := json.NewDecoder(r).Decode(&s); err != nil {
		return request{}, fmt.Errorf("read the container's state on stdin: %w", err)
	}
	if s.Pid <= 0 {
		return request{}, fmt.Errorf("the container's state on stdin has no pid (%d)", s.Pid)
	}
	return request{
		ContainerID: containerID,
		Key:         fmt.Sprintf("/proc/%d/ns/net", s.Pid),
		OTelTrace:   map[string]string{},
	}, nil
}

// Send sends req over conn and returns dockerd's refusal as an error.
func Send(conn io.ReadWriter, req request) error {
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return fmt.Errorf("send the key: %w", err)
	}
	buf := make([]byte, 1024)
	n, err := conn.Read(buf)
	if err != nil {
		return fmt.Errorf("read dockerd's reply: %w", err)
	}
	if reply := string(buf[:n]); reply != success {
		return errors.New(reply)
	}
	return nil
}

func run(args []string, stdin io.Reader) error {
	fs := flag.NewFlagSet("libnetwork-setkey", flag.ContinueOnError)
	execRoot := fs.String("exec-root", "/run/docker", "dockerd's exec root")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("want CONTAINER-ID SHORT-CONTROLLER-ID after the flags, got %d arguments", fs.NArg())
	}
	req, err := Request(stdin, fs.Arg(0))
	if err != nil {
		return err
	}
	conn, err := net.Dial("unix", Socket(*execRoot, fs.Arg(1)))
	if err != nil {
		return fmt.Errorf("dockerd's key listener: %w", err)
	}
	defer conn.Close()
	return Send(conn, req)
}

func main() {
	if err := run(os.Args[1:], os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "libnetwork-setkey:", err)
		os.Exit(1)
	}
}
