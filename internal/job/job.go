// Package job is what a stage's work runs with: commands in registered
// process groups, a log, progress lines, and where to write its outputs.
// The build engine gives each recipe one (engine.Job); Local runs a
// stage's work without the engine (tools, tests, other programs).
package job

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// Job is what a stage's step gets to do its work.
type Job interface {
	// Command returns a command that writes to the log and is stopped
	// with the rest of the run.
	Command(name string, args ...string) *proc.Cmd
	// Run runs a command (see Command), logging its command line first.
	Run(ctx context.Context, name string, args ...string) error
	// RunCmd runs a prepared command, logging its command line first.
	RunCmd(ctx context.Context, c *proc.Cmd) error
	// Log is the step's log.
	Log() io.Writer
	// Logf writes a line to the log.
	Logf(format string, args ...any)
	// Progress says on the terminal what the step is doing now.
	Progress(format string, args ...any)
	// Warnf says something the user should know, on the terminal and in
	// the log.
	Warnf(format string, args ...any)
	// Out is where the step writes an output: a temporary name the runner
	// renames into place when the step succeeds, or the output itself.
	Out(output string) string
}

// Local runs a stage's steps outside the engine: commands in their own
// process groups (not registered for `kill`), the log to a writer,
// outputs written where they belong.
type Local struct {
	W io.Writer // the log and the progress lines; nil writes to os.Stderr
}

func (l Local) w() io.Writer {
	if l.W == nil {
		return os.Stderr
	}
	return l.W
}

// Command returns a command whose output goes to the log.
func (l Local) Command(name string, args ...string) *proc.Cmd {
	c := proc.Command(name, args...)
	c.Stdout, c.Stderr = l.w(), l.w()
	return c
}

// Run runs a command, logging its command line first.
func (l Local) Run(ctx context.Context, name string, args ...string) error {
	return l.RunCmd(ctx, l.Command(name, args...))
}

// RunCmd runs a prepared command, logging its command line first.
func (l Local) RunCmd(ctx context.Context, c *proc.Cmd) error {
	l.Logf("$ %s", c.String())
	return c.Run(ctx)
}

// Log is the writer.
func (l Local) Log() io.Writer { return l.w() }

// Logf writes a line.
func (l Local) Logf(format string, args ...any) { fmt.Fprintf(l.w(), format+"\n", args...) }

// Progress writes a line.
func (l Local) Progress(format string, args ...any) { l.Logf(format, args...) }

// Warnf writes a warning line.
func (l Local) Warnf(format string, args ...any) { l.Logf("warning: "+format, args...) }

// Out is the output itself.
func (l Local) Out(output string) string { return output }

// StepCounter returns a writer that passes output on to j's log and
// reports every tenth line matching step as progress ("%d steps").
func StepCounter(j Job, step *regexp.Regexp, format string) io.Writer {
	return &stepCounter{job: j, step: step, format: format}
}

type stepCounter struct {
	mu     sync.Mutex
	job    Job
	step   *regexp.Regexp
	format string
	part   []byte
	n      int
}

func (s *stepCounter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.part = append(s.part, p...)
	for {
		i := bytes.IndexByte(s.part, '\n')
		if i < 0 {
			break
		}
		if s.step.Match(s.part[:i]) {
			s.n++
			if s.n%10 == 1 {
				s.job.Progress(s.format, s.n)
			}
		}
		s.part = s.part[i+1:]
	}
	if len(s.part) > 4096 {
		s.part = s.part[len(s.part)-4096:]
	}
	return s.job.Log().Write(p)
}
