// Package simulate is the simulate stage: per function, a setup run of gem5
// (boot on KVM cores, start the function's container, warm it up, take a
// checkpoint) and an evaluation run (restore, warm caches on atomic cores,
// measure on the detailed cores, dump statistics). Each gem5 runs as a
// registered process, watched for hangs: no output for HangTimeout kills
// it, and it is tried once more.
package simulate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/results"
	"github.com/vswarmu/vswarmu-mage/targets/graph"
)

// Spec is one function's simulation.
type Spec struct {
	Gem5          string // gem5.opt
	Config        string // run_sim.py
	Kernel        string
	Disk          string // the raw disk with the functions installed
	Function      string
	Client        string // the name the client drives Function by (its vswarmu.client label); Function when empty
	System        string // simple or skylake
	CPUs          int
	MemoryMiB     int64
	Root          string // root device on the kernel command line
	SetupCPU      string // kvm or atomic
	AtomicWarming int
	Invocations   int
	Warmup        int // client warm-up invocations before the checkpoint
	GuestDir      string
	Work          string // $WORKING_DIR
	HangTimeout   time.Duration
	Timeout       time.Duration
	Inputs        []string // files that define the run (the config, on disk)
	Deps          []*graph.Rule
	// ResolveSetupCPU turns SetupCPU=auto into kvm or atomic when the
	// setup runs (it may boot a probe).
	ResolveSetupCPU func(ctx context.Context, r qemu.Commander) string
}

// CheckpointDir is where setup leaves the checkpoint.
func (s Spec) CheckpointDir() string { return filepath.Join(s.Work, "cpt", s.Function) }

// SetupDir holds the setup run's gem5 outputs.
func (s Spec) SetupDir() string { return filepath.Join(s.Work, "setup", s.Function) }

// ResultsDir holds the evaluation run's gem5 outputs.
func (s Spec) ResultsDir() string { return filepath.Join(s.Work, "results", s.Function) }

// ScriptPath is the run script handed to the guest.
func (s Spec) ScriptPath() string { return filepath.Join(s.Work, "scripts", s.Function+".sh") }

// MeasuredCPU is the core the function runs on (core 1, pinned and
// isolated) among the switched-in detailed cores of gem5's standard-library
// switchable processor, which numbers the start cores first.
func (s Spec) MeasuredCPU() string {
	return fmt.Sprintf("board.processor.cores%d.core", s.CPUs+1)
}

// RunScript is the script the guest runs (m5 readfile): vSwarm-u's
// protocol of m5 fail codes around starting, pinning and invoking the
// function.
func (s Spec) RunScript() string {
	compose := "docker-compose -p vswarmu -f " + s.GuestDir + "/functions.yaml"
	return fmt.Sprintf(`#!/bin/sh
# vswarmu-mage run script for %[1]s (handed to the guest by m5 readfile).
M5="/sbin/m5 --addr 0xffff0000"
$M5 fail 1
cd %[2]s
%[3]s up -d %[1]s
$M5 fail 2
docker update function --cpuset-cpus 1
$M5 fail 3
$M5 fail 10
/usr/local/bin/test-client -function-name %[6]s -url localhost -port 50000 -n %[4]d -w %[5]d -m5ops -input 10 -timeout 600s
$M5 fail 11
%[3]s down
$M5 fail 6
$M5 fail -1
`, s.Function, s.GuestDir, compose, s.ClientInvocations(), s.Warmup, cmp.Or(s.Client, s.Function))
}

// ClientInvocations is the client's -n: at least the invocations the
// evaluation needs, and no fewer than 100, so the checkpoint (which holds
// the running client) serves later runs with more measured invocations;
// the evaluation stops after the ones it measures.
func (s Spec) ClientInvocations() int {
	return max(100, s.AtomicWarming+s.Invocations)
}

func (s Spec) commonArgs() []string {
	return []string{s.Config, "--kernel", s.Kernel, "--disk", s.Disk, "--function", s.Function,
		"--system", s.System, "--cpus", fmt.Sprint(s.CPUs), "--memory", fmt.Sprintf("%dMB", s.MemoryMiB),
		"--root", s.Root}
}

// SetupRule boots the function and checkpoints it after the warm-up.
func (s Spec) SetupRule() *graph.Rule {
	return &graph.Rule{
		Target:  "simulate:setup:" + s.Function,
		Doc:     "boot gem5 on KVM cores, start " + s.Function + ", warm it up, checkpoint",
		Outputs: []string{s.CheckpointDir()},
		Inputs:  s.Inputs,
		Deps:    s.Deps,
		Params: graph.Params{"script": s.RunScript(), "SYSTEM": s.System, "CPUS": fmt.Sprint(s.CPUs),
			"MEMORY": fmt.Sprint(s.MemoryMiB), "setup-cpu": s.SetupCPU, "root": s.Root, "gem5": s.Gem5},
		Recipe: func(ctx context.Context, j *graph.Job) error {
			if err := os.MkdirAll(filepath.Dir(s.ScriptPath()), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(s.ScriptPath(), []byte(s.RunScript()), 0o755); err != nil {
				return err
			}
			cpu := s.SetupCPU
			if cpu == "auto" && s.ResolveSetupCPU != nil {
				cpu = s.ResolveSetupCPU(ctx, j)
			}
			args := append(s.commonArgs(), "--mode", "setup", "--checkpoint-dir", j.Out(s.CheckpointDir()),
				"--script", s.ScriptPath(), "--setup-cpu", cpu)
			out, err := s.run(ctx, j, s.SetupDir(), args)
			if err != nil {
				s.recordSetupFailure(out, err)
				return fmt.Errorf("%s (gem5 output: %s)", err, filepath.Join(s.SetupDir(), results.LogFile))
			}
			if _, err := os.Stat(filepath.Join(j.Out(s.CheckpointDir()), "m5.cpt")); err != nil {
				return fmt.Errorf("gem5 ended without a checkpoint in %s (%s)", s.CheckpointDir(), out.last)
			}
			return nil
		},
	}
}

// EvalRule restores the checkpoint and measures the function.
func (s Spec) EvalRule(setup *graph.Rule) *graph.Rule {
	dir := s.ResultsDir()
	return &graph.Rule{
		Target:  "simulate:fn:" + s.Function,
		Doc:     "restore " + s.Function + "'s checkpoint and measure it on the detailed cores",
		Outputs: []string{filepath.Join(dir, "stats.txt"), filepath.Join(dir, results.MetaFile)},
		Inputs:  s.Inputs,
		Deps:    []*graph.Rule{setup},
		Params: graph.Params{"SYSTEM": s.System, "ATOMIC_WARMING": fmt.Sprint(s.AtomicWarming),
			"NUM_INVOCATIONS": fmt.Sprint(s.Invocations), "CPUS": fmt.Sprint(s.CPUs), "MEMORY": fmt.Sprint(s.MemoryMiB), "gem5": s.Gem5},
		InPlace: true, // gem5 writes its outputs into the results directory itself
		Recipe: func(ctx context.Context, j *graph.Job) error {
			// gem5 appends dumps to stats.txt: start from an empty directory.
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			args := append(s.commonArgs(), "--mode", "evaluation", "--checkpoint-dir", s.CheckpointDir(),
				"--atomic-warming", fmt.Sprint(s.AtomicWarming), "--num-invocations", fmt.Sprint(s.Invocations))
			start := time.Now()
			out, err := s.run(ctx, j, dir, args)
			meta := s.record(out, err, "")
			meta.ElapsedSeconds = time.Since(start).Seconds()
			if werr := writeMeta(filepath.Join(dir, results.MetaFile), meta); werr != nil && err == nil {
				err = werr
			}
			if err != nil {
				return fmt.Errorf("%s (gem5 output: %s)", err, filepath.Join(dir, results.LogFile))
			}
			if _, serr := os.Stat(filepath.Join(dir, "stats.txt")); serr != nil {
				return fmt.Errorf("gem5 ended without writing stats.txt in %s (%s)", dir, out.last)
			}
			return nil
		},
	}
}

// recordSetupFailure leaves a record in the results directory, so
// report:check says why the function has no results.
func (s Spec) recordSetupFailure(out outcome, err error) {
	if os.MkdirAll(s.ResultsDir(), 0o755) == nil {
		_ = writeMeta(filepath.Join(s.ResultsDir(), results.MetaFile), s.record(out, err, "setup run: "))
	}
}

// record is a run's vswarmu.json: ok, hung or failed, the reason prefixed
// with the stage it happened in.
func (s Spec) record(out outcome, err error, stage string) results.RunMeta {
	meta := results.RunMeta{Function: s.Function, MeasuredCPU: s.MeasuredCPU(), Invocations: s.Invocations,
		Status: "ok", Attempts: out.attempts, System: s.System, Gem5: s.Gem5}
	switch {
	case out.hung:
		meta.Status, meta.Reason = string(results.Hung), fmt.Sprintf("%sno output for %v: killed (attempt %d of 2)", stage, s.HangTimeout, out.attempts)
	case err != nil:
		meta.Status, meta.Reason = string(results.Failed), stage+err.Error()
	}
	return meta
}

func writeMeta(path string, m results.RunMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// outcome is how the gem5 runs of a rule went.
type outcome struct {
	attempts int
	hung     bool   // the last attempt was killed for making no progress
	last     string // the last line gem5 printed
}

var errHung = errors.New("gem5 made no progress")

// invocationLine counts measured and warming invocations in gem5's output.
var invocationLine = regexp.MustCompile(results.InvocationLine)

// run runs gem5 with args, its output in outdir/gem5.log, watched for
// hangs and tried a second time after one.
func (s Spec) run(ctx context.Context, j *graph.Job, outdir string, args []string) (outcome, error) {
	var out outcome
	if err := os.MkdirAll(outdir, 0o755); err != nil {
		return out, err
	}
	for out.attempts = 1; ; out.attempts++ {
		err := s.attempt(ctx, j, outdir, args, &out)
		if errors.Is(err, errHung) && out.attempts < 2 && ctx.Err() == nil {
			j.Warnf("%s: no output from gem5 for %v: killed it; trying once more", s.Function, s.HangTimeout)
			continue
		}
		out.hung = errors.Is(err, errHung)
		return out, err
	}
}

func (s Spec) attempt(ctx context.Context, j *graph.Job, outdir string, args []string, out *outcome) error {
	logPath := filepath.Join(outdir, results.LogFile)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	if out.attempts > 1 {
		fmt.Fprintf(logf, "\n==== attempt %d (the previous one made no progress for %v) ====\n", out.attempts, s.HangTimeout)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if s.Timeout > 0 {
		var c2 context.CancelFunc
		runCtx, c2 = context.WithTimeoutCause(runCtx, s.Timeout, fmt.Errorf("gem5 ran longer than SIM_TIMEOUT=%v", s.Timeout))
		defer c2()
	}
	w := &watcher{w: io.MultiWriter(logf, j.StepCounter(invocationLine, "%d invocations")), last: time.Now()}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(max(min(s.HangTimeout/10, 5*time.Second), 20*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if w.idle() > s.HangTimeout {
					cancel(errHung)
					return
				}
			}
		}
	}()
	cmd := j.Command(s.Gem5, append([]string{"--outdir=" + outdir}, args...)...)
	cmd.Kind = "gem5"
	cmd.Stdout, cmd.Stderr = w, w
	err = j.RunCmd(runCtx, cmd)
	out.last = w.lastLine()
	var se *proc.StoppedError
	if errors.As(err, &se) && errors.Is(context.Cause(runCtx), errHung) && ctx.Err() == nil {
		return errHung
	}
	if err != nil {
		return fmt.Errorf("gem5: %w; last output: %s", err, out.last)
	}
	return nil
}

// watcher passes output on and remembers when and what gem5 last printed.
type watcher struct {
	mu   sync.Mutex
	w    io.Writer
	last time.Time
	line []byte
	prev string
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.last = time.Now()
	for _, b := range p {
		if b == '\n' {
			if l := strings.TrimSpace(string(w.line)); l != "" {
				w.prev = l
			}
			w.line = w.line[:0]
		} else if len(w.line) < 512 {
			w.line = append(w.line, b)
		}
	}
	w.mu.Unlock()
	return w.w.Write(p)
}

func (w *watcher) idle() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Since(w.last)
}

func (w *watcher) lastLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l := strings.TrimSpace(string(w.line)); l != "" {
		return l
	}
	return w.prev
}
