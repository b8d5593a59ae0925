package engine

// Shared directories: outputs that live outside the working directory
// (the resources many working directories use) keep their build records
// beside them, so every working directory sees the same records; and runs
// on one shared directory take turns: each holds a shared lock on it while
// it runs, and a rule that rebuilds something there needs the lock alone,
// so no run rebuilds what another one is using.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Shared is a directory whose rules' records live with it.
type Shared struct {
	Name     string // what the user calls it ("RESOURCES")
	Dir      string // the directory the rules' outputs live under
	StateDir string // where its build log and lock are (Dir/.vswarmu)
}

// sharedState is a shared directory's build log and lock in this run.
type sharedState struct {
	Shared
	log       *buildLog
	lock      *os.File
	exclusive int  // rules of this run rebuilding under Dir now
	readOnly  bool // this run cannot write there: its records stay in the working directory
}

// buildLogs are a run's build logs: the working directory's and each
// shared directory's.
type buildLogs struct {
	main   *buildLog
	shared []*sharedState
}

// readBuildLogs reads the working directory's log and the shared ones.
func readBuildLogs(stateDir string, shared []Shared) (*buildLogs, error) {
	main, err := readBuildLog(filepath.Join(stateDir, "build.log"))
	if err != nil {
		return nil, err
	}
	ls := &buildLogs{main: main}
	for _, s := range shared {
		l, err := readBuildLog(filepath.Join(s.StateDir, "build.log"))
		if err != nil {
			return nil, err
		}
		ls.shared = append(ls.shared, &sharedState{Shared: s, log: l})
	}
	return ls, nil
}

// sharedOf is the shared directory r's outputs live under (nil: the
// working directory's rule). The working directory wins when it lies
// inside the shared one.
func (ls *buildLogs) sharedOf(r *Rule, workDir string) *sharedState {
	if len(r.Outputs) == 0 {
		return nil
	}
	out := filepath.Clean(r.Outputs[0])
	if under(out, workDir) {
		return nil
	}
	for _, s := range ls.shared {
		if under(out, s.Dir) && !s.readOnly {
			return s
		}
	}
	return nil
}

func under(path, dir string) bool {
	dir = filepath.Clean(dir)
	return dir != "." && strings.HasPrefix(path, dir+string(filepath.Separator))
}

// forRule is the log r's records go to.
func (ls *buildLogs) forRule(r *Rule, workDir string) *buildLog {
	if s := ls.sharedOf(r, workDir); s != nil {
		return s.log
	}
	return ls.main
}

// last is r's last record: in its own log, else (a shared rule built
// before records lived with the shared directory) in the working
// directory's.
func (ls *buildLogs) last(r *Rule, workDir string) (Record, bool) {
	l := ls.forRule(r, workDir)
	if rec, ok := l.last(r); ok || l == ls.main {
		return rec, ok
	}
	return ls.main.last(r)
}

// all are every log, the working directory's first.
func (ls *buildLogs) all() []*buildLog {
	out := []*buildLog{ls.main}
	for _, s := range ls.shared {
		out = append(out, s.log)
	}
	return out
}

// close closes every log and releases the shared locks.
func (ls *buildLogs) close() error {
	var errs []error
	for _, l := range ls.all() {
		errs = append(errs, l.close())
	}
	for _, s := range ls.shared {
		if s.lock != nil {
			errs = append(errs, s.lock.Close())
			s.lock = nil
		}
	}
	return errors.Join(errs...)
}

// lockShared takes a shared lock on every shared directory for the run,
// waiting for a run that rebuilds something there (LockWait) or failing
// with who it is.
func (g *Graph) lockShared(ctx context.Context) error {
	for _, s := range g.logs.shared {
		f, err := openSharedLock(s.StateDir)
		if errors.Is(err, os.ErrPermission) || errors.Is(err, syscall.EROFS) {
			// A read-only RESOURCES: nothing can be rebuilt there (the
			// plan names it when something would be).
			s.readOnly = true
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		s.lock = f
		if err := g.flock(ctx, s, syscall.LOCK_SH, "another run is rebuilding something in it"); err != nil {
			return err
		}
	}
	return nil
}

// openSharedLock opens (making it) the lock file of a shared state dir.
func openSharedLock(stateDir string) (*os.File, error) {
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(stateDir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
}

// exclusive lets r rebuild under its shared directory: the lock alone,
// while no other run uses the directory. The returned function gives it
// back (to the shared lock the run holds).
func (g *Graph) exclusive(ctx context.Context, r *Rule) (func(), error) {
	s := g.logs.sharedOf(r, g.workDir())
	if s == nil || s.lock == nil {
		return func() {}, nil
	}
	g.sharedMu.Lock()
	defer g.sharedMu.Unlock()
	if s.exclusive == 0 {
		why := fmt.Sprintf("another run uses what %s would rebuild there", r.Target)
		if err := g.flock(ctx, s, syscall.LOCK_EX, why); err != nil {
			return nil, err
		}
	}
	s.exclusive++
	return func() {
		g.sharedMu.Lock()
		defer g.sharedMu.Unlock()
		if s.exclusive--; s.exclusive == 0 {
			_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_SH)
		}
	}, nil
}

// flock takes how on s's lock, waiting with LockWait, else failing with
// why and who holds it.
func (g *Graph) flock(ctx context.Context, s *sharedState, how int, why string) error {
	err := g.waitFlock(ctx, s.lock, how, s.Name, func() error {
		msg := fmt.Sprintf("%s %s is in use by another run: %s; wait for it to finish", s.Name, s.Dir, why)
		return errors.New(hint(msg, ", or ", g.opts.Hints.LockWait))
	}, func() string {
		return fmt.Sprintf("waiting for another run on %s %s (%s)…", s.Name, s.Dir, why)
	})
	if err != nil {
		return err
	}
	if how == syscall.LOCK_EX {
		_ = s.lock.Truncate(0)
		_, _ = s.lock.WriteAt([]byte(fmt.Sprintf("pid %d rebuilds here, started %s\n", os.Getpid(), time.Now().Format(time.DateTime))), 0)
	}
	return nil
}

// workDir is the working directory (StateDir's parent).
func (g *Graph) workDir() string { return filepath.Dir(g.opts.StateDir) }
