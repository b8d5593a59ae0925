package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// Rules are mg.Fns: mg.CtxDeps runs each once, and a failing rule makes
// mg.CtxDeps fail with the rule's name instead of passing silently.
func TestRulesComposeWithMgDeps(t *testing.T) {
	f := newFixture(t)
	f.write("l1.in", "x")
	g, err := New(Options{StateDir: f.path(".vswarmu"), UI: ui.New(&f.out, false)})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	rules := chain(f)
	g.MustAdd(rules...)
	var fn mg.Fn = rules[3]
	mg.CtxDeps(context.Background(), fn, rules[1], fn)
	if got := strings.Join(f.runs, " "); got != "l1 l2 l3 l4" {
		t.Fatalf("ran %q", got)
	}
	bad := &Rule{Target: "bad", Recipe: func(context.Context, *Job) error { return errors.New("no") }}
	g.MustAdd(bad)
	defer func() {
		p := recover()
		if p == nil || !strings.Contains(fmt.Sprint(p), "rule bad failed: no") {
			t.Fatalf("mg.CtxDeps with a failing rule: %v", p)
		}
	}()
	mg.CtxDeps(context.Background(), bad)
}

func TestGitHubActionsFoldingAndAnnotations(t *testing.T) {
	f := newFixture(t)
	var out bytes.Buffer
	g, _ := New(Options{StateDir: f.path(".vswarmu"), UI: ui.New(&out, true)})
	defer g.Close()
	ok := &Rule{Target: "ok", Outputs: []string{f.path("ok.out")}, Recipe: func(ctx context.Context, j *Job) error {
		j.Logf("::set-output name=x::evil")
		j.Logf("compiling things")
		return os.WriteFile(j.Out(f.path("ok.out")), nil, 0o644)
	}}
	bad := &Rule{Target: "bad", Deps: []*Rule{ok}, Recipe: func(ctx context.Context, j *Job) error {
		return errors.New("100% broken\nsecond line")
	}}
	g.MustAdd(ok, bad)
	if err := g.Build(context.Background(), bad); err == nil {
		t.Fatal("want failure")
	}
	s := out.String()
	for _, want := range []string{"::group::ok (ok, ", "compiling things", "::endgroup::", "::group::bad (failed, ",
		"::error title=bad failed::100%25 broken%0Asecond line (log: "} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "\n::set-output") {
		t.Error("a log line became a workflow command")
	}
}
