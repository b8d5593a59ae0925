package targets_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// TestAnotherProjectImportsTheTargets makes a throwaway project whose
// magefile imports the targets under a namespace, and runs the main job
// from it with the stand-in gem5: the gem5 config, the function catalogue
// and the kernel fragments come from the module itself.
func TestAnotherProjectImportsTheTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a magefile")
	}
	mageCLI, _ := magetest.Binaries(t)
	root := magetest.RepoRoot(t)
	proj := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/lab\n\ngo 1.26\n\nrequire github.com/vswarmu/vswarmu-mage v0.0.0\n\nreplace github.com/vswarmu/vswarmu-mage => " + root + "\n",
		"magefiles/magefile.go": `//go:build mage

package main

import (
	//mage:import vs
	_ "github.com/vswarmu/vswarmu-mage/targets"
)

// Hello is the lab's own target beside the imported ones.
func Hello() { println("hello from the lab") }
`,
	}
	for p, c := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(proj, p)), 0o755)
		os.WriteFile(filepath.Join(proj, p), []byte(c), 0o644)
	}
	// The lab's go.sum: the module's own dependencies.
	sum, _ := os.ReadFile(filepath.Join(root, "go.sum"))
	os.WriteFile(filepath.Join(proj, "go.sum"), sum, 0o644)
	tidy := exec.Command("go", "mod", "tidy")
	tidy.Dir = proj
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	env := append(
		append(os.Environ(), magetest.Placeholders(t, proj)...),
		"NO_COLOR=1",
		"MAGEFILE_CACHE="+filepath.Join(proj, ".magecache"),
		"GEM5=standin",
		"SETUP_CPU=kvm",
		"FUNCTIONS=aes-go",
	)
	mage := func(args ...string) string {
		cmd := exec.Command(mageCLI, args...)
		cmd.Dir = proj
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("mage %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	list := mage("-l")
	for _, want := range []string{"hello", "vs:simulate:all", "vs:kernel:check", "vs:status"} {
		if !strings.Contains(list, want) {
			t.Fatalf("mage -l lacks %s:\n%s", want, list)
		}
	}
	out := mage("vs:simulate:all")
	if !strings.Contains(out, "aes-go") || !strings.Contains(out, "succeeded") {
		t.Fatalf("vs:simulate:all:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(proj, "wkdir", "results", "report.html")); err != nil {
		t.Fatal("no report in the lab's working directory:", err)
	}
	if out := mage("vs:config"); !strings.Contains(out, filepath.Join(proj, "resources")) {
		t.Fatalf("vs:config does not resolve paths in the lab:\n%s", out)
	}
}
