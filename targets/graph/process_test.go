package graph

import (
	"bytes"
	"errors"
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

// These tests drive the engine through real Mage binaries built from
// testdata/procmage: real processes, real signals, real clocks.

var fixtureBuild struct {
	once           sync.Once
	mage, bin, dir string
	cache          string
	err            error
}

// fixtureBinaries builds the mage command and the compiled fixture magefile.
func fixtureBinaries(t *testing.T) (mageCLI, compiled string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Mage binaries")
	}
	fixtureBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "vswarmu-procmage-")
		if err != nil {
			fixtureBuild.err = err
			return
		}
		fixtureBuild.dir = dir
		fixtureBuild.mage = filepath.Join(dir, "mage")
		fixtureBuild.bin = filepath.Join(dir, "procmage")
		fixtureBuild.cache = filepath.Join(dir, "cache")
		out, err := exec.Command("go", "build", "-o", fixtureBuild.mage, "github.com/magefile/mage").CombinedOutput()
		if err != nil {
			fixtureBuild.err = errors.New("build mage: " + err.Error() + "\n" + string(out))
			return
		}
		src, _ := filepath.Abs("testdata/procmage")
		cmd := exec.Command(fixtureBuild.mage, "-d", src, "-compile", fixtureBuild.bin)
		cmd.Env = append(os.Environ(), "MAGEFILE_CACHE="+fixtureBuild.cache)
		if out, err := cmd.CombinedOutput(); err != nil {
			fixtureBuild.err = errors.New("compile fixture magefile: " + err.Error() + "\n" + string(out))
		}
	})
	if fixtureBuild.err != nil {
		t.Fatal(fixtureBuild.err)
	}
	return fixtureBuild.mage, fixtureBuild.bin
}

// mageRun is a running fixture invocation.
type mageRun struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs argv in dir with the fixture environment, in a process group
// of its own so a test can send it a terminal's Ctrl-C.
func start(t *testing.T, dir string, env []string, argv ...string) *mageRun {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	if filepath.Base(argv[0]) == "mage" {
		cmd.Dir, _ = filepath.Abs("testdata/procmage")
	}
	cmd.Env = append(os.Environ(), "FIXTURE="+dir, "WORKING_DIR="+filepath.Join(dir, "wkdir"),
		"MAGEFILE_CACHE="+fixtureBuild.cache, "NO_COLOR=1")
	cmd.Env = append(cmd.Env, env...)
	r := &mageRun{cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
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

// wait waits for the run to end and returns its exit status.
func (r *mageRun) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(within):
		t.Fatalf("mage did not exit within %v; output:\n%s", within, r.out.String())
	}
	var ee *exec.ExitError
	if errors.As(r.err, &ee) {
		return ee.ExitCode()
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return 0
}

func waitPIDs(t *testing.T, path string, r *mageRun) []int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			var pids []int
			for _, f := range strings.Fields(string(b)) {
				n, _ := strconv.Atoi(f)
				pids = append(pids, n)
			}
			if len(pids) == 3 {
				return pids
			}
		}
		select {
		case <-r.done:
			t.Fatalf("mage exited before its recipe started: %v\n%s", r.err, r.out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no pids in %s; output:\n%s", path, r.out.String())
	return nil
}

// assertAllDead checks that none of pids is a live process.
func assertAllDead(t *testing.T, pids []int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, pid := range pids {
		for {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil || strings.Contains(string(b), ") Z ") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("pid %d is still alive: %s", pid, b)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestSignalsStopEveryProcess(t *testing.T) {
	mageCLI, bin := fixtureBinaries(t)
	cases := []struct {
		name     string
		argv     func() []string
		stop     func(r *mageRun)
		wantCode int
		wantOut  string
	}{
		{
			name: "ctrl-c to the process group",
			argv: func() []string { return []string{bin, "sleepy"} },
			stop: func(r *mageRun) { syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT) },
			// 130 = 128 + SIGINT
			wantCode: 130, wantOut: "interrupted by SIGINT",
		},
		{
			name:     "SIGTERM to mage alone",
			argv:     func() []string { return []string{bin, "sleepy"} },
			stop:     func(r *mageRun) { syscall.Kill(r.cmd.Process.Pid, syscall.SIGTERM) },
			wantCode: 143, wantOut: "interrupted by SIGTERM",
		},
		{
			name:     "mage -t 2s",
			argv:     func() []string { return []string{bin, "-t", "2s", "sleepy"} },
			stop:     func(r *mageRun) {},
			wantCode: 1,
		},
		{
			name: "SIGTERM to the mage command that compiled the magefile",
			argv: func() []string {
				// Mage parses imports with `go list` in its own directory,
				// so it runs in the module; -w runs the magefile in dir.
				src, _ := filepath.Abs("testdata/procmage")
				return []string{mageCLI, "-d", src, "-w", ".", "sleepy"}
			},
			stop:     func(r *mageRun) { syscall.Kill(r.cmd.Process.Pid, syscall.SIGTERM) },
			wantCode: -1, // the mage command dies of the signal itself
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			argv := tc.argv()
			if argv[0] == mageCLI {
				argv[len(argv)-2] = dir
			}
			r := start(t, dir, nil, argv...)

			pids := waitPIDs(t, filepath.Join(dir, "pids-sleepy"), r)
			began := time.Now()
			tc.stop(r)
			code := r.wait(t, 15*time.Second)
			if tc.wantCode != -1 && code != tc.wantCode {
				t.Errorf("exit status %d, want %d; output:\n%s", code, tc.wantCode, r.out.String())
			}
			if tc.wantOut != "" && !strings.Contains(r.out.String(), tc.wantOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantOut, r.out.String())
			}
			assertAllDead(t, pids, 10*time.Second)
			t.Logf("stopped in %v", time.Since(began).Round(time.Millisecond))
			// Nothing of ours is left registered.
			ents, _ := os.ReadDir(filepath.Join(dir, "wkdir", ".vswarmu", "pids"))
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".json") {
					t.Errorf("registry still lists %s", e.Name())
				}
			}
		})
	}
}

func TestSIGKILLedRunIsRerunAndItsOrphansStopped(t *testing.T) {
	_, bin := fixtureBinaries(t)
	dir := t.TempDir()
	r := start(t, dir, nil, bin, "slow")
	pids := waitPIDs(t, filepath.Join(dir, "pids-slow"), r)
	syscall.Kill(r.cmd.Process.Pid, syscall.SIGKILL)
	r.wait(t, 5*time.Second)

	// The next run stops the orphans, reruns the unfinished rule only.
	r2 := start(t, dir, []string{"FIXTURE_FAST=1"}, bin, "slow")
	if code := r2.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, r2.out.String())
	}
	out := r2.out.String()
	for _, want := range []string{"left running by an earlier run", "▶ slow — last run did not finish", "1 run, 1 up to date"} {
		if !strings.Contains(out, want) {
			t.Errorf("second run output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "▶ first") {
		t.Errorf("second run reran the finished rule:\n%s", out)
	}
	assertAllDead(t, pids, 5*time.Second)
	if b, _ := os.ReadFile(filepath.Join(dir, "slow.out")); string(b) != "done" {
		t.Errorf("slow.out = %q", b)
	}
	r3 := start(t, dir, []string{"FIXTURE_FAST=1"}, bin, "slow")
	if code := r3.wait(t, 30*time.Second); code != 0 || !strings.Contains(r3.out.String(), "nothing to do") {
		t.Errorf("third run: exit %d\n%s", code, r3.out.String())
	}
}

func TestMageKillStopsRegisteredProcessesOnly(t *testing.T) {
	_, bin := fixtureBinaries(t)
	dir := t.TempDir()
	decoy := exec.Command("sleep", "1000")
	if err := decoy.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { decoy.Process.Kill(); decoy.Wait() }()

	r := start(t, dir, nil, bin, "sleepy")
	pids := waitPIDs(t, filepath.Join(dir, "pids-sleepy"), r)
	k := start(t, dir, nil, bin, "vs:kill")
	if code := k.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("kill: exit %d\n%s", code, k.out.String())
	}
	if !strings.Contains(k.out.String(), "stopped 1 process group") || !strings.Contains(k.out.String(), "rule sleepy") {
		t.Errorf("kill output:\n%s", k.out.String())
	}
	assertAllDead(t, pids, 5*time.Second)
	if code := r.wait(t, 15*time.Second); code == 0 {
		t.Errorf("the run whose recipe was killed exited 0:\n%s", r.out.String())
	}
	if !strings.Contains(r.out.String(), "✘ sleepy killed after") || !strings.Contains(r.out.String(), "was killed by mage kill") {
		t.Errorf("the run does not report the rule as killed:\n%s", r.out.String())
	}
	if err := decoy.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the decoy with the same command name was stopped: %v", err)
	}
}

func TestSecondRunOnSameWorkingDirectoryIsRefused(t *testing.T) {
	_, bin := fixtureBinaries(t)
	dir := t.TempDir()
	r := start(t, dir, nil, bin, "sleepy")
	waitPIDs(t, filepath.Join(dir, "pids-sleepy"), r)
	r2 := start(t, dir, nil, bin, "sleepy")
	if code := r2.wait(t, 20*time.Second); code == 0 {
		t.Fatalf("second run succeeded:\n%s", r2.out.String())
	}
	want := "is in use by another run (pid " + strconv.Itoa(r.cmd.Process.Pid)
	if !strings.Contains(r2.out.String(), want) {
		t.Errorf("second run output lacks %q:\n%s", want, r2.out.String())
	}
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGINT)
	r.wait(t, 15*time.Second)
}
