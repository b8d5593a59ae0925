package gem5configs

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/proc"
	"github.com/vswarmu/vswarmu-mage/internal/slurm"
)

// Slurm runs each gem5 command as a Slurm batch job. The job's script
// (slurm.sh, readable and resubmittable by hand) and its output
// (slurm.out) are in the run's output directory; the output is followed
// into the run's log as it grows, so the hang watch works as for a local
// gem5. A run that stops (Ctrl-C, the hang watch) cancels its job; a run
// that finds a job of an earlier, killed run at work in its directory
// follows that job instead of submitting another.
type Slurm struct {
	Cluster   slurm.Cluster
	Partition string
	Account   string
	QOS       string
	Options   []string      // further sbatch options
	MemoryMiB int64         // --mem per job; 0: the run's own need
	Shared    []string      // path prefixes the compute nodes see
	Records   slurm.Records // the jobs submitted and not yet seen ending
	Owner     string        // who submits ("mage (pid 123)")
	Poll      time.Duration // how often the job's state is asked (0: one second)
	Slots     chan struct{} // bounds the jobs in the queue at once (nil: no bound)
}

// Files a job leaves in the run's output directory.
const (
	JobScript = "slurm.sh"
	JobOutput = "slurm.out"
)

// comment identifies the jobs of outdir's runs (no blanks: #SBATCH lines
// split on them).
func comment(outdir string) string {
	sum := sha256.Sum256([]byte(outdir))
	return "vswarmu:" + hex.EncodeToString(sum[:8])
}

// Adopts reports whether a job of an earlier run is pending or running for
// outdir, or ended successfully without that run seeing it.
func (x *Slurm) Adopts(ctx context.Context, outdir string) bool {
	_, ok := x.adoptable(ctx, outdir)
	return ok
}

// adoptable finds the job to follow for outdir: the recorded one, or one
// in the queue with outdir's comment (a run killed between sbatch and its
// record).
func (x *Slurm) adoptable(ctx context.Context, outdir string) (string, bool) {
	if rec, ok := x.Records.For(outdir); ok {
		st, err := x.Cluster.Job(ctx, rec.ID)
		if err == nil && st.Comment == rec.Comment && (!st.State.Done() || st.State == slurm.Completed) {
			return rec.ID, true
		}
		x.Records.Remove(rec.ID)
	}
	queue, err := x.Cluster.Queue(ctx)
	if err != nil {
		return "", false
	}
	for _, q := range queue {
		if q.Comment == comment(outdir) && !q.State.Done() {
			return q.ID, true
		}
	}
	return "", false
}

// Run submits r as a job (or follows the one an earlier run left) and
// waits for its end.
func (x *Slurm) Run(ctx context.Context, j job.Job, r Gem5Run) error {
	if err := x.acquire(ctx); err != nil {
		return err
	}
	defer x.release()
	id, adopted := x.adoptable(ctx, r.Outdir)
	if adopted {
		j.Logf("following Slurm job %s, submitted by an earlier run for %s", id, r.Outdir)
	} else {
		var err error
		if id, err = x.submit(ctx, j, r); err != nil {
			return err
		}
	}
	j.Progress("Slurm job %s", id)
	return x.follow(ctx, j, id, r)
}

func (x *Slurm) acquire(ctx context.Context) error {
	if x.Slots == nil {
		return nil
	}
	select {
	case x.Slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (x *Slurm) release() {
	if x.Slots != nil {
		<-x.Slots
	}
}

// submit writes the job's script next to the run's outputs, submits it and
// records the job.
func (x *Slurm) submit(ctx context.Context, j job.Job, r Gem5Run) (string, error) {
	if err := x.checkShared(r); err != nil {
		return "", err
	}
	script := filepath.Join(r.Outdir, JobScript)
	out := filepath.Join(r.Outdir, JobOutput)
	if err := os.Remove(out); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	s := slurm.Script{Name: "vswarmu-" + r.Name, Comment: comment(r.Outdir), Output: out, Dir: r.Outdir,
		CPUs: r.CPUs, MemoryMiB: cmp.Or(x.MemoryMiB, r.MemoryMiB), Time: r.Timeout,
		Partition: x.Partition, Account: x.Account, QOS: x.QOS, Options: x.Options, Argv: r.Argv}
	if err := s.Write(script); err != nil {
		return "", err
	}
	id, err := x.Cluster.Submit(ctx, script)
	if err != nil {
		return "", err
	}
	j.Logf("submitted Slurm job %s: %s", id, script)
	rec := slurm.Record{
		ID:        id,
		Comment:   s.Comment,
		Outdir:    r.Outdir,
		Name:      s.Name,
		Owner:     x.Owner,
		Submitted: time.Now(),
	}
	return id, x.Records.Add(rec)
}

// checkShared makes sure the compute nodes see every file the job reads
// and the directory it writes.
func (x *Slurm) checkShared(r Gem5Run) error {
	var unseen []string
	for _, p := range append([]string{r.Argv[0], r.Outdir}, r.Reads...) {
		if p != "" && !under(p, x.Shared) {
			unseen = append(unseen, p)
		}
	}
	if len(unseen) > 0 {
		return fmt.Errorf(
			"the compute nodes cannot see %s: SLURM_SHARED=%s lists the filesystems they share with this machine; put these files under one of them (RESOURCES, WORKING_DIR, GEM5, KERNEL, DISK) or add theirs to SLURM_SHARED",
			strings.Join(unseen, ", "),
			strings.Join(x.Shared, " "),
		)
	}
	return nil
}

// under reports whether path lies under one of the prefixes.
func under(path string, prefixes []string) bool {
	for _, p := range prefixes {
		p = filepath.Clean(p)
		if p == "/" || path == p || strings.HasPrefix(path, p+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// follow copies the job's output to r.Output and asks for its state until
// it ends; a stopped run cancels the job.
func (x *Slurm) follow(ctx context.Context, j job.Job, id string, r Gem5Run) error {
	tail := &fileTail{path: filepath.Join(r.Outdir, JobOutput), w: r.Output}
	tick := time.NewTicker(cmp.Or(x.Poll, time.Second))
	defer tick.Stop()
	var last slurm.State
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return x.cancel(j, id, tail, context.Cause(ctx))
		case <-tick.C:
		}
		tail.copy()
		st, err := x.Cluster.Job(ctx, id)
		switch {
		case err != nil && ctx.Err() == nil:
			if failures++; failures >= 10 {
				return fmt.Errorf("Slurm job %s: %w", id, err)
			}
			continue
		case err != nil:
			continue
		}
		failures = 0
		if st.State != last {
			j.Logf("Slurm job %s: %s (%s)", id, st.State, st.Reason)
			j.Progress("Slurm job %s %s", id, st.State)
			last = st.State
		}
		if st.State.Done() {
			tail.copy()
			return x.ended(id, st, tail)
		}
	}
}

// stopBudget bounds the cancel of a run stopped by the user: Mage gives a
// Ctrl-C'd target 5 seconds before it exits, so scancel must have been
// sent by then; the job's own end (COMPLETING, a loaded node's kill wait)
// is the cluster's to finish. A hung run's job is waited for up to
// hangBudget, since its retry must not find it still in the queue.
const (
	stopBudget = 3 * time.Second
	hangBudget = 2 * time.Minute
)

// cancel cancels the job of a stopped run and waits for its end (briefly,
// when the user stopped the run). A job whose scancel failed keeps its
// record, so `mage kill` or the next run finds it.
func (x *Slurm) cancel(j job.Job, id string, tail *fileTail, cause error) error {
	hung := errors.Is(cause, errHung)
	budget := stopBudget
	if hung {
		budget = hangBudget
	}
	ctx, done := context.WithTimeout(context.Background(), budget)
	defer done()
	err := x.Cluster.Cancel(ctx, id)
	for err == nil && ctx.Err() == nil {
		st, qerr := x.Cluster.Job(ctx, id)
		if qerr != nil || st.State.Done() || (!hung && st.State == slurm.Completing) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	tail.copy()
	if err != nil {
		return fmt.Errorf(
			"Slurm job %s: the run stopped (%v) but scancel failed: %w; `mage kill` cancels it (or scancel %s)",
			id,
			cause,
			err,
			id,
		)
	}
	x.Records.Remove(id)
	j.Logf("cancelled Slurm job %s: %v", id, cause)
	return fmt.Errorf("Slurm job %s cancelled: %w", id, cause)
}

// ended turns the job's end into the run's result.
func (x *Slurm) ended(id string, st slurm.Job, tail *fileTail) error {
	who, killed := x.Records.KilledBy(id)
	x.Records.Remove(id)
	switch {
	case killed:
		return &proc.KilledError{Cmd: "Slurm job " + id, By: who}
	case st.State == slurm.Completed && strings.HasPrefix(st.ExitCode, "0:"):
		return nil
	}
	return fmt.Errorf(
		"Slurm job %s ended %s (%s, exit code %s; its output: %s)",
		id,
		st.State,
		st.Reason,
		st.ExitCode,
		tail.path,
	)
}

// fileTail copies what is appended to a file to a writer.
type fileTail struct {
	path   string
	w      io.Writer
	offset int64
}

func (t *fileTail) copy() {
	f, err := os.Open(t.path)
	if err != nil {
		return
	}
	defer f.Close()
	if _, err := f.Seek(t.offset, io.SeekStart); err != nil {
		return
	}
	n, _ := io.Copy(t.w, f)
	t.offset += n
}
