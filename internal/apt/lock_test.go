package apt

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as the lock holder: run with VSWARMU_APT_HOLD=path,s it
// takes dpkg's lock on path as dpkg does (an fcntl write lock), says so,
// holds it for s seconds and exits.
func TestMain(m *testing.M) {
	if v := os.Getenv("VSWARMU_APT_HOLD"); v != "" {
		path, secs, _ := strings.Cut(v, ",")
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
		if err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		lk := syscall.Flock_t{Type: syscall.F_WRLCK}
		if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLKW, &lk); err != nil {
			fmt.Println(err)
			os.Exit(2)
		}
		fmt.Println("locked")
		s, _ := strconv.ParseFloat(secs, 64)
		time.Sleep(time.Duration(s * float64(time.Second)))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// aptState makes a directory apt can keep all its state in, with no
// sources, so the real apt-get runs there without touching the system's.
func aptState(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for _, dir := range []string{"lists/partial", "cache/archives/partial", "sources.list.d"} {
		if err := os.MkdirAll(filepath.Join(d, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"status", "sources.list", "lock-frontend", "lock"} {
		if err := os.WriteFile(filepath.Join(d, f), nil, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// holdLock starts a process that holds dir's frontend lock for secs.
func holdLock(t *testing.T, dir string, secs float64) *exec.Cmd {
	t.Helper()
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), fmt.Sprintf("VSWARMU_APT_HOLD=%s,%g", filepath.Join(dir, "lock-frontend"), secs))
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 7)
	if _, err := out.Read(buf); err != nil || string(buf) != "locked\n" {
		t.Fatalf("lock holder: %q %v", buf, err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	return c
}

// TestInstallWaitsForAptsLock runs the real apt-get against a dpkg lock
// another process holds: Install says who holds it and for how long it
// waits, and when the holder does not let go the error ends with apt's
// own reason; when it lets go in time, apt goes on (and here fails on the
// package, which is named).
func TestInstallWaitsForAptsLock(t *testing.T) {
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("apt-get not installed (a Debian or Ubuntu host)")
	}
	if os.Geteuid() != 0 {
		t.Skip("installing needs root")
	}
	cases := []struct {
		name    string
		hold    float64 // seconds the other process holds the lock
		timeout time.Duration
		want    string
	}{
		{"held past the timeout", 60, 2 * time.Second, "Unable to acquire the dpkg frontend lock"},
		{"released in time", 1.5, time.Minute, "Unable to locate package vswarmu-no-such-package"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := aptState(t)
			holder := holdLock(t, dir, c.hold)
			var mu sync.Mutex
			var said []string
			opts := Options{LockTimeout: c.timeout, StateDir: dir, Say: func(f string, a ...any) {
				mu.Lock()
				said = append(said, fmt.Sprintf(f, a...))
				mu.Unlock()
			}}
			var log bytes.Buffer
			_, err := Install(context.Background(), "test", []string{"vswarmu-no-such-package"}, &log, opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Install: %v, want an error with %q\napt's output:\n%s", err, c.want, log.String())
			}
			wantSaid := fmt.Sprintf("held by process %d", holder.Process.Pid)
			if len(said) == 0 || !strings.Contains(said[0], wantSaid) ||
				!strings.Contains(said[0], "APT_LOCK_TIMEOUT") {
				t.Errorf("said %q, want the holder (%s) and the setting", said, wantSaid)
			}
		})
	}
}

func TestAptsReason(t *testing.T) {
	cases := []struct {
		out, want string
		stale     bool
	}{
		{"Reading package lists...\nE: Unable to locate package nosuch\n", "Unable to locate package nosuch", true},
		{
			"Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 7 (apt-get)...\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n",
			"Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?",
			false,
		},
		{"E: a\nE: b\n", "a; b", false},
		{
			"Waiting for cache lock: held by process 7 (apt-get)...E: Unable to acquire the dpkg frontend lock (/x), is another process using it?\n",
			"Unable to acquire the dpkg frontend lock (/x), is another process using it?",
			false,
		},
		{"no E lines\nlast words\n", "last words", false},
		{"E: Package 'x' has no installation candidate\n", "Package 'x' has no installation candidate", true},
	}
	for _, c := range cases {
		if got := reason(c.out); got != c.want {
			t.Errorf("reason(%q) = %q, want %q", c.out, got, c.want)
		}
		if got := staleLists(&AptError{Err: fmt.Errorf("exit status 100"), Reason: reason(c.out)}); got != c.stale {
			t.Errorf("staleLists(%q) = %v", c.out, got)
		}
	}
}
