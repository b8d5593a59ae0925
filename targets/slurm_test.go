package targets_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/internal/slurm"
	"github.com/vswarmu/vswarmu-mage/internal/slurm/slurmtest"
)

// slurmEnv is the stand-in configuration with gem5 runs as jobs of the
// single-node cluster c.
func slurmEnv(t *testing.T, c *slurmtest.Cluster, extra ...string) (string, []string) {
	dir, env := standinEnv(t, append([]string{"EXECUTOR=slurm", "SLURM_SHARED=/", "SLURM_MEMORY=512M",
		"FUNCTIONS=fibonacci-go aes-go auth-go"}, extra...)...)
	return dir, append(env, c.Env...)
}

// queueWatch samples squeue while a run goes on: every job it saw and the
// most it saw running at once.
type queueWatch struct {
	mu         sync.Mutex
	seen       map[string]bool
	maxRunning int
	stop       chan struct{}
	done       chan struct{}
}

func watchQueue(c *slurmtest.Cluster) *queueWatch {
	w := &queueWatch{seen: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			jobs := c.Jobs()
			running := 0
			w.mu.Lock()
			for id, st := range jobs {
				w.seen[id] = true
				if st == "RUNNING" {
					running++
				}
			}
			w.maxRunning = max(w.maxRunning, running)
			w.mu.Unlock()
			select {
			case <-w.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *queueWatch) end() (seen, maxRunning int) {
	close(w.stop)
	<-w.done
	return len(w.seen), w.maxRunning
}

// waitForJobs waits until the cluster runs n jobs.
func waitForJobs(t *testing.T, c *slurmtest.Cluster, n int, run *magetest.Run) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		running := 0
		for _, st := range c.Jobs() {
			if st == "RUNNING" {
				running++
			}
		}
		if running >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster never ran %d jobs; squeue: %v\n%s", n, c.Jobs(), run.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitForEmptyQueue waits until the cluster's queue is empty.
func waitForEmptyQueue(t *testing.T, c *slurmtest.Cluster, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for len(c.Jobs()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("jobs still in the queue %s after Ctrl-C: %v", limit, c.Jobs())
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func TestSimulationsOnSlurm(t *testing.T) {
	c := slurmtest.Start(t, 2)

	t.Run("main job, then nothing to do", func(t *testing.T) {
		dir, env := slurmEnv(t, c)
		w := watchQueue(c)
		r := magetest.Mage(t, dir, env, "simulate:all")
		seen, maxRunning := w.end()
		if r.Code != 0 {
			t.Fatalf("simulate:all on Slurm: exit %d\n%s", r.Code, r.Output)
		}
		if seen != 7 || maxRunning > c.CPUs || maxRunning == 0 {
			t.Errorf(
				"squeue showed %d jobs (want 7: the boot, a setup and an evaluation per function), at most %d running (node: %d CPUs)",
				seen,
				maxRunning,
				c.CPUs,
			)
		}
		script, err := os.ReadFile(filepath.Join(dir, "wk", "results", "aes-go", "slurm.sh"))
		if err != nil || !strings.Contains(string(script), "#SBATCH --time=360\n") ||
			!strings.Contains(string(script), "#SBATCH --mem=512M\n") {
			t.Errorf("aes-go's job script (%v):\n%s", err, script)
		}
		boot, err := os.ReadFile(filepath.Join(dir, "wk", "boot", "run", "slurm.sh"))
		if err != nil || !strings.Contains(string(boot), "#SBATCH --job-name=vswarmu-boot\n") {
			t.Errorf("the boot's job script (%v):\n%s", err, boot)
		}
		if r := magetest.Mage(t, dir, env, "report:check"); r.Code != 0 ||
			!strings.Contains(r.Output, "all 3 simulations succeeded") {
			t.Fatalf("report:check: exit %d\n%s", r.Code, r.Output)
		}
		w = watchQueue(c)
		r = magetest.Mage(t, dir, env, "simulate:all")
		if seen, _ := w.end(); r.Code != 0 || !strings.Contains(r.Output, "nothing to do") || seen != 0 {
			t.Fatalf("second simulate:all: exit %d, %d jobs submitted\n%s", r.Code, seen, r.Output)
		}
	})

	t.Run("a hung run is cancelled and resubmitted once", func(t *testing.T) {
		dir, env := slurmEnv(t, c, "FUNCTIONS=aes-go", "STANDIN_BEHAVIOR=hang-once", "HANG_TIMEOUT=3s")
		w := watchQueue(c)
		r := magetest.Mage(t, dir, env, "simulate:all")
		seen, _ := w.end()
		if r.Code != 0 || !strings.Contains(r.Output, "trying once more") || seen != 5 {
			t.Fatalf(
				"hang-once on Slurm: exit %d, %d jobs (want 5: the boot, the setup and the evaluation twice each)\n%s",
				r.Code,
				seen,
				r.Output,
			)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "wk", "logs", "simulate-fn-aes-go.log"))
		if !regexp.MustCompile(`cancelled Slurm job \d+: gem5 made no progress`).Match(log) {
			t.Errorf("the hung job's cancellation is not in the log:\n%s", log)
		}
	})

	t.Run("mage kill cancels the running jobs", func(t *testing.T) {
		dir, env := slurmEnv(t, c, "STANDIN_BEHAVIOR=slow:30")
		run := magetest.Start(t, dir, env, "simulate:all")
		waitForJobs(t, c, 2, run)
		st := magetest.Mage(t, dir, env, "status")
		if !regexp.MustCompile(`stale simulate:setup:\S+ — .*\[Slurm job \d+ RUNNING, submitted `).
			MatchString(st.Output) {
			t.Errorf("mage status does not show the running jobs:\n%s", st.Output)
		}
		why := magetest.Mage(t, dir, env, "why", "simulate:setup:aes-go")
		if !strings.Contains(why.Output, "cluster job  Slurm job ") {
			t.Errorf("mage why does not show the job:\n%s", why.Output)
		}
		k := magetest.Mage(t, dir, env, "kill")
		if k.Code != 0 || strings.Count(k.Output, "cancelled Slurm job") != 3 { // two running, one pending
			t.Fatalf("mage kill: exit %d\n%s", k.Code, k.Output)
		}
		r := run.Wait(t, 2*time.Minute)
		if r.Code == 0 || !strings.Contains(r.Output, "killed by mage kill") {
			t.Fatalf("the killed run: exit %d\n%s", r.Code, r.Output)
		}
		if jobs := c.Jobs(); len(jobs) != 0 {
			t.Fatalf("jobs left after mage kill: %v", jobs)
		}
	})

	t.Run("Ctrl-C cancels what was submitted", func(t *testing.T) {
		dir, env := slurmEnv(t, c, "STANDIN_BEHAVIOR=slow:30")
		run := magetest.Start(t, dir, env, "simulate:all")
		waitForJobs(t, c, 2, run)
		syscall.Kill(-run.Cmd.Process.Pid, syscall.SIGINT)
		r := run.Wait(t, 2*time.Minute)
		if r.Code == 0 {
			t.Fatalf("interrupted run: exit 0\n%s", r.Output)
		}
		// Every job was cancelled before mage exited; on a loaded machine
		// the node may still be stopping some (COMPLETING) for a while.
		for id, st := range c.Jobs() {
			if st != string(slurm.Completing) {
				t.Errorf("job %s is %s after Ctrl-C: not cancelled\n%s", id, st, r.Output)
			}
		}
		waitForEmptyQueue(t, c, 3*time.Minute)
	})

	t.Run("a SIGKILLed mage's jobs are followed, not submitted again", func(t *testing.T) {
		dir, env := slurmEnv(t, c, "FUNCTIONS=fibonacci-go aes-go", "STANDIN_BEHAVIOR=slow:1")
		run := magetest.Start(t, dir, env, "simulate:all")
		waitForJobs(t, c, 2, run)
		before := c.Jobs()
		syscall.Kill(-run.Cmd.Process.Pid, syscall.SIGKILL)
		run.Wait(t, time.Minute)
		w := watchQueue(c)
		r := magetest.Mage(t, dir, env, "simulate:all")
		seen, _ := w.end()
		if r.Code != 0 {
			t.Fatalf("the run after SIGKILL: exit %d\n%s", r.Code, r.Output)
		}
		for _, fn := range []string{"fibonacci-go", "aes-go"} {
			log, _ := os.ReadFile(filepath.Join(dir, "wk", "logs", "simulate-setup-"+fn+".log"))
			if !strings.Contains(string(log), "following Slurm job") {
				t.Errorf("%s's setup did not follow the earlier job:\n%s\n%s", fn, log, r.Output)
			}
		}
		if seen != len(before)+2 {
			t.Errorf(
				"after SIGKILL: %d jobs in the queue over the second run, want the %d adopted plus 2 evaluations",
				seen,
				len(before),
			)
		}
	})

	t.Run("a job over its time limit is reported as TIMEOUT", func(t *testing.T) {
		dir, env := slurmEnv(
			t,
			c,
			"FUNCTIONS=aes-go",
			"STANDIN_BEHAVIOR=slow:300",
			"SIM_TIMEOUT=1m",
			"HANG_TIMEOUT=10m",
		)
		r := magetest.Mage(t, dir, env, "simulate:all")
		if r.Code == 0 || !strings.Contains(r.Output, "ended TIMEOUT") {
			t.Fatalf("over the time limit: exit %d\n%s", r.Code, r.Output)
		}
	})

	t.Run("files the nodes cannot see are named before submitting", func(t *testing.T) {
		dir, env := slurmEnv(t, c, "SLURM_SHARED=/nonexistent-share")
		w := watchQueue(c)
		r := magetest.Mage(t, dir, env, "simulate:all")
		if seen, _ := w.end(); r.Code == 0 || seen != 0 ||
			!strings.Contains(r.Output, "the compute nodes cannot see") ||
			!strings.Contains(r.Output, "SLURM_SHARED=/nonexistent-share") {
			t.Fatalf("unshared files: exit %d, %d jobs\n%s", r.Code, seen, r.Output)
		}
	})
}
