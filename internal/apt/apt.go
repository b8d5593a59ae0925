// Package apt installs Debian/Ubuntu packages idempotently: it asks dpkg
// what is missing and installs only that, as root or through sudo.
package apt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// Missing returns the packages of pkgs that dpkg does not list as
// installed.
func Missing(ctx context.Context, pkgs []string) ([]string, error) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		return nil, fmt.Errorf("dpkg-query not found: installing packages needs a Debian or Ubuntu host")
	}
	args := append([]string{"-W", "-f=${Package} ${db:Status-Status}\n"}, pkgs...)
	// dpkg-query exits 1 when some package is unknown; its output still
	// lists the known ones.
	out, _ := proc.Command("dpkg-query", args...).Output(ctx)
	installed := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[1] == "installed" {
			installed[strings.SplitN(f[0], ":", 2)[0]] = true
		}
	}
	var missing []string
	for _, p := range pkgs {
		if !installed[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	return missing, nil
}

// Unavailable returns the packages of pkgs that apt has no installation
// candidate for (a package of another distribution, or lists not yet
// updated: callers update first when they install).
func Unavailable(ctx context.Context, pkgs []string) []string {
	if len(pkgs) == 0 {
		return nil
	}
	out, _ := proc.Command("apt-cache", append([]string{"policy"}, pkgs...)...).Output(ctx)
	candidate := map[string]bool{}
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, " ") && strings.HasSuffix(line, ":") {
			cur = strings.TrimSuffix(line, ":")
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Candidate:"); ok && strings.TrimSpace(v) != "(none)" {
			candidate[cur] = true
		}
	}
	return slices.DeleteFunc(slices.Clone(pkgs), func(p string) bool { return candidate[p] })
}

// Options say how Install and Update deal with apt.
type Options struct {
	// LockTimeout is how long to wait for another apt or dpkg (an
	// unattended upgrade) to release its lock; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// Say tells the user what is being waited for (nil: nobody is told).
	Say func(format string, args ...any)
	// StateDir, when set, is a directory apt keeps all its state in
	// instead of the system's: dpkg's status and locks, package lists,
	// sources and cache (tests run the real apt-get there).
	StateDir string
}

// DefaultLockTimeout is how long apt's lock is waited for by default.
const DefaultLockTimeout = 10 * time.Minute

func (o Options) lockTimeout() time.Duration {
	if o.LockTimeout > 0 {
		return o.LockTimeout
	}
	return DefaultLockTimeout
}

// aptArgs are the options every apt-get run gets: wait for the lock up to
// the timeout, and the state directory when a test moved it.
func (o Options) aptArgs() []string {
	args := []string{"-o", fmt.Sprintf("DPkg::Lock::Timeout=%d", int(o.lockTimeout().Seconds()))}
	if d := o.StateDir; d != "" {
		for _, kv := range [][2]string{{"Dir::State::status", "status"}, {"Dir::State::Lists", "lists"},
			{"Dir::Etc::sourcelist", "sources.list"}, {"Dir::Etc::sourceparts", "sources.list.d"}, {"Dir::Cache", "cache"}} {
			args = append(args, "-o", kv[0]+"="+filepath.Join(d, kv[1]))
		}
	}
	return args
}

// Install installs whatever of pkgs is missing, writing apt's output to
// log, and returns the packages it installed. When another apt holds
// dpkg's lock it says so and waits (up to the lock timeout); when apt
// fails, the error ends with apt's own reason.
func Install(ctx context.Context, what string, pkgs []string, log io.Writer, opts Options) ([]string, error) {
	missing, err := Missing(ctx, pkgs)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	prefix, err := privilege()
	if err != nil {
		return nil, fmt.Errorf("%s needs root to install %s: %w\nrun as root: apt-get install -y %s",
			what, strings.Join(missing, " "), err, strings.Join(missing, " "))
	}
	run := func(args ...string) error {
		opts.sayHolder()
		return runPrivileged(ctx, prefix, log, args...)
	}
	install := append(
		append([]string{"apt-get"}, opts.aptArgs()...),
		append([]string{"install", "-y", "--no-install-recommends"}, missing...)...)
	err = run(install...)
	if err != nil && staleLists(err) {
		// Old package lists are the usual cause: update once and retry.
		if uerr := run(append(append([]string{"apt-get"}, opts.aptArgs()...), "update")...); uerr != nil {
			return nil, fmt.Errorf("%s: apt-get update: %w", what, uerr)
		}
		err = run(install...)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: apt-get install %s: %w", what, strings.Join(missing, " "), err)
	}
	return missing, nil
}

// sayHolder tells, before apt runs, that another process holds dpkg's
// lock and how long it will be waited for.
func (o Options) sayHolder() {
	if o.Say == nil {
		return
	}
	if pid, ok := lockHolder(o.lockPath()); ok {
		o.Say("waiting for apt's lock %s, held by process %d (%s), up to %s (APT_LOCK_TIMEOUT)",
			o.lockPath(), pid, procName(pid), o.lockTimeout())
	}
}

// lockPath is dpkg's frontend lock, which every apt install takes first.
func (o Options) lockPath() string {
	if o.StateDir != "" {
		return filepath.Join(o.StateDir, "lock-frontend")
	}
	return "/var/lib/dpkg/lock-frontend"
}

// lockHolder asks the kernel which process holds an fcntl write lock on
// path (as dpkg and apt take it).
func lockHolder(path string) (int, bool) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil || lk.Type == syscall.F_UNLCK {
		return 0, false
	}
	return int(lk.Pid), true
}

// procName is a process's command name, or "?".
func procName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// staleLists reports whether apt failed for want of current package lists
// (not for a lock, a full disk or a broken package).
func staleLists(err error) bool {
	var ae *AptError
	if !errors.As(err, &ae) {
		return false
	}
	for _, s := range []string{"Unable to locate package", "has no installation candidate", "Failed to fetch", "404"} {
		if strings.Contains(ae.Reason, s) {
			return true
		}
	}
	return false
}

// AptError is a failed apt command with apt's own reason: its E: lines.
type AptError struct {
	Err    error
	Reason string
}

func (e *AptError) Error() string {
	if e.Reason == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Reason
}

func (e *AptError) Unwrap() error { return e.Err }

// reason picks apt's error lines ("E: ...") out of its output, falling
// back to its last line.
func reason(out string) string {
	var errs []string
	last := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		// apt's progress text ("Waiting for cache lock: ...") ends without
		// a newline, so an error may follow it on the same line.
		if m := aptErrorLine.FindStringSubmatch(line); m != nil {
			errs = append(errs, m[1])
		}
		if line != "" {
			last = line
		}
	}
	if len(errs) > 0 {
		return strings.Join(errs, "; ")
	}
	return last
}

// aptErrorLine is apt's "E: <reason>", at a line's start or after
// progress text.
var aptErrorLine = regexp.MustCompile(`(?:^|[^A-Za-z0-9])E: (.+)$`)

// runPrivileged runs an apt command with the prefix that gives root; a
// failure is an *AptError with apt's reason.
func runPrivileged(ctx context.Context, prefix []string, log io.Writer, args ...string) error {
	argv := append(append([]string(nil), prefix...), args...)
	c := proc.Command(argv[0], argv[1:]...)
	c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var tail tailBuffer
	c.Stdout, c.Stderr = io.MultiWriter(log, &tail), io.MultiWriter(log, &tail)
	fmt.Fprintf(log, "$ %s\n", proc.Quote(argv))
	if err := c.Run(ctx); err != nil {
		return &AptError{Err: err, Reason: reason(tail.String())}
	}
	return nil
}

// tailBuffer keeps the last 64 KiB written to it.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if over := len(t.b) - 64<<10; over > 0 {
		t.b = t.b[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }

// Update refreshes apt's package lists.
func Update(ctx context.Context, log io.Writer, opts Options) error {
	prefix, err := privilege()
	if err != nil {
		return fmt.Errorf("apt-get update needs root: %w", err)
	}
	opts.sayHolder()
	if err := runPrivileged(ctx, prefix, log, append(append([]string{"apt-get"}, opts.aptArgs()...), "update")...); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	return nil
}

// Available reports whether packages can be installed here without
// asking: apt-get is present and this process is root or has
// password-less sudo.
func Available() bool {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return false
	}
	_, err := privilege()
	return err == nil
}

// Need checks that the tools a step runs are on PATH; the error is a
// *MissingToolsError naming the missing ones.
func Need(tools ...string) error {
	var missing []string
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return &MissingToolsError{Tools: missing}
	}
	return nil
}

// MissingToolsError names the tools a step needs that are not installed.
type MissingToolsError struct{ Tools []string }

func (e *MissingToolsError) Error() string { return strings.Join(e.Tools, ", ") + " not found" }

// privilege returns the command prefix that gives root: none when root,
// "sudo -n" when sudo works without a password prompt.
func privilege() ([]string, error) {
	if os.Geteuid() == 0 {
		return nil, nil
	}
	if _, err := exec.LookPath("sudo"); err != nil {
		return nil, fmt.Errorf("not root and sudo is not installed")
	}
	if err := exec.Command("sudo", "-n", "true").Run(); err != nil {
		return nil, fmt.Errorf("not root and sudo needs a password (run `sudo -v` first, or run as root)")
	}
	return []string{"sudo", "-n"}, nil
}
