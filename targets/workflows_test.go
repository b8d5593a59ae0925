package targets_test

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// workflows returns the project's GitHub Actions workflow files.
func workflows(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(magetest.RepoRoot(t), ".github", "workflows", "*.yml"))
	if len(files) == 0 {
		t.Fatal("no workflows under .github/workflows")
	}
	return files
}

// TestWorkflowsLint runs actionlint (its library, as `go tool actionlint`
// in .ci/run does) on every workflow.
func TestWorkflowsLint(t *testing.T) {
	config := filepath.Join(magetest.RepoRoot(t), ".github", "actionlint.yaml")
	opts := &actionlint.LinterOptions{ConfigFile: config}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc // run: scripts are checked too
	} else {
		t.Log("shellcheck not found: run: scripts are not checked (apt-get install shellcheck)")
	}
	l, err := actionlint.NewLinter(io.Discard, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(workflows(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("%s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}
}

// mageCall finds a mage invocation in a run script and the targets it
// names.
var mageCall = regexp.MustCompile(`(?m)^(\s*)(exec\s+)?(?:go run mage\.go|mage)\s+([^\n#|&;]+)`)

// TestWorkflowsRunTargetsThatExist: every target a workflow runs is in
// `mage -l`, and every step that runs one does so with exec, so the
// runner's cancel signal reaches mage (which stops what it started).
func TestWorkflowsRunTargetsThatExist(t *testing.T) {
	known := mageList(t)
	calls := 0
	for _, path := range workflows(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		problems, n := checkWorkflow(t, b, known)
		calls += n
		for _, p := range problems {
			t.Errorf("%s:%s", filepath.Base(path), p)
		}
	}
	if calls < 5 {
		t.Fatalf("found only %d mage calls in the workflows: is the pattern right?", calls)
	}
}

// The check itself fails on a missing target and on a call without exec.
func TestWorkflowCheckCatches(t *testing.T) {
	const wf = `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: %s
`
	cases := []struct{ run, want string }{
		{"exec go run mage.go simulate:all", ""},
		{"exec go run mage.go simulate:everything", `no mage target "simulate:everything"`},
		{"go run mage.go simulate:all", "run mage with exec"},
		{"exec mage -v report:check", ""},
	}
	for _, c := range cases {
		problems, _ := checkWorkflow(t, []byte(fmt.Sprintf(wf, c.run)), []string{"simulate:all", "report:check"})
		got := strings.Join(problems, "\n")
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%q: problems %q, want %q", c.run, got, c.want)
		}
	}
}

// checkWorkflow lists the mage calls of a workflow that name unknown
// targets or run without exec, and counts the calls.
func checkWorkflow(t *testing.T, b []byte, known []string) (problems []string, calls int) {
	wf, errs := actionlint.Parse(b)
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs[0])
	}
	for _, job := range wf.Jobs {
		for _, step := range job.Steps {
			run, ok := step.Exec.(*actionlint.ExecRun)
			if !ok || run.Run == nil {
				continue
			}
			for _, m := range mageCall.FindAllStringSubmatch(run.Run.Value, -1) {
				calls++
				if m[2] == "" {
					problems = append(
						problems,
						fmt.Sprintf(
							"%d: run mage with exec (exec go run mage.go %s)",
							run.Run.Pos.Line,
							strings.TrimSpace(m[3]),
						),
					)
				}
				for _, target := range strings.Fields(m[3]) {
					if !strings.HasPrefix(target, "-") && !slices.Contains(known, target) {
						problems = append(
							problems,
							fmt.Sprintf(
								"%d: no mage target %q (mage -l lists %s)",
								run.Run.Pos.Line,
								target,
								strings.Join(known, " "),
							),
						)
					}
				}
			}
		}
	}
	return problems, calls
}
