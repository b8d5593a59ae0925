package targets

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/slurm"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// slurmRecords are the working directory's submitted jobs.
func slurmRecords(c *config.Config) slurm.Records {
	return slurm.Records{Dir: filepath.Join(c.StateDir(), "slurm")}
}

// jobNote says which job is at work for a rule ("" when none).
func (p *plan) jobNote(ctx context.Context, rule string) string {
	dir, ok := p.jobDirs[rule]
	if !ok {
		return ""
	}
	return executorOf(p.cfg).Note(ctx, p.cfg, dir)
}

// slurmJobNote says which cluster job is at work in dir ("" when none).
func slurmJobNote(ctx context.Context, c *config.Config, dir string) string {
	rec, ok := slurmRecords(c).For(dir)
	if !ok {
		return ""
	}
	state := "state unknown"
	if j, err := (slurm.Cluster{}).Job(ctx, rec.ID); err == nil {
		state = string(j.State)
	}
	return fmt.Sprintf(
		"Slurm job %s %s, submitted %s by %s",
		rec.ID,
		state,
		rec.Submitted.Format(time.DateTime),
		rec.Owner,
	)
}

// killSlurmJobs cancels the working directory's jobs that the cluster
// still runs under the comment they were submitted with, and marks them so
// their submitter reports them killed.
func killSlurmJobs(ctx context.Context, c *config.Config, out *ui.Printer, who string) (int, error) {
	recs := slurmRecords(c)
	list, err := recs.List()
	if len(list) == 0 {
		return 0, err
	}
	n := 0
	for _, rec := range list {
		j, qerr := (slurm.Cluster{}).Job(ctx, rec.ID)
		switch {
		case qerr != nil || j.State.Done():
			recs.Remove(rec.ID)
			continue
		case j.Comment != rec.Comment:
			out.Printf(
				"left Slurm job %s alone: its comment is %q, not this working directory's %q",
				rec.ID,
				j.Comment,
				rec.Comment,
			)
			continue
		}
		if err := recs.MarkKilled(rec.ID, who); err != nil {
			return n, err
		}
		if err := (slurm.Cluster{}).Cancel(ctx, rec.ID); err != nil {
			return n, err
		}
		n++
		out.Printf("cancelled Slurm job %s (%s, %s, submitted by %s)", rec.ID, rec.Name, j.State, rec.Owner)
	}
	return n, err
}
