// Package magetest builds the project's magefile into a binary once per
// test process and runs it the way a user runs `mage <target>`.
package magetest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/compilelock"
)

var built struct {
	mu    sync.Mutex
	dir   string            // holds the mage command, the binaries and mage's cache
	mage  string            // the mage command
	bins  map[string]string // magefiles directory ("" = the project's) -> compiled binary
	err   error
	setup sync.Once
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
	return Compile(t, "")
}

// Compile returns the mage command and the magefile in dir compiled into a
// binary ("" is the project's magefiles/), building each once per process.
func Compile(t testing.TB, dir string) (mageCLI, compiled string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Mage binaries")
	}
	root := RepoRoot(t)
	built.setup.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "vswarmu-magetest-")
		if built.err != nil {
			return
		}
		built.mage = filepath.Join(built.dir, "mage")
		built.bins = map[string]string{}
		cmd := exec.Command("go", "build", "-o", built.mage, "github.com/magefile/mage")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = errors.New("build mage: " + err.Error() + "\n" + string(out))
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	built.mu.Lock()
	defer built.mu.Unlock()
	if bin, ok := built.bins[dir]; ok {
		return built.mage, bin
	}
	bin := filepath.Join(built.dir, fmt.Sprintf("magefile-%d", len(built.bins)))
	args := []string{"-compile", bin}
	if dir != "" {
		args = append([]string{"-d", dir}, args...)
	}
	magefiles := filepath.Join(root, "magefiles")
	if dir != "" {
		magefiles = filepath.Join(root, dir)
	}
	unlock, err := compilelock.Lock(magefiles, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	cmd := exec.Command(built.mage, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "MAGEFILE_CACHE="+CacheDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compile the magefile in %q: %v\n%s", dir, err, out)
	}
	built.bins[dir] = bin
	return built.mage, bin
}

// CacheDir is the Mage cache the tests' mage command uses (MAGEFILE_CACHE).
func CacheDir() string { return filepath.Join(built.dir, "cache") }

// Result is how a run ended.
type Result struct {
	Code   int
	Output string
}

// Run is one invocation of the compiled magefile.
type Run struct {
	Cmd  *exec.Cmd
	out  *Buffer
	done chan struct{}
	err  error
}

// Buffer is a bytes.Buffer safe for a command's output and a test polling
// it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Start runs the project's compiled magefile with args in dir, with the
// environment plus env (NO_COLOR set), in a process group of its own (so a
// test can send it a terminal's Ctrl-C).
func Start(t testing.TB, dir string, env []string, args ...string) *Run {
	t.Helper()
	_, bin := Binaries(t)
	return StartCmd(t, dir, env, append([]string{bin}, args...)...)
}

// StartCmd runs argv (a compiled magefile or the mage command) like Start.
func StartCmd(t testing.TB, dir string, env []string, argv ...string) *Run {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	r := &Run{Cmd: cmd, out: &Buffer{}, done: make(chan struct{})}
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
