// Package ui is the tool's terminal output: one line when a step starts and
// one when it ends, a ticking status line of what is running (on a
// terminal only), colours (never with NO_COLOR or when not a terminal) and
// GitHub Actions log groups and annotations.
package ui

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
	"golang.org/x/term"
)

// Status is how a step ended.
type Status int

// The ways a step can end.
const (
	OK          Status = iota // ran and succeeded
	Failed                    // ran and failed
	Killed                    // stopped by `mage kill`
	Interrupted               // stopped by Ctrl-C, a signal or a timeout
	Skipped                   // not run: a dependency failed
	NotRun                    // not run: the build stopped after a failure
)

// String returns the word reports use for s.
func (s Status) String() string {
	return [...]string{"ok", "failed", "killed", "interrupted", "skipped", "not run"}[s]
}

// Printer writes progress for one run. It is safe for concurrent use.
type Printer struct {
	mu      sync.Mutex
	out     io.Writer
	tty     bool
	width   int
	github  bool
	running map[string]*task
	status  bool // a status line is on screen
	ticker  *time.Ticker
	stop    chan struct{}
	// heartbeat is how often a plain line says what is running when out
	// is no terminal and nothing else was printed (a CI log must not
	// look hung); lastLine is when the last line was printed.
	heartbeat time.Duration
	lastLine  time.Time

	bold, dim, green, red, yellow, cyan *color.Color
}

type task struct {
	start    time.Time
	progress string
}

// New returns a Printer writing to out. Colours and the ticking status line
// are used only when out is a terminal and NO_COLOR is unset; github turns on
// GitHub Actions workflow commands.
func New(out io.Writer, github bool) *Printer {
	p := &Printer{out: out, github: github, running: map[string]*task{}, heartbeat: time.Minute}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
		if w, _, err := term.GetSize(int(f.Fd())); err == nil {
			p.width = w
		}
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	p.SetColor(p.tty && !noColor && os.Getenv("TERM") != "dumb")
	return p
}

// SetColor turns colours on or off.
func (p *Printer) SetColor(on bool) {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	p.bold, p.dim = mk(color.Bold), mk(color.Faint)
	p.green, p.red, p.yellow, p.cyan = mk(
		color.FgGreen,
	), mk(
		color.FgRed,
		color.Bold,
	), mk(
		color.FgYellow,
	), mk(
		color.FgCyan,
	)
}

// SetHeartbeat sets how often, when out is no terminal, a line says what
// is running if nothing else was printed (a minute by default).
func (p *Printer) SetHeartbeat(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.heartbeat = d
}

// GitHub reports whether workflow commands are written.
func (p *Printer) GitHub() bool { return p.github }

// Begin says that step name starts, and why.
func (p *Printer) Begin(name, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[name] = &task{start: time.Now()}
	line := p.cyan.Sprint("▶ ") + p.bold.Sprint(name)
	if why != "" {
		line += p.dim.Sprint(" — " + why)
	}
	p.printLocked(line)
	p.startTickerLocked()
}

// Progress sets the short progress text shown beside a running step.
func (p *Printer) Progress(name, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.running[name]; ok {
		t.progress = text
	}
}

// End says how step name ended, after how long. err explains failures;
// logPath points at the step's full log. Under GitHub Actions the log is
// folded into the output after the line, and a failure becomes an error
// annotation.
func (p *Printer) End(name string, s Status, elapsed time.Duration, err error, logPath string) {
	p.endLine(name, s, elapsed, err, logPath)
	if !p.github || logPath == "" {
		return
	}
	p.Group(fmt.Sprintf("%s (%s, %s)", name, s, FormatDuration(elapsed)), logPath, 2000)
	if err != nil && s != OK {
		p.Errorf(name+" "+s.String(), "%v (log: %s)", err, logPath)
	}
}

func (p *Printer) endLine(name string, s Status, elapsed time.Duration, err error, logPath string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.running, name)
	d := FormatDuration(elapsed)
	var line string
	switch s {
	case OK:
		line = p.green.Sprint("✔ ") + name + p.dim.Sprint(" "+d)
	case Skipped, NotRun:
		line = p.yellow.Sprint("– ") + name + p.yellow.Sprint(" "+s.String())
	default:
		line = p.red.Sprint("✘ ") + name + p.red.Sprintf(" %s after %s", s, d)
	}
	if err != nil && s != OK {
		line += ": " + err.Error()
	}
	if logPath != "" && s != OK && s != Skipped && s != NotRun {
		line += p.dim.Sprint(" (log: " + logPath + ")")
	}
	p.printLocked(line)
}

// Printf writes a plain line.
func (p *Printer) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printLocked(fmt.Sprintf(format, args...))
}

// Warnf writes a warning line.
func (p *Printer) Warnf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printLocked(p.yellow.Sprint("warning: ") + fmt.Sprintf(format, args...))
	if p.github {
		p.rawLocked("::warning::" + escapeData(fmt.Sprintf(format, args...)))
	}
}

// Errorf writes an error line (and an error annotation under GitHub Actions).
func (p *Printer) Errorf(title, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printLocked(p.red.Sprint("error: ") + msg)
	if p.github {
		p.rawLocked(fmt.Sprintf("::error title=%s::%s", escapeProperty(title), escapeData(msg)))
	}
}

// Bold, Green, Red, Yellow and Dim colour a string when colours are on.
func (p *Printer) Bold(s string) string { return p.bold.Sprint(s) }

// Green colours s green when colours are on.
func (p *Printer) Green(s string) string { return p.green.Sprint(s) }

// Red colours s red when colours are on.
func (p *Printer) Red(s string) string { return p.red.Sprint(s) }

// Yellow colours s yellow when colours are on.
func (p *Printer) Yellow(s string) string { return p.yellow.Sprint(s) }

// Dim greys s out when colours are on.
func (p *Printer) Dim(s string) string { return p.dim.Sprint(s) }

// Group writes the contents of a log file as a collapsed group under GitHub
// Actions; elsewhere it does nothing (the log stays in its file).
func (p *Printer) Group(title, logPath string, maxLines int) {
	if !p.github {
		return
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if maxLines > 0 && len(lines) > maxLines {
		skipped := len(lines) - maxLines
		lines = append([]string{fmt.Sprintf("... %d earlier lines in %s", skipped, logPath)}, lines[skipped:]...)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatusLocked()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "::group::%s\n", title)
	for _, l := range lines {
		if strings.HasPrefix(l, "::") {
			l = " " + l // a log line must not become a workflow command
		}
		buf.WriteString(l + "\n")
	}
	buf.WriteString("::endgroup::\n")
	_, _ = p.out.Write(buf.Bytes())
}

// Writer returns a writer whose lines are printed prefixed with name, for
// echoing a step's output (VERBOSE=1).
func (p *Printer) Writer(name string) io.WriteCloser {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			p.Printf("%s %s", p.dim.Sprint(name+" |"), sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	return &lineWriter{pw: pw, done: done}
}

type lineWriter struct {
	pw   *io.PipeWriter
	done chan struct{}
}

func (w *lineWriter) Write(b []byte) (int, error) { return w.pw.Write(b) }

func (w *lineWriter) Close() error {
	err := w.pw.Close()
	<-w.done
	return err
}

// Close stops the status line.
func (p *Printer) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopTickerLocked()
	p.clearStatusLocked()
}

func (p *Printer) printLocked(line string) {
	p.clearStatusLocked()
	fmt.Fprintln(p.out, line)
	p.lastLine = time.Now()
	p.drawStatusLocked()
}

func (p *Printer) rawLocked(line string) {
	p.clearStatusLocked()
	fmt.Fprintln(p.out, line)
	p.lastLine = time.Now()
}

// startTickerLocked redraws the status line every second on a terminal;
// elsewhere it prints a heartbeat line when nothing was said for a while.
func (p *Printer) startTickerLocked() {
	if p.ticker != nil || !p.tty && p.heartbeat <= 0 {
		return
	}
	every := time.Second
	if !p.tty {
		every = max(p.heartbeat/4, 10*time.Millisecond)
	}
	p.ticker = time.NewTicker(every)
	p.stop = make(chan struct{})
	go func(t *time.Ticker, stop chan struct{}) {
		for {
			select {
			case <-t.C:
				p.mu.Lock()
				p.tickLocked()
				p.mu.Unlock()
			case <-stop:
				return
			}
		}
	}(p.ticker, p.stop)
}

// tickLocked redraws the status line, or prints the heartbeat.
func (p *Printer) tickLocked() {
	if p.tty {
		p.clearStatusLocked()
		p.drawStatusLocked()
		return
	}
	if len(p.running) > 0 && time.Since(p.lastLine) >= p.heartbeat {
		p.rawLocked(p.runningLineLocked())
	}
}

func (p *Printer) stopTickerLocked() {
	if p.ticker != nil {
		p.ticker.Stop()
		close(p.stop)
		p.ticker = nil
	}
}

func (p *Printer) clearStatusLocked() {
	if p.status {
		fmt.Fprint(p.out, "\r\033[K")
		p.status = false
	}
}

// drawStatusLocked shows the running steps with their elapsed time on the
// last line of a terminal.
func (p *Printer) drawStatusLocked() {
	if !p.tty || len(p.running) == 0 {
		return
	}
	line := p.runningLineLocked()
	if w := p.width; w > 4 && len([]rune(line)) > w-1 {
		line = string([]rune(line)[:w-2]) + "…"
	}
	fmt.Fprint(p.out, p.dim.Sprint(line))
	p.status = true
}

// runningLineLocked says what runs, oldest first, with elapsed times and
// progress.
func (p *Printer) runningLineLocked() string {
	names := make([]string, 0, len(p.running))
	for n := range p.running {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return p.running[names[i]].start.Before(p.running[names[j]].start) })
	parts := make([]string, len(names))
	for i, n := range names {
		t := p.running[n]
		parts[i] = n + " " + FormatDuration(time.Since(t.start))
		if t.progress != "" {
			parts[i] += " (" + t.progress + ")"
		}
	}
	return "… " + strings.Join(parts, " · ")
}

// FormatDuration renders d the way the output shows times: 850ms, 4.2s,
// 3m07s, 1h02m.
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// escapeData escapes a workflow command's message.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
