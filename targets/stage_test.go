package targets_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// The stage a contributor adds in TestAddingAStage: SHA256SUMS of the
// results, so published numbers can be checked against their files. It is
// a plain library (no engine, no targets) with its own test.
const checksumsStage = `// Package checksums writes the sha256 of a results tree's files.
package checksums

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Write writes "<sha256>  <path>" for every file under dir but out to out,
// in sha256sum's format, paths relative to dir.
func Write(dir, out string) error {
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) == "SHA256SUMS" || strings.Contains(p, ".vswarmu-tmp") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%x  %s\n", sha256.Sum256(data), rel)
		return nil
	})
	if err != nil {
		return fmt.Errorf("checksums of %s: %w", dir, err)
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}
`

const checksumsStageTest = `package checksums

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "stats.txt"), []byte("x"), 0o644)
	if err := Write(dir, filepath.Join(dir, "SHA256SUMS")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if string(b) != "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  stats.txt\n" {
		t.Fatalf("%q", b)
	}
}
`

// Its one file in targets/: the Mage target and the rule's declaration.
const checksumsTargets = `package targets

import (
	"context"
	"path/filepath"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/checksums"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// Checksums publishes checksums of the results.
type Checksums mg.Namespace

// Write writes WORKING_DIR/results/SHA256SUMS after the report.
func (Checksums) Write(ctx context.Context) error { return build(ctx, "checksums:write") }

// checksums is the rule of checksums:write.
func (p *plan) checksums() *engine.Rule {
	return p.rule("checksums:write", func() (*engine.Rule, error) {
		dir := p.cfg.ResultsDir()
		out := filepath.Join(dir, "SHA256SUMS")
		return &engine.Rule{
			Doc: "write SHA256SUMS of the results", Outputs: []string{out},
			Inputs: []string{filepath.Join(dir, "*", "stats.txt")}, Deps: []*engine.Rule{p.report()},
			Recipe: recipe(func(ctx context.Context, j job.Job) error { return checksums.Write(dir, j.Out(out)) }),
		}, nil
	})
}
`

// A contributor adds a stage: a package, one file in targets/, one line in
// the plan and a row in README. In a copy of the project, the result
// builds, keeps its layers, lists the target in mage -l and README, and
// runs after the main job on the stand-in.
func TestAddingAStage(t *testing.T) {
	copyDir := copyProject(t)
	writeFile(t, filepath.Join(copyDir, "checksums", "checksums.go"), checksumsStage)
	writeFile(t, filepath.Join(copyDir, "checksums", "checksums_test.go"), checksumsStageTest)
	writeFile(t, filepath.Join(copyDir, "targets", "checksums.go"), checksumsTargets)
	edit(t, filepath.Join(copyDir, "targets", "plan.go"), "\tp.mainJob()\n", "\tp.mainJob()\n\tp.checksums()\n")
	edit(t, filepath.Join(copyDir, "README.md"), "| `report:check` |",
		"| `checksums:write` | – | writes results/SHA256SUMS after the report |\n| `report:check` |")

	goCmd(t, copyDir, "vet", "./checksums", "./targets")
	goCmd(t, copyDir, "test", "./checksums")
	goCmd(t, copyDir, "test", "-run", "TestImportsPointDown|TestReadmeTargetTableMatchesMageList", "./targets")

	bin := compileCopy(t, copyDir)
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go aes-go")
	r := magetest.StartCmd(t, dir, env, bin, "checksums:write").Wait(t, 10*time.Minute)
	if r.Code != 0 || !strings.Contains(r.Output, "checksums:write") {
		t.Fatalf("checksums:write: exit %d\n%s", r.Code, r.Output)
	}
	check := exec.Command("sha256sum", "-c", "--quiet", "SHA256SUMS")
	check.Dir = filepath.Join(dir, "wk", "results")
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	}
	sums, _ := os.ReadFile(filepath.Join(dir, "wk", "results", "SHA256SUMS"))
	if !strings.Contains(string(sums), "  aes-go/stats.txt\n") || !strings.Contains(string(sums), "  report.csv\n") {
		t.Fatalf("SHA256SUMS:\n%s", sums)
	}
	r = magetest.StartCmd(t, dir, env, bin, "why", "checksums:write").Wait(t, 10*time.Minute)
	if r.Code != 0 || !strings.Contains(r.Output, "up to date") {
		t.Fatalf("why checksums:write after it ran: exit %d\n%s", r.Code, r.Output)
	}
}

// compileCopy compiles a copy's magefile (copyProject) and returns the binary.
func compileCopy(t *testing.T, copyDir string) string {
	t.Helper()
	mage, _ := magetest.Binaries(t)
	bin := filepath.Join(t.TempDir(), "magefile")
	compile := exec.Command(mage, "-compile", bin)
	compile.Dir = copyDir
	compile.Env = append(os.Environ(), "MAGEFILE_CACHE="+magetest.CacheDir())
	if out, err := compile.CombinedOutput(); err != nil {
		t.Fatalf("compile the copy's magefile: %v\n%s", err, out)
	}
	return bin
}

// copyProject copies the project's files (tracked and new, as git sees
// them) to a temporary directory.
func copyProject(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found: apt-get install git")
	}
	dst := t.TempDir()
	cmd := exec.Command(
		"sh",
		"-c",
		`git ls-files -co --exclude-standard -z | xargs -0 tar -cf - | tar -xf - -C "$1"`,
		"sh",
		dst,
	)
	cmd.Dir = magetest.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("copy the project: %v\n%s", err, out)
	}
	return dst
}

// edit replaces the first old in path with new, failing when old is absent.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), old) {
		t.Fatalf("%s has no %q (%v)", path, old, err)
	}
	writeFile(t, path, strings.Replace(string(b), old, new, 1))
}

// goCmd runs the go command in dir and fails the test with its output.
func goCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
