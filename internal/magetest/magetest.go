// Package magetest builds the project's magefile into a binary once per
// test process and runs it the way a user runs `mage <target>`.
package magetest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var built struct {
	once      sync.Once
	dir       string
	mage, bin string
	err       error
}

// Main runs a test package's tests and removes the binaries afterwards;
// call it from TestMain: os.Exit(magetest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	return code
}

// RepoRoot returns the module root (the directory holding go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}

// Binaries returns the mage command and the project's compiled magefile,
// building both on first use.
func Binaries(t testing.TB) (mageCLI, compiled string) {
	t.Helper()
	root := RepoRoot(t)
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "vswarmu-magetest-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		built.mage = filepath.Join(dir, "mage")
		built.bin = filepath.Join(dir, "vswarmu")
		cmd := exec.Command("go", "build", "-o", built.mage, "github.com/magefile/mage")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = errors.New("build mage: " + err.Error() + "\n" + string(out))
			return
		}
		cmd = exec.Command(built.mage, "-compile", built.bin)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "MAGEFILE_CACHE="+filepath.Join(dir, "cache"))
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = errors.New("compile magefiles: " + err.Error() + "\n" + string(out))
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.mage, built.bin
}

// Result is how a run ended.
type Result struct {
	Code   int
	Output string
}

// Run is one invocation of the compiled magefile.
type Run struct {
	Cmd  *exec.Cmd
	out  *buffer
	done chan struct{}
	err  error
}

type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Start runs the compiled magefile with args in dir, with the environment
// plus env (NO_COLOR set), in a process group of its own.
func Start(t testing.TB, dir string, env []string, args ...string) *Run {
	t.Helper()
	_, bin := Binaries(t)
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	r := &Run{Cmd: cmd, out: &buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.out, r.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
	})
	return r
}

// Output returns what the run printed so far.
func (r *Run) Output() string { return r.out.String() }

// Done is closed when the run has ended.
func (r *Run) Done() <-chan struct{} { return r.done }

// Wait waits up to within for the run to end.
func (r *Run) Wait(t testing.TB, within time.Duration) Result {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(within):
		_ = syscall.Kill(-r.Cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
		t.Fatalf("%s did not end within %v; output:\n%s", strings.Join(r.Cmd.Args, " "), within, r.Output())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(r.err, &ee) {
		code = ee.ExitCode()
	} else if r.err != nil {
		t.Fatal(r.err)
	}
	return Result{Code: code, Output: r.Output()}
}

// Mage runs the compiled magefile to the end (within ten minutes).
func Mage(t testing.TB, dir string, env []string, args ...string) Result {
	t.Helper()
	return Start(t, dir, env, args...).Wait(t, 10*time.Minute)
}

// WaitFile waits until path exists or the run ends.
func (r *Run) WaitFile(t testing.TB, path string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-r.done:
			t.Fatalf("run ended before %s appeared:\n%s", path, r.Output())
		case <-deadline:
			t.Fatalf("%s did not appear within %v:\n%s", path, within, r.Output())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
