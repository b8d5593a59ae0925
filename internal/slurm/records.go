package slurm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
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

func (r Records) path(id, ext string) string { return filepath.Join(r.Dir, id+ext) }

// Add records a submitted job.
func (r Records) Add(rec Record) error {
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return fmt.Errorf("slurm job records: %w", err)
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := r.path(rec.ID, ".json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("slurm job records: %w", err)
	}
	return os.Rename(tmp, r.path(rec.ID, ".json"))
}

// Remove forgets a job and its kill mark.
func (r Records) Remove(id string) {
	_ = os.Remove(r.path(id, ".json"))
	_ = os.Remove(r.path(id, ".killed"))
}

// MarkKilled notes that who is cancelling the job, so its submitter reports
// the run as killed.
func (r Records) MarkKilled(id, who string) error {
	return os.WriteFile(r.path(id, ".killed"), []byte(who+"\n"), 0o644)
}

// KilledBy returns who cancelled the job with `mage kill`, if anyone did.
func (r Records) KilledBy(id string) (string, bool) {
	b, err := os.ReadFile(r.path(id, ".killed"))
	return strings.TrimSpace(string(b)), err == nil
}

// List returns the recorded jobs, oldest first.
func (r Records) List() ([]Record, error) {
	ents, err := os.ReadDir(r.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("slurm job records: %w", err)
	}
	var out []Record
	var errs []error
	for _, de := range ents {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		var rec Record
		b, err := os.ReadFile(filepath.Join(r.Dir, de.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			err = json.Unmarshal(b, &rec)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("slurm job record %s: %w", filepath.Join(r.Dir, de.Name()), err))
			continue
		}
		rec.Killed, _ = r.KilledBy(rec.ID)
		out = append(out, rec)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Submitted.Before(out[j].Submitted) })
	return out, errors.Join(errs...)
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
