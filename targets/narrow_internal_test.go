package targets

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// TestNarrowerFunctionsKeepTheInstalledDisk: after an install of two
// functions, FUNCTIONS naming one of them keeps the installed disk (and so
// the boot made on it: an hour on atomic cores with containers), where it
// used to install anew because the install's parameters named the list; a
// function the disk lacks still installs anew, with its reason.
func TestNarrowerFunctionsKeepTheInstalledDisk(t *testing.T) {
	for _, images := range []string{"registry", "reference"} {
		t.Run("IMAGES="+images, func(t *testing.T) { narrowerFunctions(t, images) })
	}
}

func narrowerFunctions(t *testing.T, images string) {
	dir := t.TempDir()
	project, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WORKING_DIR": filepath.Join(dir, "wk"), "RESOURCES": filepath.Join(dir, "res"),
		"GEM5": "standin", "IMAGES": images, "CPU": "tcg"}
	for _, kv := range magetest.Placeholders(t, dir) {
		if k, v, _ := strings.Cut(kv, "="); k != "INSTALLED_DISK" {
			env[k] = v
		}
	}
	installRule := func(functions string) (*engine.Graph, *engine.Rule) {
		env["FUNCTIONS"] = functions
		p := testPlan(t, env, project)
		t.Cleanup(func() { p.g.Close() })
		rules, err := p.g.Lookup(ruleFunctionsInstall)
		if err != nil {
			t.Fatal(err)
		}
		r := rules[0]
		r.Deps, r.Preflight = nil, nil // the disk, kernel and scanner are not what this test is about
		r.Recipe = func(_ context.Context, j *engine.Job) error {
			for _, out := range r.Outputs {
				if err := os.WriteFile(j.Out(out), []byte("{}\n"), 0o644); err != nil {
					return err
				}
			}
			return nil
		}
		return p.g, r
	}
	g, first := installRule("fibonacci-go aes-go")
	if err := g.Build(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		functions, installs, stale string
	}{
		{"aes-go", "fibonacci-go aes-go", ""},
		{"aes-go fibonacci-go", "fibonacci-go aes-go", ""},
		{"auth-go", "auth-go", "parameters changed: functions"},
		{"aes-go auth-go", "aes-go auth-go", "parameters changed: functions"},
	} {
		g, r := installRule(c.functions)
		if got := r.Params["functions"]; got != c.installs {
			t.Errorf("FUNCTIONS=%q: the install holds %q, want %q", c.functions, got, c.installs)
		}
		v, err := g.Evaluate(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if reason := v[0].Reason(); (c.stale == "") != !v[0].Stale || !strings.Contains(reason, c.stale) {
			t.Errorf("FUNCTIONS=%q: functions:install %s, want %q", c.functions, reason, c.stale)
		}
	}
}
