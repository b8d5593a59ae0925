package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestPreflightAsksWhatWillRun: every rule that will run, and every leaf
// such a rule reads, is asked; an up-to-date rule and the leaves only it
// reads are not; every problem comes back in one error; a build larger
// than the file system is named with its rules.
func TestPreflightAsksWhatWillRun(t *testing.T) {
	f := newFixture(t)
	f.write("a.in", "a")
	f.write("given", "g")
	f.write("fresh-given", "f")
	asked := map[string]bool{}
	check := func(name string, err error) func(context.Context) error {
		return func(context.Context) error { asked[name] = true; return err }
	}
	shape := func(space int64) func(f *fixture) []*Rule {
		return func(f *fixture) []*Rule {
			leaf := &Rule{
				Target:    "given:X",
				Outputs:   []string{f.path("given")},
				Preflight: check("given:X", errors.New("not a kernel")),
			}
			freshLeaf := &Rule{
				Target:    "given:Y",
				Outputs:   []string{f.path("fresh-given")},
				Preflight: check("given:Y", errors.New("never asked")),
			}
			fresh := f.rule("fresh", []*Rule{freshLeaf})
			fresh.Preflight = check("fresh", errors.New("never asked"))
			a := f.rule("a", []*Rule{leaf}, "a.in")
			a.Preflight = check("a", errors.New("server unreachable"))
			a.Space = space
			return []*Rule{leaf, freshLeaf, fresh, a}
		}
	}
	// Build "fresh" once so it is up to date.
	f.mustRun(shape(0), []string{"fresh"}, "fresh")
	for _, c := range []struct {
		space int64
		want  []string
	}{
		{0, []string{"2 problems found before starting anything", "a: server unreachable", "given:X: not a kernel"}},
		{1 << 60, []string{"3 problems", "need about 1073741824.0 GiB"}},
	} {
		clear(asked)
		g, err := New(Options{FS: f.clock, StateDir: f.path(".vswarmu"), LogDir: f.path("logs")})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Add(shape(c.space)(f)...); err != nil {
			t.Fatal(err)
		}
		rules, _ := g.Lookup("a", "fresh")
		err = g.Preflight(context.Background(), rules...)
		g.Close()
		var pe *PreflightError
		if !errors.As(err, &pe) {
			t.Fatalf("Preflight: %v, want a *PreflightError", err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q lacks %q", err, w)
			}
		}
		if asked["fresh"] || asked["given:Y"] || !asked["a"] || !asked["given:X"] {
			t.Errorf("asked %v: want a and given:X only", asked)
		}
	}
}
