package slurm_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/slurm"
	"github.com/vswarmu/vswarmu-mage/internal/slurm/slurmtest"
)

func TestParseScontrol(t *testing.T) {
	line := "JobId=12 JobName=vswarmu-setup-aes-go UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) " +
		"ExitCode=3:0 Comment=vswarmu:/w/setup/aes-go Command=/w/setup/aes-go/slurm job.sh StdOut=/w/out file.txt Power="
	f := slurm.ParseScontrol(line + "\n")
	want := map[string]string{
		"JobId":    "12",
		"JobState": "FAILED",
		"ExitCode": "3:0",
		"Comment":  "vswarmu:/w/setup/aes-go",
		"Command":  "/w/setup/aes-go/slurm job.sh",
		"StdOut":   "/w/out file.txt",
		"Power":    "",
		"UserId":   "root(0)",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %q, want %q", k, f[k], v)
		}
	}
}

func TestParseSqueue(t *testing.T) {
	jobs := slurm.ParseSqueue("12|vswarmu-fn|RUNNING|None|vswarmu:/w/a\n13|x|PENDING|Resources|\n\nbad line\n")
	if len(jobs) != 2 || jobs[0].State != "RUNNING" || jobs[0].Comment != "vswarmu:/w/a" ||
		jobs[1].Reason != "Resources" {
		t.Fatalf("%+v", jobs)
	}
}

func TestStatesThatEnd(t *testing.T) {
	for _, c := range []struct {
		s    slurm.State
		done bool
	}{{"PENDING", false}, {"RUNNING", false}, {"COMPLETING", false}, {"COMPLETED", true}, {"TIMEOUT", true},
		{"OUT_OF_MEMORY", true}, {"CANCELLED", true}, {"NODE_FAIL", true}, {"FAILED", true}} {
		if c.s.Done() != c.done {
			t.Errorf("%s.Done() = %v", c.s, !c.done)
		}
	}
}

func TestScriptRender(t *testing.T) {
	s := slurm.Script{
		Name:      "vswarmu-fn-aes-go",
		Comment:   "vswarmu:/w/results/aes-go",
		Output:    "/w/results/aes-go/slurm.out",
		CPUs:      1,
		MemoryMiB: 3072,
		Time:      90 * time.Second,
		Partition: "sim",
		Options:   []string{"--exclusive"},
		Argv:      []string{"/opt/gem5.opt", "--outdir=/w/r", "run_sim.py", "--function", "it's"},
	}
	got := s.Render("/w/results/aes-go/slurm.sh")
	for _, want := range []string{"#!/bin/sh\n", "#SBATCH --job-name=vswarmu-fn-aes-go\n", "#SBATCH --mem=3072M\n",
		"#SBATCH --time=2\n", "#SBATCH --partition=sim\n", "#SBATCH --exclusive\n", "sbatch /w/results/aes-go/slurm.sh\n",
		"exec /opt/gem5.opt --outdir=/w/r run_sim.py --function 'it'\\''s'\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("script lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "--account") || strings.Contains(got, "--qos") {
		t.Errorf("unset options rendered:\n%s", got)
	}
}

func FuzzParseScontrol(f *testing.F) {
	f.Add("JobId=1 JobName=a JobState=RUNNING Comment=x y=z")
	f.Add("=== a= =b")
	f.Fuzz(func(t *testing.T, s string) {
		for k := range slurm.ParseScontrol(s) {
			if k == "" || strings.ContainsAny(k, " =\t") {
				t.Fatalf("key %q from %q", k, s)
			}
		}
		for _, j := range slurm.ParseSqueue(s) {
			if j.ID == "" {
				t.Fatalf("job without id from %q", s)
			}
		}
	})
}

// On a real single-node cluster: submit, follow to the end, find by
// comment, cancel.
func TestOnACluster(t *testing.T) {
	c := slurmtest.Start(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	script := filepath.Join(dir, "fail.sh")
	s := slurm.Script{
		Name:      "vswarmu-test",
		Comment:   "vswarmu:" + dir,
		Output:    filepath.Join(dir, "out"),
		CPUs:      1,
		MemoryMiB: 100,
		Time:      time.Minute,
		Argv:      []string{"sh", "-c", "echo started; exit 3"},
	}
	if err := s.Write(script); err != nil {
		t.Fatal(err)
	}
	id, err := c.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	j := waitDone(t, c.Cluster, id)
	if j.State != slurm.Failed || j.ExitCode != "3:0" || j.Comment != "vswarmu:"+dir {
		t.Fatalf("job: %+v", j)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out")); string(b) != "started\n" {
		t.Fatalf("output %q", b)
	}

	s.Argv = []string{"sleep", "300"}
	s.Write(script)
	id, err = c.Submit(ctx, script)
	if err != nil {
		t.Fatal(err)
	}
	queue, err := c.Queue(ctx)
	if err != nil || len(queue) != 1 || queue[0].ID != id || queue[0].Comment != "vswarmu:"+dir {
		t.Fatalf("queue: %+v, %v", queue, err)
	}
	if err := c.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	if j := waitDone(t, c.Cluster, id); j.State != slurm.Cancelled {
		t.Fatalf("cancelled job: %+v", j)
	}
	if _, err := c.Job(ctx, "99999"); err == nil {
		t.Fatal("a job that never was is known")
	}
}

func waitDone(t *testing.T, c slurm.Cluster, id string) slurm.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := c.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State.Done() {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after 30 s", id, j.State)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestRecords(t *testing.T) {
	r := slurm.Records{Dir: filepath.Join(t.TempDir(), "slurm")}
	if recs, err := r.List(); err != nil || len(recs) != 0 {
		t.Fatalf("empty records: %v %v", recs, err)
	}
	now := time.Now()
	for i, id := range []string{"7", "8", "9"} {
		outdir := "/w/results/aes-go"
		if id == "8" {
			outdir = "/w/setup/aes-go"
		}
		if err := r.Add(slurm.Record{ID: id, Outdir: outdir, Submitted: now.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if rec, ok := r.For("/w/results/aes-go"); !ok || rec.ID != "9" {
		t.Fatalf("For picks the newest of a directory's jobs: %+v %v", rec, ok)
	}
	if err := r.MarkKilled("9", "mage kill (pid 1)"); err != nil {
		t.Fatal(err)
	}
	recs, _ := r.List()
	if len(recs) != 3 || recs[0].ID != "7" || recs[2].Killed != "mage kill (pid 1)" {
		t.Fatalf("list: %+v", recs)
	}
	r.Remove("9")
	if _, killed := r.KilledBy("9"); killed {
		t.Fatal("Remove kept the kill mark")
	}
	if rec, _ := r.For("/w/results/aes-go"); rec.ID != "7" {
		t.Fatalf("after removing 9: %+v", rec)
	}
}
