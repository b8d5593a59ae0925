package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// Job is what a recipe gets to do its work: its log, temporary names for
// its outputs and commands that run in registered process groups.
type Job struct {
	g       *Graph
	rule    *Rule
	grace   proc.Grace
	logFile *os.File
	log     io.Writer // the log file, and the terminal with VERBOSE=1
	echo    io.WriteCloser
	tmp     map[string]string // clean output path → temporary path
	start   time.Time
}

// tmpName is where an atomic output is written before it is renamed.
func tmpName(out string) string {
	return filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".vswarmu-tmp")
}

func (g *Graph) newJob(ctx context.Context, r *Rule, logPath string, v Verdict) (*Job, error) {
	j := &Job{g: g, rule: r, grace: graceFrom(ctx), tmp: map[string]string{}, start: g.fs.Now()}
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return j, fmt.Errorf("log directory: %w", err)
	}
	f, err := os.Create(logPath)
	if err != nil {
		return j, fmt.Errorf("log: %w", err)
	}
	j.logFile, j.log = f, f
	if g.opts.Verbose {
		j.echo = g.ui.Writer(r.Target)
		j.log = io.MultiWriter(f, j.echo)
	}
	fmt.Fprintf(f, "# rule %s\n# why: %s\n# started %s by pid %d\n",
		r.Target, joinReasons(v.Reasons), time.Now().Format(time.RFC3339), os.Getpid())
	if !r.InPlace {
		if err := ensureDirs(r.Outputs...); err != nil {
			return j, fmt.Errorf("output directory: %w", err)
		}
		for _, o := range r.Outputs {
			o = filepath.Clean(o)
			t := tmpName(o)
			if err := os.RemoveAll(t); err != nil { // left by a crashed run
				return j, fmt.Errorf("remove stale %s: %w", t, err)
			}
			j.tmp[o] = t
		}
	}
	return j, nil
}

func joinReasons(rs []string) string {
	if len(rs) == 0 {
		return "asked for"
	}
	out := rs[0]
	for _, r := range rs[1:] {
		out += "; " + r
	}
	return out
}

// Rule returns the rule the job runs.
func (j *Job) Rule() *Rule { return j.rule }

// Log returns the writer for the rule's log ($WORKING_DIR/logs/<rule>.log).
func (j *Job) Log() io.Writer { return j.log }

// Logf writes a line to the rule's log.
func (j *Job) Logf(format string, args ...any) {
	fmt.Fprintf(j.log, format+"\n", args...)
}

// Progress shows a short text beside the rule in the status line.
func (j *Job) Progress(format string, args ...any) {
	j.g.ui.Progress(j.rule.Target, fmt.Sprintf(format, args...))
}

// Warnf prints a warning on the terminal and in the log.
func (j *Job) Warnf(format string, args ...any) {
	j.g.ui.Warnf("%s: %s", j.rule.Target, fmt.Sprintf(format, args...))
	j.Logf("warning: "+format, args...)
}

// Out returns the name the recipe must write the declared output to; the
// engine renames it to output when the recipe succeeds. For InPlace rules it
// returns output itself.
func (j *Job) Out(output string) string {
	o := filepath.Clean(output)
	if j.rule.InPlace {
		return o
	}
	t, ok := j.tmp[o]
	if !ok {
		panic(fmt.Sprintf("rule %s: Out(%q): not a declared output", j.rule.Target, output))
	}
	return t
}

// Command returns a command that runs in its own registered process group,
// writes to the rule's log and is stopped with the rest of the run.
func (j *Job) Command(name string, args ...string) *proc.Cmd {
	c := proc.Command(name, args...)
	c.Stdout, c.Stderr = j.log, j.log
	c.Rule, c.Registry, c.Owner, c.Grace = j.rule.Target, j.g.reg, j.g.owner, j.grace
	return c
}

// Run runs a command (see Command), logging its command line first.
func (j *Job) Run(ctx context.Context, name string, args ...string) error {
	c := j.Command(name, args...)
	return j.RunCmd(ctx, c)
}

// RunCmd runs a prepared command, logging its command line first. When
// the command fails, the error ends with the last lines it wrote to the
// log (git's, make's or apt's own reason), so one line says why.
func (j *Job) RunCmd(ctx context.Context, c *proc.Cmd) error {
	dir := ""
	if c.Dir != "" {
		dir = " (in " + c.Dir + ")"
	}
	j.Logf("$ %s%s", c.String(), dir)
	tail := &lastLines{}
	if c.Stderr == j.log {
		c.Stderr = io.MultiWriter(j.log, tail)
	}
	if c.Stdout == j.log {
		c.Stdout = io.MultiWriter(j.log, tail)
	}
	err := c.Run(ctx)
	if err != nil && tail.String() != "" {
		return &CommandError{Err: err, Said: tail.String()}
	}
	return err
}

// CommandError is a failed command with the last words it said.
type CommandError struct {
	Err  error
	Said string // its last output lines, joined with " / "
}

func (e *CommandError) Error() string { return e.Err.Error() + ": " + e.Said }

func (e *CommandError) Unwrap() error { return e.Err }

// lastLines keeps the last few non-empty lines written to it.
type lastLines struct {
	mu    sync.Mutex
	part  []byte
	lines []string
}

const keptLines = 2

func (l *lastLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		if line := string(bytes.TrimSpace(l.part[:i])); line != "" {
			l.lines = append(l.lines, line)
			if len(l.lines) > keptLines {
				l.lines = l.lines[1:]
			}
		}
		l.part = l.part[i+1:]
	}
	if len(l.part) > 1024 {
		l.part = l.part[len(l.part)-1024:]
	}
	return len(p), nil
}

func (l *lastLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := l.lines
	if rest := string(bytes.TrimSpace(l.part)); rest != "" {
		lines = append(append([]string(nil), lines...), rest)
		if len(lines) > keptLines {
			lines = lines[len(lines)-keptLines:]
		}
	}
	return strings.Join(lines, " / ")
}

// commit renames the outputs into place, checks that each exists and makes
// sure none is older than the newest input, so a successful rule is up to
// date even when its tool kept an unchanged file. An output renamed into
// place was made by this run and gets the current time (an extracted
// archive keeps the archive's dates otherwise).
func (j *Job) commit(newestInput Stamp) error {
	for _, out := range j.rule.Outputs {
		o := filepath.Clean(out)
		if t, ok := j.tmp[o]; ok {
			if _, err := os.Lstat(t); err != nil {
				if _, ferr := os.Lstat(o); ferr == nil {
					return fmt.Errorf(
						"recipe wrote output %s in place instead of to job.Out(%q) (declare the rule InPlace)",
						o,
						out,
					)
				}
				return fmt.Errorf("recipe succeeded but did not write output %s", o)
			}
			if err := os.RemoveAll(o); err != nil {
				return fmt.Errorf("replace output %s: %w", o, err)
			}
			if err := os.Rename(t, o); err != nil {
				return fmt.Errorf("move output into place: %w", err)
			}
		}
		info, err := j.g.fs.Stat(o)
		if err != nil {
			return fmt.Errorf("output %s: %w", o, err)
		}
		if !info.Exists {
			return fmt.Errorf("recipe succeeded but did not make output %s", o)
		}
		_, renamed := j.tmp[o]
		if renamed && info.Mod.Before(j.start) || newestInput.Exists && !info.Mod.After(newestInput.Mod) {
			if err := j.g.fs.Chtimes(o, j.g.fs.Now()); err != nil {
				return fmt.Errorf("update time of output %s: %w", o, err)
			}
		}
	}
	return nil
}

// discard removes the temporary outputs of a failed recipe.
func (j *Job) discard() {
	for _, t := range j.tmp {
		_ = os.RemoveAll(t)
	}
}

// close ends the log with how the recipe ended.
func (j *Job) close(outcome string) {
	if j.logFile == nil {
		return
	}
	if outcome != "" {
		fmt.Fprintf(j.logFile, "# %s at %s\n", outcome, time.Now().Format(time.RFC3339))
	}
	_ = j.logFile.Close()
	if j.echo != nil {
		_ = j.echo.Close()
	}
}
