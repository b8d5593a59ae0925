package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// PreflightError lists every problem a build can know of before it runs
// anything, so a user fixes them all at once rather than one per run.
type PreflightError struct {
	Problems []error
}

func (e *PreflightError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  - " + strings.ReplaceAll(p.Error(), "\n", "\n    ")
	}
	noun := "problems"
	if len(e.Problems) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("%d %s found before starting anything:\n%s", len(e.Problems), noun, strings.Join(lines, "\n"))
}

// Unwrap returns the problems.
func (e *PreflightError) Unwrap() []error { return e.Problems }

// Preflight asks the Preflight hook of every rule of the build of rules
// that is out of date, and of every leaf such a rule reads, and checks that
// the file systems the stale rules write to have room for their Space. It
// runs nothing and returns every problem in one *PreflightError.
func (g *Graph) Preflight(ctx context.Context, rules ...*Rule) error {
	verdicts, err := g.Evaluate(ctx, rules...)
	if err != nil {
		return err // the build reports a graph that cannot be judged
	}
	var checks []*Rule
	seen := map[*Rule]bool{}
	add := func(r *Rule) {
		if !seen[r] && r.Preflight != nil {
			seen[r] = true
			checks = append(checks, r)
		}
	}
	var stale []*Rule
	for _, v := range verdicts {
		if !v.Stale {
			continue
		}
		stale = append(stale, v.Rule)
		add(v.Rule)
		for _, d := range v.Rule.Deps {
			if d.Leaf() {
				add(d)
			}
		}
	}
	var problems []error
	for _, r := range checks {
		if err := r.Preflight(ctx); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", r.Target, err))
		}
	}
	problems = append(problems, spaceProblems(stale)...)
	if len(problems) == 0 {
		return nil
	}
	return &PreflightError{Problems: problems}
}

// spaceProblems compares, per file system, the space the stale rules
// write with the space free there.
func spaceProblems(stale []*Rule) []error {
	type fsNeed struct {
		dir   string
		need  int64
		free  int64
		rules []string
	}
	byDev := map[uint64]*fsNeed{}
	for _, r := range stale {
		if r.Space <= 0 || len(r.Outputs) == 0 {
			continue
		}
		dir, dev, free, err := fsOf(r.Outputs[0])
		if err != nil {
			continue // the recipe reports a directory it cannot make
		}
		n, ok := byDev[dev]
		if !ok {
			n = &fsNeed{dir: dir, free: free}
			byDev[dev] = n
		}
		n.need += r.Space
		n.rules = append(n.rules, r.Target)
	}
	var out []error
	for _, n := range byDev {
		if n.need > n.free {
			out = append(
				out,
				fmt.Errorf(
					"%s has %s free; %s need about %s: free space there, or point RESOURCES/WORKING_DIR elsewhere",
					n.dir,
					bytesText(n.free),
					strings.Join(n.rules, ", "),
					bytesText(n.need),
				),
			)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Error() < out[j].Error() })
	return out
}

// fsOf finds the nearest existing directory of path and its file system's
// device and free bytes.
func fsOf(path string) (string, uint64, int64, error) {
	dir := filepath.Dir(filepath.Clean(path))
	for {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", 0, 0, errors.New("no existing directory above " + path)
		}
		dir = parent
	}
	var st syscall.Stat_t
	var fs syscall.Statfs_t
	if err := syscall.Stat(dir, &st); err != nil {
		return "", 0, 0, err
	}
	if err := syscall.Statfs(dir, &fs); err != nil {
		return "", 0, 0, err
	}
	return dir, uint64(st.Dev), int64(fs.Bavail) * fs.Bsize, nil
}

func bytesText(n int64) string {
	const gib = 1 << 30
	if n >= gib {
		return fmt.Sprintf("%.1f GiB", float64(n)/gib)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}
