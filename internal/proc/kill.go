package proc

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// Stopped describes one registered process group that Kill or Reap dealt
// with.
type Stopped struct {
	Entry
	Signal  syscall.Signal // hardest signal needed; 0 when it was already gone
	WasGone bool           // the entry was stale: the process had ended
}

// String describes what happened to the process, for reports.
func (s Stopped) String() string {
	what := s.Kind
	if what == "" {
		what = "process"
	}
	desc := fmt.Sprintf("%s (pid %d", what, s.PID)
	if s.Rule != "" {
		desc += ", rule " + s.Rule
	}
	desc += ", " + Quote(s.Argv) + ")"
	if s.WasGone {
		return desc + ": already ended"
	}
	return fmt.Sprintf("%s: stopped after %s with %s", desc,
		time.Since(s.Since).Round(time.Second), signalName(s.Signal))
}

// Kill stops every registered process group that match accepts (all when
// match is nil), marking each as killed by who first so the run that
// started it reports it as killed; an entry that asked for a longer grace
// (KillGrace) gets it. Processes are identified by PID and start
// time, never by name; entries whose process has ended are removed.
func (r *Registry) Kill(who string, grace Grace, match func(Entry) bool) ([]Stopped, error) {
	entries, listErr := r.List()
	var out []Stopped
	var errs []error
	for _, e := range entries {
		if match != nil && !match(e) {
			continue
		}
		if !e.Running() {
			r.Remove(e.PID)
			out = append(out, Stopped{Entry: e, WasGone: true})
			continue
		}
		if err := r.MarkKilled(e.PID, who); err != nil {
			errs = append(errs, fmt.Errorf("mark pid %d killed: %w", e.PID, err))
		}
		sig := e.Group().Stop(grace.AtLeast(e.KillGrace))
		if e.Group().Alive() {
			errs = append(errs, fmt.Errorf("pid %d (%s) is still running after SIGKILL", e.PID, Quote(e.Argv)))
		}
		if !e.Owner.Alive() {
			r.Remove(e.PID) // nobody else will clean the entry up
		}
		out = append(out, Stopped{Entry: e, Signal: sig})
	}
	return out, errors.Join(append([]error{listErr}, errs...)...)
}

// Reap stops process groups whose owner is gone (a run that was killed with
// SIGKILL or lost its machine's power cannot stop its children) and removes
// their entries.
func (r *Registry) Reap(grace Grace) ([]Stopped, error) {
	return r.Kill("a later run (owner gone)", grace, func(e Entry) bool { return !e.Owner.Alive() })
}
