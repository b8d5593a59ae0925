package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// SignalError says the run was stopped by a signal.
type SignalError struct{ Signal syscall.Signal }

func (e *SignalError) Error() string {
	return fmt.Sprintf("interrupted by %s", strings.ToUpper(unix.SignalName(e.Signal)))
}

// ErrTimeout says the run reached the deadline of its context.
var ErrTimeout = errors.New("timeout reached")

// prepare readies the working directory for building: state directories,
// the lock, the build log and the process registry, whose orphans (left by
// a run that was killed with SIGKILL) are stopped.
func (g *Graph) prepare(ctx context.Context) error {
	for _, d := range []string{g.opts.StateDir, g.opts.LogDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("working directory: %w", err)
		}
	}
	if err := g.acquireLock(ctx); err != nil {
		return err
	}
	// What the build log and the file system said before the lock may be
	// out of date by now (LockWait: another run just finished): judge
	// from what is there once this run holds the working directory.
	bl, err := readBuildLogs(g.opts.StateDir, g.opts.Shared)
	if err != nil {
		return err
	}
	g.mu.Lock()
	g.logs, g.cache = bl, newStatCache(g.fs)
	g.mu.Unlock()
	if err := g.lockShared(ctx); err != nil {
		return err
	}
	if err := g.logs.main.openForAppend(); err != nil {
		return err
	}
	for _, sh := range g.logs.shared {
		if sh.readOnly {
			continue
		}
		if err := sh.log.openForAppend(); err != nil {
			return err
		}
	}
	reg, err := proc.OpenRegistry(filepath.Join(g.opts.StateDir, "pids"))
	if err != nil {
		return err
	}
	g.reg = reg
	stopped, err := reg.Reap(proc.DefaultGrace)
	for _, s := range stopped {
		if !s.WasGone {
			g.ui.Warnf("stopped %s, left running by an earlier run that ended without cleaning up", s)
		}
	}
	if err != nil {
		g.ui.Warnf("process registry: %v", err)
	}
	return nil
}

// acquireLock takes the working directory's lock for the life of the
// process. Another holder makes it fail at once with who holds it, or, with
// LockWait, wait.
func (g *Graph) acquireLock(ctx context.Context) error {
	path := filepath.Join(g.opts.StateDir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	err = g.waitFlock(ctx, f, syscall.LOCK_EX, path, func() error {
		msg := fmt.Sprintf(
			"working directory %s is in use by another run (%s); wait for it to finish",
			filepath.Dir(g.opts.StateDir),
			readHolder(path),
		)
		return errors.New(hint(hint(msg, ", ", g.opts.Hints.Kill), ", or ", g.opts.Hints.LockWait))
	}, func() string {
		return fmt.Sprintf("waiting for the other run on %s to finish (%s)…", filepath.Dir(g.opts.StateDir), readHolder(path))
	})
	if err != nil {
		f.Close()
		return err
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d, started %s, %s\n", os.Getpid(),
		time.Now().Format(time.DateTime), strings.Join(os.Args, " "))), 0)
	g.lock = f
	return nil
}

// waitFlock takes the flock how on f (the lock called name). When another
// process holds it, it fails with busy's error, or with LockWait says
// waiting's line once and tries again every 200 ms until ctx ends.
func (g *Graph) waitFlock(ctx context.Context, f *os.File, how int, name string, busy func() error, waiting func() string) error {
	said := false
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("lock %s: %w", name, err)
		}
		if !g.opts.LockWait {
			return busy()
		}
		if !said {
			g.ui.Printf("%s", waiting())
			said = true
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for lock %s: %w", name, context.Cause(ctx))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func readHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return "holder unknown"
	}
	return strings.TrimSpace(string(b))
}

// runContext derives the context recipes run under. It ends on SIGINT,
// SIGTERM or SIGHUP (Mage itself only handles SIGINT), and a little before
// ctx's deadline: Mage exits at the deadline without waiting, so processes
// must be stopped before it. The returned Grace fits the time left.
func (g *Graph) runContext(ctx context.Context) (context.Context, proc.Grace, func()) {
	runCtx, cancel := context.WithCancelCause(ctx)
	grace := proc.DefaultGrace
	stopDeadline := func() {}
	if dl, ok := ctx.Deadline(); ok {
		// A quarter of the time left, at least 300 ms and at most 3 s: on
		// a loaded machine stopping and reaping a group took over 300 ms
		// (mage -t 2s left a registry entry behind with a tenth).
		margin := time.Until(dl) / 4
		margin = max(300*time.Millisecond, min(margin, 3*time.Second))
		var c2 context.CancelFunc
		runCtx, c2 = context.WithDeadlineCause(runCtx, dl.Add(-margin), ErrTimeout)
		stopDeadline = c2
		grace = proc.Within(margin * 8 / 10)
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			sig, _ := s.(syscall.Signal)
			g.mu.Lock()
			g.signal = sig
			g.mu.Unlock()
			cancel(&SignalError{Signal: sig})
		case <-done:
		}
	}()
	return runCtx, grace, func() {
		signal.Stop(sigs)
		close(done)
		stopDeadline()
		cancel(nil)
	}
}
