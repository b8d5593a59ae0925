package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// These tests drive the engine through real Mage binaries built from
// testdata/procmage: real processes, real signals, real clocks.

// fixtureBinaries returns the mage command and the compiled fixture.
func fixtureBinaries(t *testing.T) (mageCLI, compiled string) {
	t.Helper()
	src, _ := filepath.Abs("testdata/procmage")
	return magetest.Compile(t, src)
}

// start runs argv in dir with the fixture environment. The mage command
// parses imports with `go list` in its own directory, so it runs in the
// fixture's directory (in this module) and is told -w where to run.
func start(t *testing.T, dir string, env []string, argv ...string) *magetest.Run {
	t.Helper()
	full := append(
		[]string{
			"FIXTURE=" + dir,
			"WORKING_DIR=" + filepath.Join(dir, "wkdir"),
			"MAGEFILE_CACHE=" + magetest.CacheDir(),
		},
		env...)
	runDir := dir
	if filepath.Base(argv[0]) == "mage" {
		runDir, _ = filepath.Abs("testdata/procmage")
	}
	return magetest.StartCmd(t, runDir, full, argv...)
}

func waitPIDs(t *testing.T, path string, r *magetest.Run) []int {
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
		case <-r.Done():
			t.Fatalf("mage exited before its recipe started:\n%s", r.Output())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no pids in %s; output:\n%s", path, r.Output())
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
		stop     func(r *magetest.Run)
		wantCode int
		wantOut  string
	}{
		{
			name: "ctrl-c to the process group",
			argv: func() []string { return []string{bin, "sleepy"} },
			stop: func(r *magetest.Run) { syscall.Kill(-r.Cmd.Process.Pid, syscall.SIGINT) },
			// 130 = 128 + SIGINT
			wantCode: 130, wantOut: "interrupted by SIGINT",
		},
		{
			name:     "SIGTERM to mage alone",
			argv:     func() []string { return []string{bin, "sleepy"} },
			stop:     func(r *magetest.Run) { syscall.Kill(r.Cmd.Process.Pid, syscall.SIGTERM) },
			wantCode: 143, wantOut: "interrupted by SIGTERM",
		},
		{
			name:     "mage -t 2s",
			argv:     func() []string { return []string{bin, "-t", "2s", "sleepy"} },
			stop:     func(r *magetest.Run) {},
			wantCode: 1,
		},
		{
			name: "SIGTERM to the mage command that compiled the magefile",
			argv: func() []string {
				src, _ := filepath.Abs("testdata/procmage")
				return []string{mageCLI, "-d", src, "-w", ".", "sleepy"}
			},
			stop:     func(r *magetest.Run) { syscall.Kill(r.Cmd.Process.Pid, syscall.SIGTERM) },
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
			res := r.Wait(t, 15*time.Second)
			if tc.wantCode != -1 && res.Code != tc.wantCode {
				t.Errorf("exit status %d, want %d; output:\n%s", res.Code, tc.wantCode, res.Output)
			}
			if tc.wantOut != "" && !strings.Contains(res.Output, tc.wantOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantOut, res.Output)
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
	syscall.Kill(r.Cmd.Process.Pid, syscall.SIGKILL)
	r.Wait(t, 5*time.Second)

	// The next run stops the orphans, reruns the unfinished rule only.
	res := start(t, dir, []string{"FIXTURE_FAST=1"}, bin, "slow").Wait(t, 30*time.Second)
	if res.Code != 0 {
		t.Fatalf("second run: exit %d\n%s", res.Code, res.Output)
	}
	out := res.Output
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
	if res := start(t, dir, []string{"FIXTURE_FAST=1"}, bin, "slow").Wait(t, 30*time.Second); res.Code != 0 ||
		!strings.Contains(res.Output, "nothing to do") {
		t.Errorf("third run: exit %d\n%s", res.Code, res.Output)
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
	k := start(t, dir, nil, bin, "vs:kill").Wait(t, 20*time.Second)
	if k.Code != 0 {
		t.Fatalf("kill: exit %d\n%s", k.Code, k.Output)
	}
	if !strings.Contains(k.Output, "stopped 1 process group") || !strings.Contains(k.Output, "rule sleepy") {
		t.Errorf("kill output:\n%s", k.Output)
	}
	assertAllDead(t, pids, 5*time.Second)
	res := r.Wait(t, 15*time.Second)
	if res.Code == 0 {
		t.Errorf("the run whose recipe was killed exited 0:\n%s", res.Output)
	}
	if !strings.Contains(res.Output, "✘ sleepy killed after") ||
		!strings.Contains(res.Output, "was killed by mage kill") {
		t.Errorf("the run does not report the rule as killed:\n%s", res.Output)
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
	res := start(t, dir, nil, bin, "sleepy").Wait(t, 20*time.Second)
	if res.Code == 0 {
		t.Fatalf("second run succeeded:\n%s", res.Output)
	}
	want := "is in use by another run (pid " + strconv.Itoa(r.Cmd.Process.Pid)
	if !strings.Contains(res.Output, want) {
		t.Errorf("second run output lacks %q:\n%s", want, res.Output)
	}
	syscall.Kill(-r.Cmd.Process.Pid, syscall.SIGINT)
	r.Wait(t, 15*time.Second)
}
