package slurm

import (
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/recdir"
)

// Record is a job this tool submitted, kept until the job's end is seen, so
// that `mage kill` can cancel it and a later run can wait for it instead of
// submitting it again.
type Record struct {
	ID        string    `json:"id"`
	Comment   string    `json:"comment"` // the job's --comment: checked before cancelling
	Outdir    string    `json:"outdir"`  // the run's output directory
	Name      string    `json:"name"`
	Owner     string    `json:"owner"` // the mage process that submitted it
	Submitted time.Time `json:"submitted"`
	Killed    string    `json:"-"` // who cancelled it with `mage kill`, if anyone
}

// Records is a directory of Record files, one per job not yet seen ending.
type Records struct{ Dir string }

func (r Records) dir() recdir.Dir[Record] {
	return recdir.Dir[Record]{Path: r.Dir, Name: "slurm job record"}
}

// Add records a submitted job.
func (r Records) Add(rec Record) error { return r.dir().Add(rec.ID, rec) }

// Remove forgets a job and its kill mark.
func (r Records) Remove(id string) { r.dir().Remove(id) }

// MarkKilled notes that who is cancelling the job, so its submitter reports
// the run as killed.
func (r Records) MarkKilled(id, who string) error { return r.dir().MarkKilled(id, who) }

// KilledBy returns who cancelled the job with `mage kill`, if anyone did.
func (r Records) KilledBy(id string) (string, bool) { return r.dir().KilledBy(id) }

// List returns the recorded jobs, oldest first.
func (r Records) List() ([]Record, error) {
	return r.dir().Values(func(rec *Record, who string) { rec.Killed = who },
		func(a, b Record) bool { return a.Submitted.Before(b.Submitted) })
}

// For returns the newest record of outdir's runs.
func (r Records) For(outdir string) (Record, bool) {
	recs, _ := r.List()
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Outdir == outdir {
			return recs[i], true
		}
	}
	return Record{}, false
}
