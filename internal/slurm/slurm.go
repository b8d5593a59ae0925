// Package slurm submits batch jobs to a Slurm cluster, follows them to
// their end and cancels them, through the cluster's own commands: sbatch,
// scontrol and squeue, sacct when the cluster keeps accounting, scancel.
package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// Cluster runs Slurm's commands with Env added to this process's
// environment (SLURM_CONF for a cluster of its own).
type Cluster struct {
	Env []string
}

// State is a job's state as Slurm names it (JobState, %T).
type State string

// Completing is the state of a job that ended (or was cancelled) while the
// node still stops its processes.
const Completing State = "COMPLETING"

// The states a job ends in; every other state (PENDING, RUNNING,
// COMPLETING, CONFIGURING, SUSPENDED, REQUEUED, ...) means it is not over.
const (
	Completed   State = "COMPLETED"
	Failed      State = "FAILED"
	Timeout     State = "TIMEOUT"
	OutOfMemory State = "OUT_OF_MEMORY"
	NodeFail    State = "NODE_FAIL"
	Cancelled   State = "CANCELLED"
	Preempted   State = "PREEMPTED"
	BootFail    State = "BOOT_FAIL"
	Deadline    State = "DEADLINE"
)

// Done reports whether the job has ended.
func (s State) Done() bool {
	switch s {
	case Completed, Failed, Timeout, OutOfMemory, NodeFail, Cancelled, Preempted, BootFail, Deadline:
		return true
	}
	return false
}

// Job is what the cluster says about one job.
type Job struct {
	ID       string
	Name     string
	Comment  string
	State    State
	Reason   string // why it is pending or how it ended (None, NonZeroExitCode, TimeLimit, ...)
	ExitCode string // "3:0": the script's exit status and the signal that ended it
	StdOut   string
}

// ErrUnknownJob is returned for a job the cluster no longer knows: it ended
// longer ago than the controller keeps jobs (MinJobAge) and there is no
// accounting to ask.
var ErrUnknownJob = errors.New("the cluster no longer knows this job")

// command runs one of Slurm's commands and returns its standard output;
// a failure carries its standard error.
func (c Cluster) command(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), c.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf(
				"%s not found: install Slurm's client commands (Debian: slurm-client) or run where they are",
				name,
			)
		}
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Submit submits a batch script and returns the job's id.
func (c Cluster) Submit(ctx context.Context, script string) (string, error) {
	out, err := c.command(ctx, "sbatch", "--parsable", script)
	if err != nil {
		return "", err
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";") // "id;cluster" on federations
	if !jobID.MatchString(id) {
		return "", fmt.Errorf("sbatch %s printed %q, not a job id", script, out)
	}
	return id, nil
}

var jobID = regexp.MustCompile(`^[0-9]+(_[0-9]+)?$`)

// Job asks the controller about a job (scontrol), and accounting (sacct)
// when the controller has forgotten it.
func (c Cluster) Job(ctx context.Context, id string) (Job, error) {
	out, err := c.command(ctx, "scontrol", "show", "job", "-o", id)
	if err == nil {
		f := ParseScontrol(string(out))
		return Job{ID: f["JobId"], Name: f["JobName"], Comment: f["Comment"], State: State(f["JobState"]),
			Reason: f["Reason"], ExitCode: f["ExitCode"], StdOut: f["StdOut"]}, nil
	}
	if !strings.Contains(err.Error(), "Invalid job id") {
		return Job{}, err
	}
	out, aerr := c.command(ctx, "sacct", "-n", "-P", "-X", "-j", id, "-o", "JobID,JobName,State,ExitCode,Comment")
	if aerr != nil {
		return Job{}, fmt.Errorf("job %s: %w (and no accounting: %v)", id, ErrUnknownJob, aerr)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if j, ok := parseSacctLine(line); ok && j.ID == id {
			return j, nil
		}
	}
	return Job{}, fmt.Errorf("job %s: %w", id, ErrUnknownJob)
}

// Queue lists the jobs the controller knows that are not over (squeue).
func (c Cluster) Queue(ctx context.Context) ([]Job, error) {
	out, err := c.command(ctx, "squeue", "-h", "-o", "%i|%j|%T|%r|%k")
	if err != nil {
		return nil, err
	}
	return ParseSqueue(string(out)), nil
}

// Cancel cancels jobs (scancel).
func (c Cluster) Cancel(ctx context.Context, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := c.command(ctx, "scancel", ids...)
	return err
}

// scontrolKey finds the "Key=" that starts each field of scontrol's
// one-line output; a value runs to the next key, so it may hold blanks.
var scontrolKey = regexp.MustCompile(`(?:^|\s)([A-Za-z][A-Za-z0-9_:/]*)=`)

// ParseScontrol reads `scontrol show job -o`'s Key=Value fields (the first
// job's, when it lists several).
func ParseScontrol(text string) map[string]string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	fields := map[string]string{}
	idx := scontrolKey.FindAllStringSubmatchIndex(line, -1)
	for i, m := range idx {
		end := len(line)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		key := line[m[2]:m[3]]
		if _, seen := fields[key]; !seen {
			fields[key] = strings.TrimSpace(line[m[1]:end])
		}
	}
	return fields
}

// ParseSqueue reads squeue's "%i|%j|%T|%r|%k" lines.
func ParseSqueue(text string) []Job {
	var jobs []Job
	for _, line := range strings.Split(text, "\n") {
		f := strings.SplitN(strings.TrimSpace(line), "|", 5)
		if len(f) < 5 || !jobID.MatchString(f[0]) {
			continue
		}
		jobs = append(jobs, Job{ID: f[0], Name: f[1], State: State(f[2]), Reason: f[3], Comment: f[4]})
	}
	return jobs
}

// parseSacctLine reads one "JobID|JobName|State|ExitCode|Comment" line;
// a state such as "CANCELLED by 0" keeps its first word.
func parseSacctLine(line string) (Job, bool) {
	f := strings.SplitN(strings.TrimSpace(line), "|", 5)
	if len(f) < 5 || !jobID.MatchString(f[0]) {
		return Job{}, false
	}
	state, _, _ := strings.Cut(f[2], " ")
	return Job{ID: f[0], Name: f[1], State: State(state), ExitCode: f[3], Comment: f[4]}, true
}
