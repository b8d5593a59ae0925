package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// Cmd is an external command run in a process group of its own, recorded in
// a Registry while it runs, and stopped as a whole group (SIGINT, SIGTERM,
// SIGKILL) when its context ends. Fields left zero behave as in os/exec.
type Cmd struct {
	Path   string
	Args   []string // Args[0] is the command name, as in os/exec
	Dir    string
	Env    []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	Rule  string // the rule the command runs for, for the registry
	Kind  string // "gem5", "qemu", ... for `mage kill` reports
	Grace Grace  // escalation timing when the context ends
	// KillGrace is the longer escalation `mage kill` gives the group (it
	// has no Ctrl-C deadline): a build tool that writes its state when
	// interrupted (scons's signature database) needs minutes.
	KillGrace Grace
	Registry  *Registry // where the command is recorded; nil records nothing
	Owner     Ident     // the process that owns the command

	// Leftover is how the group's remaining members are stopped once the
	// command itself has exited (daemons it left behind).
	Leftover Grace
	// Foreground gives the command's group the terminal on standard input
	// (an interactive console) and takes it back when the command ends.
	Foreground bool

	running // the started command's state
}

// running is a started command's state.
type running struct {
	cmd     *exec.Cmd
	ctx     context.Context
	exited  chan struct{}
	stopped chan syscall.Signal
	copies  sync.WaitGroup
	closers []io.Closer
	started time.Time
}

// Command returns a Cmd for name and args, resolving name on PATH when Start
// runs, like exec.Command.
func Command(name string, args ...string) *Cmd {
	return &Cmd{Path: name, Args: append([]string{name}, args...), Grace: DefaultGrace,
		Leftover: Grace{Interrupt: 200 * time.Millisecond, Terminate: time.Second}}
}

// String returns the command line, quoted where needed.
func (c *Cmd) String() string { return Quote(c.Args) }

// Quote renders argv as a shell-like command line.
func Quote(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]{}!#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}

// PID returns the process id of the started command (0 before Start).
func (c *Cmd) PID() int {
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

// Start starts the command in a new process group and registers it. When
// ctx ends before the command does, the whole group is stopped.
func (c *Cmd) Start(ctx context.Context) error {
	if c.cmd != nil {
		return errors.New("proc: Cmd already started")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: not started: %w", c.name(), err)
	}
	cmd := exec.Command(c.Path, c.Args[1:]...)
	cmd.Args = c.Args
	if cmd.Err != nil {
		return fmt.Errorf("%s: %w", c.name(), cmd.Err)
	}
	cmd.Dir, cmd.Env, cmd.Stdin = c.Dir, c.Env, c.Stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if c.Foreground && term.IsTerminal(int(os.Stdin.Fd())) {
		cmd.SysProcAttr.Foreground = true
		cmd.SysProcAttr.Ctty = int(os.Stdin.Fd())
	}
	if err := c.wireOutput(cmd); err != nil {
		return err
	}
	c.cmd, c.ctx = cmd, ctx
	c.started = time.Now()
	if err := cmd.Start(); err != nil {
		c.closeOutputs()
		c.copies.Wait()
		return fmt.Errorf("start %s: %w", c.name(), err)
	}
	c.closeWriteEnds(cmd)
	pid := cmd.Process.Pid
	if c.Registry != nil {
		id := Ident{PID: pid, Boot: BootID()}
		st, err := ReadStat(pid)
		if err == nil {
			id.Start = st.Start
		}
		e := Entry{Ident: id, SID: st.SID, Argv: c.Args, Rule: c.Rule, Kind: c.Kind,
			Owner: c.Owner, Since: c.started, KillGrace: c.KillGrace}
		if err := c.Registry.Add(e); err != nil {
			// Still ours to stop through ctx; only `mage kill` cannot see it.
			fmt.Fprintf(os.Stderr, "warning: %s: cannot record pid %d: %v\n", c.name(), pid, err)
		}
	}
	c.exited = make(chan struct{})
	c.stopped = make(chan syscall.Signal, 1)
	go func() {
		select {
		case <-ctx.Done():
			c.stopped <- Group{PGID: pid}.Stop(c.Grace)
		case <-c.exited:
			c.stopped <- 0
		}
	}()
	return nil
}

// wireOutput gives the child plain files for stdout and stderr: when the
// caller's writer is not a file, a pipe is copied in a goroutine that this
// package controls, so a grandchild holding the pipe cannot block Wait.
func (c *Cmd) wireOutput(cmd *exec.Cmd) error {
	var shared *os.File
	for i, w := range []io.Writer{c.Stdout, c.Stderr} {
		if w == nil {
			continue
		}
		var f *os.File
		if file, ok := w.(*os.File); ok {
			f = file
		} else if i == 1 && shared != nil && sameWriter(c.Stderr, c.Stdout) {
			f = shared
		} else {
			r, wr, err := os.Pipe()
			if err != nil {
				c.closeOutputs()
				return fmt.Errorf("%s: output pipe: %w", c.name(), err)
			}
			c.closers = append(c.closers, r, wr)
			c.copies.Add(1)
			go func(dst io.Writer) {
				defer c.copies.Done()
				_, _ = io.Copy(dst, r)
			}(w)
			f = wr
			shared = wr
		}
		if i == 0 {
			cmd.Stdout = f
		} else {
			cmd.Stderr = f
		}
	}
	return nil
}

// closeWriteEnds closes this process's copies of the pipes' write ends once
// the child holds them, so the readers see EOF when the child is gone.
func (c *Cmd) closeWriteEnds(cmd *exec.Cmd) {
	for i := 1; i < len(c.closers); i += 2 {
		_ = c.closers[i].Close()
	}
}

// sameWriter reports whether a and b are the same writer; writers whose
// dynamic type cannot be compared are treated as different.
func sameWriter(a, b io.Writer) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

func (c *Cmd) closeOutputs() {
	for _, cl := range c.closers {
		_ = cl.Close()
	}
}

func (c *Cmd) name() string {
	if len(c.Args) > 0 {
		return c.Args[0]
	}
	return c.Path
}

// Wait waits for the command to exit, stops whatever it left running in its
// group, unregisters it and returns why it ended:
// nil, *KilledError (`mage kill`), *StoppedError (context ended) or
// *ExitError.
func (c *Cmd) Wait() error {
	if c.cmd == nil {
		return errors.New("proc: Cmd not started")
	}
	waitErr := c.cmd.Wait()
	if c.cmd.SysProcAttr.Foreground {
		reclaimTerminal()
	}
	close(c.exited)
	sig := <-c.stopped
	pid := c.cmd.Process.Pid
	// Members left behind (background jobs, daemons) go with the command.
	if left := (Group{PGID: pid}); left.Alive() {
		if s := left.Stop(c.Leftover); sig == 0 {
			sig = s
		}
	}
	c.drainOutputs()
	var killedBy string
	var killed bool
	if c.Registry != nil {
		killedBy, killed = c.Registry.KilledBy(pid)
		c.Registry.Remove(pid)
	}
	switch {
	case killed:
		return &KilledError{Cmd: c.Short(), PID: pid, By: killedBy}
	case c.ctx.Err() != nil && sig != 0:
		return &StoppedError{Cmd: c.Short(), PID: pid, Signal: sig, Cause: context.Cause(c.ctx)}
	case waitErr != nil:
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			return &ExitError{Cmd: c.Short(), PID: pid, State: ee.ProcessState}
		}
		return fmt.Errorf("%s: %w", c.name(), waitErr)
	}
	return nil
}

// Short names the command in errors: the program and its first argument
// (the full command line is in the log, written before it ran).
func (c *Cmd) Short() string {
	args := c.Args
	if len(args) == 0 {
		return c.Path
	}
	s := filepath.Base(args[0])
	if len(args) > 1 && len(args[1]) <= 40 {
		s += " " + args[1]
	}
	if len(args) > 2 {
		s += " …"
	}
	return s
}

// drainOutputs waits for the output copies to reach EOF; a process that
// escaped the group and still holds a pipe gets two seconds.
func (c *Cmd) drainOutputs() {
	done := make(chan struct{})
	go func() { c.copies.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	c.closeOutputs()
	<-done
}

// Run starts the command and waits for it.
func (c *Cmd) Run(ctx context.Context) error {
	if err := c.Start(ctx); err != nil {
		return err
	}
	return c.Wait()
}

// Output runs the command and returns its standard output.
func (c *Cmd) Output(ctx context.Context) ([]byte, error) {
	var b strings.Builder
	c.Stdout = &b
	err := c.Run(ctx)
	return []byte(b.String()), err
}

// reclaimTerminal makes this process's group the terminal's foreground
// group again after a foreground command ended.
func reclaimTerminal() {
	signal.Ignore(syscall.SIGTTOU) // a background group may not set it otherwise
	defer signal.Reset(syscall.SIGTTOU)
	_ = unix.IoctlSetPointerInt(int(os.Stdin.Fd()), unix.TIOCSPGRP, syscall.Getpgrp())
}

// ExitError reports a command that exited unsuccessfully by itself.
type ExitError struct {
	Cmd   string
	PID   int
	State *os.ProcessState
}

func (e *ExitError) Error() string {
	if ws, ok := e.State.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("%s: killed by signal %s", e.Cmd, ws.Signal())
	}
	return fmt.Sprintf("%s: exit status %d", e.Cmd, e.State.ExitCode())
}

// ExitCode returns the command's exit status (-1 when killed by a signal).
func (e *ExitError) ExitCode() int { return e.State.ExitCode() }

// KilledError reports a command (or a cluster job: PID 0) stopped by
// `mage kill`.
type KilledError struct {
	Cmd string
	PID int
	By  string
}

func (e *KilledError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("%s was killed by %s", e.Cmd, e.By)
	}
	return fmt.Sprintf("%s (pid %d) was killed by %s", e.Cmd, e.PID, e.By)
}

// StoppedError reports a command stopped because its context ended
// (Ctrl-C, SIGTERM, a timeout, a failed sibling).
type StoppedError struct {
	Cmd    string
	PID    int
	Signal syscall.Signal // the hardest signal that was needed
	Cause  error
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("%s (pid %d) stopped with %s: %v", e.Cmd, e.PID, signalName(e.Signal), e.Cause)
}

func (e *StoppedError) Unwrap() error { return e.Cause }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGKILL:
		return "SIGKILL"
	}
	return s.String()
}
