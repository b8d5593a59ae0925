package gem5configs

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// Executor runs gem5 commands: on this machine (Local, the default) or as
// jobs of a cluster scheduler (Slurm).
type Executor interface {
	// Adopts reports whether a run of an earlier invocation is still at work
	// in outdir (or finished there unseen): Run then follows it instead of
	// starting gem5 again, and outdir is not emptied.
	Adopts(ctx context.Context, outdir string) bool
	// Run runs one attempt of r to its end.
	Run(ctx context.Context, j job.Job, r Gem5Run) error
}

// Gem5Run is one gem5 command of a simulation.
type Gem5Run struct {
	Name      string        // what it is, for job names ("setup-fibonacci-go")
	Argv      []string      // gem5.opt and its arguments
	Outdir    string        // gem5's --outdir; a job's script and output go there too
	Output    io.Writer     // receives gem5's output as it comes (the log and the hang watch)
	Reads     []string      // files gem5 reads: gem5.opt, the config, kernel, disk, checkpoint
	CPUs      int           // host CPUs the run needs (gem5 is single-threaded: 1)
	MemoryMiB int64         // host memory the run needs
	Timeout   time.Duration // SIM_TIMEOUT: the run is stopped after it
}

// Local runs gem5 as a process of this machine, registered (mage kill)
// and stopped with the run.
type Local struct{}

// Adopts is false: a local gem5 does not outlive the run that started it.
func (Local) Adopts(context.Context, string) bool { return false }

// Run runs gem5 and stops it after r.Timeout.
func (Local) Run(ctx context.Context, j job.Job, r Gem5Run) error {
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(
			ctx,
			r.Timeout,
			fmt.Errorf("gem5 ran longer than SIM_TIMEOUT=%v", r.Timeout),
		)
		defer cancel()
	}
	cmd := j.Command(r.Argv[0], r.Argv[1:]...)
	cmd.Kind = "gem5"
	cmd.Stdout, cmd.Stderr = r.Output, r.Output
	return j.RunCmd(ctx, cmd)
}
