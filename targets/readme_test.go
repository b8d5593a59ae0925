package targets_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/sweeps"
)

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(magetest.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section returns the lines between <!-- name --> and <!-- /name -->.
func section(t *testing.T, text, name string) []string {
	t.Helper()
	start := strings.Index(text, "<!-- "+name+" -->")
	end := strings.Index(text, "<!-- /"+name+" -->")
	if start < 0 || end < start {
		t.Fatalf("README has no %s section", name)
	}
	return strings.Split(strings.TrimSpace(text[start+len(name)+9:end]), "\n")
}

var firstCell = regexp.MustCompile("^\\| `([^`]+)` \\|")

// mageList returns the target names `mage -l` prints.
func mageList(t *testing.T) []string {
	t.Helper()
	_, bin := magetest.Binaries(t)
	out, err := exec.Command(bin, "-l").CombinedOutput()
	if err != nil {
		t.Fatalf("mage -l: %v\n%s", err, out)
	}
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "  ") && strings.TrimSpace(l) != "" {
			names = append(names, strings.TrimSuffix(strings.Fields(l)[0], "*"))
			// mage keeps a doc comment's first sentence: a period inside
			// one ("e.g.") cuts the manual's line short.
			if strings.Count(l, "(") != strings.Count(l, ")") || !strings.HasSuffix(l, ".") {
				t.Errorf("mage -l line looks cut short; reword the doc comment:\n%s", l)
			}
		}
	}
	sort.Strings(names)
	return names
}

func TestReadmeTargetTableMatchesMageList(t *testing.T) {
	var documented []string
	text := readme(t)
	rows := section(t, text, "targets")
	for _, row := range rows[2:] {
		m := firstCell.FindStringSubmatch(row)
		if m == nil {
			t.Fatalf("README target row without a target: %q", row)
		}
		documented = append(documented, strings.Fields(m[1])[0])
	}
	sort.Strings(documented)
	listed := mageList(t)
	if strings.Join(documented, " ") != strings.Join(listed, " ") {
		t.Fatalf("README targets:\n  %s\nmage -l:\n  %s", strings.Join(documented, " "), strings.Join(listed, " "))
	}
	// Every alias of magefiles/magefile.go is in the table, and every alias
	// the table names exists.
	aliases := magefileAliases(t)
	table := strings.Join(rows, "\n")
	named := regexp.MustCompile("→ `([^`]+)`|, `([a-z_-]+)`\\)? \\|").FindAllStringSubmatch(table, -1)
	for _, a := range aliases {
		if !strings.Contains(table, "`"+a+"`") {
			t.Errorf("alias %s is not in the README's target table", a)
		}
	}
	known := map[string]bool{}
	for _, a := range aliases {
		known[a] = true
	}
	for _, m := range named {
		if a := m[1]; a != "" && !known[a] {
			t.Errorf("the README names alias %s, which magefiles/magefile.go does not define", a)
		}
	}
}

func magefileAliases(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(
		token.NewFileSet(),
		filepath.Join(magetest.RepoRoot(t), "magefiles", "magefile.go"),
		nil,
		0,
	)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Names[0].Name != "Aliases" {
			return true
		}
		for _, e := range vs.Values[0].(*ast.CompositeLit).Elts {
			k, _ := strconv.Unquote(e.(*ast.KeyValueExpr).Key.(*ast.BasicLit).Value)
			out = append(out, k)
		}
		return false
	})
	if len(out) == 0 {
		t.Fatal("no Aliases in magefiles/magefile.go")
	}
	return out
}

// TestReadmeConfigTableMatchesConfig: README's table is made from the
// settings' declarations; VSWARMU_UPDATE_README=1 rewrites it.
func TestReadmeConfigTableMatchesConfig(t *testing.T) {
	text := readme(t)
	rows := section(t, text, "config")
	want := []string{rows[0], rows[1]}
	for _, s := range config.Settings() {
		want = append(want, configRow(s))
	}
	if strings.Join(rows, "\n") == strings.Join(want, "\n") {
		return
	}
	if os.Getenv("VSWARMU_UPDATE_README") != "" {
		text = strings.Replace(text, strings.Join(rows, "\n"), strings.Join(want, "\n"), 1)
		if err := os.WriteFile(filepath.Join(magetest.RepoRoot(t), "README.md"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for i := range max(len(rows), len(want)) {
		if i >= len(rows) || i >= len(want) || rows[i] != want[i] {
			t.Errorf("README config row %d:\n  README: %s\n  config: %s", i, at(rows, i), at(want, i))
		}
	}
	t.Log("VSWARMU_UPDATE_README=1 go test -run TestReadmeConfigTableMatchesConfig ./targets rewrites the table")
}

// configRow is README's row of one setting: name, default (and the
// choices), doc line.
func configRow(s config.Setting) string {
	def := s.Default
	if def == "" {
		def = "–"
	}
	if c, ok := s.Kind.(config.Choice); ok {
		shown := []string(c)
		if len(shown) > 4 {
			shown = append(shown[:2:2], "…")
		}
		def += " (" + strings.Join(shown, ", ") + ")"
	}
	return fmt.Sprintf("| `%s` | %s | %s |", s.Name, def, s.Doc)
}

func at(rows []string, i int) string {
	if i < len(rows) {
		return rows[i]
	}
	return "(none)"
}

func TestCIRunsTheReadmeTestCommand(t *testing.T) {
	text := readme(t)
	i := strings.Index(text, "Run the tests:\n\n```sh\n")
	if i < 0 {
		t.Fatal("README has no test command block")
	}
	rest := text[i+len("Run the tests:\n\n```sh\n"):]
	cmd := strings.TrimSpace(rest[:strings.Index(rest, "```")])
	ci, err := os.ReadFile(filepath.Join(magetest.RepoRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range strings.Split(string(ci), "\n") {
		if strings.TrimSpace(l) == cmd {
			found = true
		}
	}
	if !found {
		t.Fatalf(".ci/run does not run the README's test command %q", cmd)
	}
	if !strings.Contains(string(ci), "apt-get update") {
		t.Fatal(".ci/run does not update apt first")
	}
}

// TestReadmeSweepParameters: README's table of sweep parameters is made
// from the sweeps package's; VSWARMU_UPDATE_README=1 rewrites it.
func TestReadmeSweepParameters(t *testing.T) {
	text := readme(t)
	start := strings.Index(text, "<!-- sweep-params -->\n")
	end := strings.Index(text, "<!-- /sweep-params -->")
	if start < 0 || end < start {
		t.Fatal("README has no sweep-params section")
	}
	want := "<!-- sweep-params -->\n| Parameter | run_sim.py option | Values |\n| --- | --- | --- |\n"
	for _, p := range sweeps.Params() {
		want += fmt.Sprintf("| `%s` | `%s` | %s |\n", p.Name, p.Arg, p.Doc)
	}
	if got := text[start:end]; got != want {
		if os.Getenv("VSWARMU_UPDATE_README") != "" {
			os.WriteFile(filepath.Join(magetest.RepoRoot(t), "README.md"), []byte(text[:start]+want+text[end:]), 0o644)
			return
		}
		t.Errorf("README's sweep parameters:\n%s\nthe sweeps package's:\n%s", got, want)
	}
}

// TestReadmeAgreesWithItself: the gem5 version README's measurements were
// made with is the default GEM5_VERSION, and README and CONTRIBUTING give
// the real-gem5 tier one duration.
func TestReadmeAgreesWithItself(t *testing.T) {
	text := readme(t)
	def := regexp.MustCompile("\\| `GEM5_VERSION` \\| (\\S+) \\|").FindStringSubmatch(text)
	if def == nil {
		t.Fatal("README's configuration table has no GEM5_VERSION row")
	}
	docs, _ := filepath.Glob(filepath.Join(magetest.RepoRoot(t), "docs", "*.md"))
	measured := text
	for _, d := range docs {
		b, _ := os.ReadFile(d)
		measured += string(b)
	}
	if !strings.Contains(measured, "real gem5 "+def[1]) {
		t.Errorf(
			"README's default GEM5_VERSION is %s, but its measurements name another gem5 (want a \"real gem5 %s\")",
			def[1],
			def[1],
		)
	}
	contributing, err := os.ReadFile(filepath.Join(magetest.RepoRoot(t), "CONTRIBUTING.md"))
	if err != nil {
		t.Fatal(err)
	}
	tier := regexp.MustCompile(`(?i)real-gem5 (?:tier|tests)[^(]*\((?:[^;)]*; )?about (\d+) minutes`)
	r, c := tier.FindStringSubmatch(text), tier.FindStringSubmatch(string(contributing))
	if r == nil || c == nil || r[1] != c[1] {
		t.Errorf("the real-gem5 tier's duration: README %v, CONTRIBUTING %v", r, c)
	}
}

// TestReadmeIsAGuide: README stays a user's guide of a few hundred lines;
// findings and measurements live in docs/, every link there resolves and
// every page is reachable from README.
func TestReadmeIsAGuide(t *testing.T) {
	text := readme(t)
	if n := strings.Count(text, "\n"); n >= 450 {
		t.Errorf("README has %d lines: move findings and measurements to docs/", n)
	}
	linked := map[string]bool{}
	for _, m := range regexp.MustCompile(`\]\((docs/[^)#]+)`).FindAllStringSubmatch(text, -1) {
		linked[m[1]] = true
		if _, err := os.Stat(filepath.Join(magetest.RepoRoot(t), m[1])); err != nil {
			t.Errorf("README links %s, which does not exist", m[1])
		}
	}
	pages, _ := filepath.Glob(filepath.Join(magetest.RepoRoot(t), "docs", "*.md"))
	for _, p := range pages {
		if name := "docs/" + filepath.Base(p); !linked[name] {
			t.Errorf("%s is not linked from README", name)
		}
		b, _ := os.ReadFile(p)
		for _, m := range regexp.MustCompile(`\]\(([a-z0-9-]+\.md)\)`).FindAllStringSubmatch(string(b), -1) {
			if _, err := os.Stat(filepath.Join(filepath.Dir(p), m[1])); err != nil {
				t.Errorf("%s links %s, which does not exist", filepath.Base(p), m[1])
			}
		}
	}
}
