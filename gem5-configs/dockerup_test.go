package gem5configs

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The run script's Docker check, run by sh with its paths moved into a
// temporary directory and docker, systemctl, journalctl and m5 replaced
// by programs that log their calls.
func TestDockerUpTrustsARunningDockerd(t *testing.T) {
	cases := []struct {
		name     string
		socket   bool
		pid      string // the pid file's content ("" = no file)
		docker   int    // exit status of `docker info`
		wantRun  []string
		wantExit int
	}{
		{"socket and live pid", true, fmt.Sprint(os.Getpid()), 0, nil, 0},
		{"stale pid file", true, "999999", 0, []string{"docker info"}, 0},
		{"no socket, docker answers", false, fmt.Sprint(os.Getpid()), 0, []string{"docker info"}, 0},
		{"nothing runs", false, "", 1,
			[]string{"docker info", "systemctl start docker.service", "m5 fail 7"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, exit, out := runDockerUp(t, tc.socket, tc.pid, tc.docker)
			if fmt.Sprint(got) != fmt.Sprint(tc.wantRun) || exit != tc.wantExit {
				t.Fatalf("ran %q, exit %d; want %q, exit %d\n%s", got, exit, tc.wantRun, tc.wantExit, out)
			}
		})
	}
}

// runDockerUp runs dockerUp with a socket (or none), a pid file (content
// pid, none when empty) and a docker stub exiting with status docker; it
// returns the stubs' calls that decide (not the failure report's), the
// exit status and the output.
func runDockerUp(t *testing.T, socket bool, pid string, docker int) ([]string, int, []byte) {
	t.Helper()
	dir := t.TempDir()
	calls, bin := filepath.Join(dir, "calls"), filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, status := range map[string]int{"docker": docker, "systemctl": 1, "journalctl": 0, "m5": 0} {
		script := fmt.Sprintf("#!/bin/sh\necho \"%s $*\" >> %s\nexit %d\n", name, calls, status)
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if socket {
		l, err := net.Listen("unix", filepath.Join(dir, "docker.sock"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
	}
	if pid != "" {
		if err := os.WriteFile(filepath.Join(dir, "docker.pid"), []byte(pid), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	line := strings.NewReplacer("/var/run/", dir+"/", "/var/log/", dir+"/").Replace(dockerUp)
	cmd := exec.Command("sh", "-c", "M5="+filepath.Join(bin, "m5")+"\n"+line)
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
	out, _ := cmd.CombinedOutput()
	logged, _ := os.ReadFile(calls)
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(logged)), "\n") {
		report := strings.HasPrefix(l, "systemctl show") || strings.HasPrefix(l, "systemctl --no-pager") ||
			strings.HasPrefix(l, "journalctl")
		if l != "" && !report {
			got = append(got, l)
		}
	}
	return got, cmd.ProcessState.ExitCode(), out
}

// Compose's output goes through a pipe, even when the console is a file or
// terminal, so it writes plain lines; its exit status is said.
func TestPlainOutputPipesAndSaysTheStatus(t *testing.T) {
	console, err := os.Create(filepath.Join(t.TempDir(), "console"))
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	cmd := exec.Command("sh", "-c", plainOutput(`sh -c 'test -p /dev/stdout && echo piped >&2; exit 3'`))
	cmd.Stdout, cmd.Stderr = console, console
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if out, _ := os.ReadFile(console.Name()); string(out) != "piped\nsh: exit status 3\n" {
		t.Fatalf("console:\n%s", out)
	}
	script := Simulation{Workload: Workload{Function: "aes-go", GuestDir: "/root/vswarmu"}}.singleScript()
	if !strings.Contains(script, "up -d aes-go 2>&1; echo \"docker-compose: exit status $?\"; } | cat\n$M5 fail 2") {
		t.Fatalf("run script:\n%s", script)
	}
}

// The setup starts the container the install created through Docker's API
// (a fake one on a unix socket here) and falls back to compose on a disk
// without it; a container that stops before the script stops it ends the
// run with m5 fail 8 and its last output.
func TestSetupStartsThePreparedContainer(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (apt-get install curl)")
	}
	cases := []struct {
		name            string
		prepared, crash bool
		wantAPI         []string
		wantRun         []string
	}{
		{"prepared at install", true, false,
			[]string{"POST /containers/vswarmu-prepared-aes-go/rename?name=function", "POST /containers/function/start"},
			[]string{"m5 fail 2", "m5 fail 3"}},
		{"an older disk", false, false,
			[]string{"POST /containers/vswarmu-prepared-aes-go/rename?name=function"},
			[]string{"docker-compose -p vswarmu -f /root/vswarmu/functions.yaml up -d aes-go", "m5 fail 2",
				"docker update function --cpuset-cpus 1", "m5 fail 3"}},
		{"the function crashes", true, true,
			[]string{"POST /containers/vswarmu-prepared-aes-go/rename?name=function", "POST /containers/function/start",
				"POST /containers/function/wait", "GET /containers/function/logs?stdout=1&stderr=1&tail=20"},
			[]string{"m5 fail 2", "m5 fail 3", "m5 fail 8"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api, calls, out := runContainerStart(t, tc.prepared, tc.crash)
			if fmt.Sprint(api) != fmt.Sprint(tc.wantAPI) || fmt.Sprint(calls) != fmt.Sprint(tc.wantRun) {
				t.Fatalf("API %q, ran %q; want %q, %q\n%s", api, calls, tc.wantAPI, tc.wantRun, out)
			}
			if tc.crash && !strings.Contains(string(out), "VSWARMU-FUNCTION-EXITED") ||
				tc.crash && !strings.Contains(string(out), "node[215]: segfault") {
				t.Fatalf("the crash is not on the console:\n%s", out)
			}
		})
	}
}

// runContainerStart runs the run script's start lines against a fake
// Docker API that knows the prepared container or not, and whose container
// runs on or crashes; it returns the API requests (a running container's
// pending wait left out), the stubs' calls and the output.
func runContainerStart(t *testing.T, prepared, crash bool) (api, calls []string, out []byte) {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("unix", filepath.Join(dir, "docker.sock"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	running := make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/wait") && !crash {
			<-running // a live container: the wait returns when the test ends
			return
		}
		mu.Lock()
		api = append(api, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		switch {
		case !prepared && strings.HasSuffix(r.URL.Path, "/rename"):
			http.Error(w, `{"message":"No such container"}`, http.StatusNotFound)
		case strings.HasSuffix(r.URL.Path, "/logs"):
			w.Write([]byte("\x01\x00\x00\x00\x00\x00\x00\x1cnode[215]: segfault at 18 ip\n"))
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})}
	go srv.Serve(l)
	defer srv.Close()
	defer close(running)
	bin, log := filepath.Join(dir, "bin"), filepath.Join(dir, "calls")
	os.MkdirAll(bin, 0o755)
	for _, name := range []string{"docker", "docker-compose", "m5"} {
		os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\necho \""+name+" $*\" >> "+log+"\n"), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "docker.pid"), []byte(fmt.Sprint(os.Getpid())), 0o644)
	s := Simulation{Workload: Workload{Function: "aes-go", GuestDir: dir}}
	start, _, _ := s.containerLines()
	start = strings.NewReplacer("/var/run/", dir+"/", dir+"/functions.yaml", "/root/vswarmu/functions.yaml").Replace(start)
	console, err := os.Create(filepath.Join(dir, "console"))
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	cmd := exec.Command("sh", "-c", "M5="+filepath.Join(bin, "m5")+"\n"+start+"\nwait")
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
	cmd.Stdout, cmd.Stderr = console, console
	if !crash {
		// A live container: the script goes on and the watch stays behind.
		cmd.Args[2] = strings.TrimSuffix(cmd.Args[2], "\nwait")
	}
	if err := cmd.Run(); err != nil {
		t.Fatalf("start lines: %v", err)
	}
	out, _ = os.ReadFile(console.Name())
	logged, _ := os.ReadFile(log)
	for _, c := range strings.Split(strings.TrimSpace(string(logged)), "\n") {
		if c != "" {
			calls = append(calls, c)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), api...), calls, out
}
