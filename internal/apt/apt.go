// Package apt installs Debian/Ubuntu packages idempotently: it asks dpkg
// what is missing and installs only that, as root or through sudo.
package apt

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"

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

// Install installs whatever of pkgs is missing, writing apt's output to
// log. It says what it did in its return value: the packages installed.
func Install(ctx context.Context, what string, pkgs []string, log io.Writer) ([]string, error) {
	missing, err := Missing(ctx, pkgs)
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	prefix, err := privilege()
	if err != nil {
		return nil, fmt.Errorf("%s needs root to install %s: %w\nrun as root: apt-get install -y %s",
			what, strings.Join(missing, " "), err, strings.Join(missing, " "))
	}
	run := func(args ...string) error { return runPrivileged(ctx, prefix, log, args...) }
	install := append([]string{"apt-get", "install", "-y", "--no-install-recommends"}, missing...)
	if err := run(install...); err != nil {
		// Stale package lists are the usual cause: update once and retry.
		if uerr := run("apt-get", "update"); uerr != nil {
			return nil, fmt.Errorf("%s: apt-get update: %w", what, uerr)
		}
		if err := run(install...); err != nil {
			return nil, fmt.Errorf("%s: apt-get install %s: %w", what, strings.Join(missing, " "), err)
		}
	}
	return missing, nil
}

// runPrivileged runs an apt command with the prefix that gives root.
func runPrivileged(ctx context.Context, prefix []string, log io.Writer, args ...string) error {
	argv := append(append([]string(nil), prefix...), args...)
	c := proc.Command(argv[0], argv[1:]...)
	c.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	c.Stdout, c.Stderr = log, log
	fmt.Fprintf(log, "$ %s\n", proc.Quote(argv))
	return c.Run(ctx)
}

// Update refreshes apt's package lists.
func Update(ctx context.Context, log io.Writer) error {
	prefix, err := privilege()
	if err != nil {
		return fmt.Errorf("apt-get update needs root: %w", err)
	}
	if err := runPrivileged(ctx, prefix, log, "apt-get", "update"); err != nil {
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
