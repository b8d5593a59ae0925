package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// fixture is a working directory and a graph shape that is rebuilt for
// every invocation, as each `mage` run makes its graph anew.
type fixture struct {
	t      *testing.T
	dir    string
	clock  *SteppedClock     // the engine's file system: every touch is newer than what came before
	params map[string]string // per-rule parameter value
	fail   map[string]string // per-rule: "error" or "panic"
	mu     sync.Mutex
	runs   []string
	opts   Options
	out    bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	return &fixture{t: t, dir: dir, clock: &SteppedClock{}, params: map[string]string{}, fail: map[string]string{}}
}

func (f *fixture) path(name string) string { return filepath.Join(f.dir, name) }

// write creates a file with content and gives it a distinct time.
func (f *fixture) write(name, content string) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(f.path(name)), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(f.path(name), []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
	f.touch(name)
}

// touch dates a file after everything that was written or built before
// (the fixture's clock steps: no waiting).
func (f *fixture) touch(name string) {
	f.t.Helper()
	if err := f.clock.Touch(f.path(name)); err != nil {
		f.t.Fatal(err)
	}
}

// rule is a rule that concatenates its inputs and its dependencies'
// outputs into <name>.out.
func (f *fixture) rule(name string, deps []*Rule, inputs ...string) *Rule {
	var in []string
	for _, i := range inputs {
		in = append(in, f.path(i))
	}
	return &Rule{
		Target:  name,
		Outputs: []string{f.path(name + ".out")},
		Inputs:  in,
		Deps:    deps,
		Params:  Params{"value": f.params[name]},
		Recipe: func(ctx context.Context, j *Job) error {
			f.mu.Lock()
			f.runs = append(f.runs, name)
			mode := f.fail[name]
			f.mu.Unlock()
			switch mode {
			case "error":
				// A partial output must not survive a failure.
				_ = os.WriteFile(j.Out(f.path(name+".out")), []byte("partial"), 0o644)
				return errors.New("recipe says no")
			case "panic":
				panic("recipe exploded")
			}
			var b strings.Builder
			for _, p := range in {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				b.Write(data)
			}
			for _, d := range deps {
				data, err := os.ReadFile(d.Outputs[0])
				if err != nil {
					return err
				}
				b.Write(data)
			}
			b.WriteString(name + "(" + f.params[name] + ");")
			return os.WriteFile(j.Out(f.path(name+".out")), []byte(b.String()), 0o644)
		},
	}
}

// run makes a fresh graph with shape and builds the named rules, returning
// which rules ran, sorted.
func (f *fixture) run(shape func(f *fixture) []*Rule, names ...string) ([]string, error) {
	f.t.Helper()
	f.runs = nil
	opts := f.opts
	opts.FS = f.clock
	opts.StateDir = f.path(".vswarmu")
	opts.LogDir = f.path("logs")
	f.out.Reset()
	opts.UI = ui.New(&f.out, false)
	g, err := New(opts)
	if err != nil {
		f.t.Fatal(err)
	}
	defer g.Close()
	if err := g.Add(shape(f)...); err != nil {
		f.t.Fatal(err)
	}
	rules, err := g.Lookup(names...)
	if err != nil {
		f.t.Fatal(err)
	}
	err = g.Build(context.Background(), rules...)
	ran := append([]string(nil), f.runs...)
	sort.Strings(ran)
	return ran, err
}

func (f *fixture) mustRun(shape func(f *fixture) []*Rule, want []string, names ...string) {
	f.t.Helper()
	got, err := f.run(shape, names...)
	if err != nil {
		f.t.Fatalf("build %v: %v\noutput:\n%s", names, err, f.out.String())
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		f.t.Fatalf("build %v ran %v, want %v\noutput:\n%s", names, got, want, f.out.String())
	}
}

// diamond: a → b, a → c, b+c → d; every rule has its own input file.
func diamond(f *fixture) []*Rule {
	a := f.rule("a", nil, "a.in")
	b := f.rule("b", []*Rule{a}, "b.in")
	c := f.rule("c", []*Rule{a}, "c.in")
	d := f.rule("d", []*Rule{b, c}, "d.in")
	return []*Rule{a, b, c, d}
}

// chain: l1 → l2 → l3 → l4.
func chain(f *fixture) []*Rule {
	l1 := f.rule("l1", nil, "l1.in")
	l2 := f.rule("l2", []*Rule{l1})
	l3 := f.rule("l3", []*Rule{l2})
	l4 := f.rule("l4", []*Rule{l3})
	return []*Rule{l1, l2, l3, l4}
}

func TestIncrementalRebuilds(t *testing.T) {
	type step struct {
		name   string
		change func(f *fixture)
		want   []string
	}
	cases := []struct {
		name   string
		shape  func(*fixture) []*Rule
		inputs []string
		target string
		steps  []step
	}{
		{
			name: "diamond", shape: diamond, inputs: []string{"a.in", "b.in", "c.in", "d.in"}, target: "d",
			steps: []step{
				{"first run runs all", nil, []string{"a", "b", "c", "d"}},
				{"second run runs none", nil, nil},
				{"touch root input", func(f *fixture) { f.touch("a.in") }, []string{"a", "b", "c", "d"}},
				{"touch one branch's input", func(f *fixture) { f.touch("b.in") }, []string{"b", "d"}},
				{"touch the sink's input", func(f *fixture) { f.touch("d.in") }, []string{"d"}},
				{"change a parameter", func(f *fixture) { f.params["c"] = "v2" }, []string{"c", "d"}},
				{"delete a middle output", func(f *fixture) { os.Remove(f.path("b.out")) }, []string{"b", "d"}},
				{"equal mtime is up to date", func(f *fixture) {
					// The sink's output dated as its newest input.
					var newest time.Time
					for _, in := range []string{"b.out", "c.out", "d.in"} {
						if st, _ := os.Stat(f.path(in)); st.ModTime().After(newest) {
							newest = st.ModTime()
						}
					}
					os.Chtimes(f.path("d.out"), newest, newest)
				}, nil},
				{"nothing changed", nil, nil},
			},
		},
		{
			name: "chain", shape: chain, inputs: []string{"l1.in"}, target: "l4",
			steps: []step{
				{"first run runs all", nil, []string{"l1", "l2", "l3", "l4"}},
				{"second run runs none", nil, nil},
				{"touch leaf input", func(f *fixture) { f.touch("l1.in") }, []string{"l1", "l2", "l3", "l4"}},
				{"change a middle parameter", func(f *fixture) { f.params["l2"] = "x" }, []string{"l2", "l3", "l4"}},
				{"delete a middle output", func(f *fixture) { os.Remove(f.path("l3.out")) }, []string{"l3", "l4"}},
				{"delete the last output", func(f *fixture) { os.Remove(f.path("l4.out")) }, []string{"l4"}},
				{"nothing changed", nil, nil},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			for _, in := range tc.inputs {
				f.write(in, in+";")
			}
			for _, s := range tc.steps {
				if s.change != nil {
					s.change(f)
				}
				t.Run(s.name, func(t *testing.T) {
					f.t = t
					f.mustRun(tc.shape, s.want, tc.target)
				})
			}
		})
	}
}

func TestOutputsHoldInputs(t *testing.T) {
	f := newFixture(t)
	for _, in := range []string{"a.in", "b.in", "c.in", "d.in"} {
		f.write(in, in+";")
	}
	f.mustRun(diamond, []string{"a", "b", "c", "d"}, "d")
	got, _ := os.ReadFile(f.path("d.out"))
	want := "d.in;b.in;a.in;a();b();c.in;a.in;a();c();d();"
	if string(got) != want {
		t.Fatalf("d.out = %q, want %q", got, want)
	}
}

func TestFailedRecipeLeavesNothingFresh(t *testing.T) {
	f := newFixture(t)
	f.write("l1.in", "x")
	f.fail["l2"] = "error"
	ran, err := f.run(chain, "l4")
	if err == nil {
		t.Fatal("build succeeded with a failing recipe")
	}
	if !slices.Equal(ran, []string{"l1", "l2"}) {
		t.Fatalf("ran %v, want [l1 l2]", ran)
	}
	if !strings.Contains(err.Error(), "rule l2 failed") || !strings.Contains(err.Error(), "recipe says no") {
		t.Fatalf("error does not name the rule and cause: %v", err)
	}
	if _, err := os.Stat(f.path("l2.out")); !os.IsNotExist(err) {
		t.Fatalf("failed rule left its output: %v", err)
	}
	if _, err := os.Stat(tmpName(f.path("l2.out"))); !os.IsNotExist(err) {
		t.Fatalf("failed rule left its temporary output: %v", err)
	}
	// The next run retries exactly the failed rule and its dependents.
	delete(f.fail, "l2")
	f.mustRun(chain, []string{"l2", "l3", "l4"}, "l4")
}

func TestFailedInPlaceRuleIsStale(t *testing.T) {
	f := newFixture(t)
	fail := true
	shape := func(f *fixture) []*Rule {
		return []*Rule{{
			Target: "disk", Outputs: []string{f.path("disk.img")}, InPlace: true,
			Recipe: func(ctx context.Context, j *Job) error {
				f.runs = append(f.runs, "disk")
				if err := os.WriteFile(j.Out(f.path("disk.img")), []byte("half written"), 0o644); err != nil {
					return err
				}
				if fail {
					return errors.New("installer crashed")
				}
				return nil
			},
		}}
	}
	if _, err := f.run(shape, "disk"); err == nil {
		t.Fatal("want failure")
	}
	if _, err := os.Stat(f.path("disk.img")); err != nil {
		t.Fatal("in-place output should stay for inspection:", err)
	}
	fail = false
	f.mustRun(shape, []string{"disk"}, "disk") // stale although the file exists
	f.mustRun(shape, nil, "disk")
}

func TestFailedAndPanickingDependencies(t *testing.T) {
	for _, mode := range []string{"error", "panic"} {
		for _, keepGoing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/keepgoing=%v", mode, keepGoing), func(t *testing.T) {
				f := newFixture(t)
				f.opts.KeepGoing = keepGoing
				f.opts.Jobs = 1 // the failure happens before the other branch starts
				shape := func(f *fixture) []*Rule {
					bad := f.rule("bad", nil)
					after := f.rule("after-bad", []*Rule{bad})
					slow := f.rule("slow", nil)
					slow.Deps = nil
					indep := f.rule("independent", []*Rule{slow})
					top := f.rule("top", []*Rule{after, indep})
					return []*Rule{bad, after, slow, indep, top}
				}
				f.fail["bad"] = mode
				ran, err := f.run(shape, "top")
				if err == nil {
					t.Fatal("build succeeded")
				}
				if !strings.Contains(err.Error(), "rule bad failed") {
					t.Fatalf("error does not name the failed rule: %v", err)
				}
				if mode == "panic" && !strings.Contains(err.Error(), "recipe panicked: recipe exploded") {
					t.Fatalf("panic not reported: %v", err)
				}
				if slices.Contains(ran, "after-bad") || slices.Contains(ran, "top") {
					t.Fatalf("a dependent of the failed rule ran: %v", ran)
				}
				if keepGoing && !slices.Contains(ran, "independent") {
					t.Fatalf("KEEP_GOING=1 did not finish the independent branch: ran %v", ran)
				}
				if !strings.Contains(f.out.String(), "after-bad") || !strings.Contains(f.out.String(), "not done") {
					t.Fatalf("summary does not list what did not run:\n%s", f.out.String())
				}
			})
		}
	}
}

func TestPoolBoundsConcurrency(t *testing.T) {
	f := newFixture(t)
	f.opts.Jobs = 2
	var cur, peak atomic.Int32
	shape := func(f *fixture) []*Rule {
		var leaves []*Rule
		for i := range 6 {
			name := fmt.Sprintf("leaf%d", i)
			leaves = append(leaves, &Rule{
				Target: name, Outputs: []string{f.path(name)},
				Recipe: func(ctx context.Context, j *Job) error {
					n := cur.Add(1)
					for {
						p := peak.Load()
						if n <= p || peak.CompareAndSwap(p, n) {
							break
						}
					}
					time.Sleep(50 * time.Millisecond)
					cur.Add(-1)
					return os.WriteFile(j.Out(f.path(name)), nil, 0o644)
				},
			})
		}
		all := &Rule{Target: "all", Deps: leaves, Recipe: func(context.Context, *Job) error { return nil }}
		return append(leaves, all)
	}
	if _, err := f.run(shape, "all"); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak concurrency %d, want exactly 2 with JOBS=2", p)
	}
}

func TestNestedDependenciesDoNotDeadlock(t *testing.T) {
	f := newFixture(t)
	f.opts.Jobs = 1
	f.write("l1.in", "x")
	done := make(chan error, 1)
	go func() {
		_, err := f.run(func(f *fixture) []*Rule {
			rules := chain(f)
			// A rule that holds every slot, above the chain.
			big := f.rule("big", []*Rule{rules[3]})
			big.Slots = 8
			return append(rules, big)
		}, "big")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("JOBS=1 build of a dependency chain did not finish: deadlock")
	}
}

func TestDryRunTouchesNothing(t *testing.T) {
	f := newFixture(t)
	for _, in := range []string{"a.in", "b.in", "c.in", "d.in"} {
		f.write(in, in)
	}
	f.mustRun(diamond, []string{"a", "b", "c", "d"}, "d")
	f.touch("b.in")
	os.Remove(f.path("c.out"))
	before := snapshot(t, f.dir)
	f.opts.DryRun = true
	ran, err := f.run(diamond, "d")
	if err != nil {
		t.Fatal(err)
	}
	if len(ran) != 0 {
		t.Fatalf("dry run ran recipes: %v", ran)
	}
	if after := snapshot(t, f.dir); !maps_equal(before, after) {
		t.Fatalf("dry run changed files:\nbefore %v\nafter  %v", before, after)
	}
	out := f.out.String()
	for _, want := range []string{
		"would run b: input " + f.path("b.in"),
		"would run c: output " + f.path("c.out") + " is missing",
		"would run d: dependency b will run; dependency c will run",
		"up to date a",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
}

func TestDryRunCreatesNoState(t *testing.T) {
	f := newFixture(t)
	f.write("l1.in", "x")
	f.opts.DryRun = true
	if _, err := f.run(chain, "l4"); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(f.dir)
	if len(ents) != 1 {
		t.Fatalf("dry run created files: %v", ents)
	}
	if !strings.Contains(f.out.String(), "would run l1: never built") {
		t.Fatalf("plan:\n%s", f.out.String())
	}
}

// snapshot maps every path below dir to its size and modification time.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		m[p] = fmt.Sprintf("%d@%d", fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	return m
}

func maps_equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestLockRefusesSecondRun(t *testing.T) {
	f := newFixture(t)
	opts := Options{
		StateDir: f.path(".vswarmu"),
		UI:       ui.New(&f.out, false),
		Hints:    Hints{LockWait: "set LOCK_WAIT=1 to wait"},
	}
	g1, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer g1.Close()
	r1 := &Rule{Target: "x", Recipe: func(context.Context, *Job) error { return nil }}
	g1.MustAdd(r1)
	if err := g1.Build(context.Background(), r1); err != nil {
		t.Fatal(err)
	}
	g2, _ := New(opts)
	r2 := &Rule{Target: "x", Recipe: func(context.Context, *Job) error { return nil }}
	g2.MustAdd(r2)
	err = g2.Build(context.Background(), r2)
	if err == nil || !strings.Contains(err.Error(), "is in use by another run (pid ") ||
		!strings.Contains(err.Error(), "LOCK_WAIT=1") {
		t.Fatalf("second run on the same working directory: %v", err)
	}
	// With LOCK_WAIT it waits, and proceeds when the first run ends.
	opts.LockWait = true
	g3, _ := New(opts)
	r3 := &Rule{Target: "x", Recipe: func(context.Context, *Job) error { return nil }}
	g3.MustAdd(r3)
	go func() { time.Sleep(300 * time.Millisecond); g1.Close() }()
	if err := g3.Build(context.Background(), r3); err != nil {
		t.Fatalf("waiting run: %v", err)
	}
	g3.Close()
}

func TestStatusAndWhy(t *testing.T) {
	f := newFixture(t)
	for _, in := range []string{"a.in", "b.in", "c.in", "d.in"} {
		f.write(in, in)
	}
	f.mustRun(diamond, []string{"a", "b", "c", "d"}, "d")
	f.params["a"] = "new"
	g, err := New(Options{StateDir: f.path(".vswarmu"), UI: ui.New(&f.out, false)})
	if err != nil {
		t.Fatal(err)
	}
	g.MustAdd(diamond(f)...)
	d, _ := g.Rule("d")
	vs, err := g.Evaluate(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	stale := map[string]string{}
	for _, v := range vs {
		if v.Stale {
			stale[v.Rule.Target] = strings.Join(v.Reasons, "; ")
		}
	}
	if len(stale) != 4 || !strings.Contains(stale["a"], "parameters changed: value \"\" → new") ||
		!strings.Contains(stale["b"], "dependency a will run") {
		t.Fatalf("stale rules: %v", stale)
	}
	v, _, err := g.Explain(context.Background(), d)
	if err != nil || !v.Stale || v.Record == nil || v.Record.Status != "ok" {
		t.Fatalf("explain d: %+v, %v", v, err)
	}
	checkDiagrams(t, g)
}

// checkDiagrams checks the DOT and Mermaid drawings of the diamond with a
// stale "a".
func checkDiagrams(t *testing.T, g *Graph) {
	t.Helper()
	var dot, mm bytes.Buffer
	WriteDOT(&dot, g.Rules(), map[string]bool{"a": true})
	WriteMermaid(&mm, g.Rules(), map[string]bool{"a": true})
	for _, want := range []string{`"a" -> "b";`, `"b" -> "d";`, `"c" -> "d";`, `"a" [tooltip="", style="rounded,filled"`} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("DOT lacks %q:\n%s", want, dot.String())
		}
	}
	for _, want := range []string{"flowchart LR", "r0 --> r1", "r2 --> r3", "class r0 stale"} {
		if !strings.Contains(mm.String(), want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, mm.String())
		}
	}
}

func TestMissingInputNamesRule(t *testing.T) {
	f := newFixture(t)
	_, err := f.run(chain, "l4")
	if err == nil ||
		!strings.Contains(err.Error(), "rule l1: input "+f.path("l1.in")+" does not exist and no rule makes it") {
		t.Fatalf("missing input: %v", err)
	}
}

func TestForce(t *testing.T) {
	f := newFixture(t)
	f.write("l1.in", "x")
	f.mustRun(chain, []string{"l1", "l2", "l3", "l4"}, "l4")
	f.opts.Force = "l2"
	f.mustRun(chain, []string{"l2", "l3", "l4"}, "l4")
	f.opts.Force = "all"
	f.mustRun(chain, []string{"l1", "l2", "l3", "l4"}, "l4")
}

func TestGlobsDirectoriesAndExcludes(t *testing.T) {
	f := newFixture(t)
	f.write("src/a.c", "a")
	f.write("src/sub/b.c", "b")
	f.write("src/sub/notes.txt", "n")
	f.write("src/build/x.o", "o")
	shape := func(f *fixture) []*Rule {
		r := f.rule("globbed", nil)
		r.Inputs = []string{f.path("src/**/*.c")}
		d := f.rule("walked", nil)
		d.Inputs = []string{f.path("src"), "!" + f.path("src/build")}
		return []*Rule{r, d}
	}
	f.mustRun(shape, []string{"globbed", "walked"}, "globbed", "walked")
	f.touch("src/sub/notes.txt") // not a .c file: only the directory input sees it
	f.mustRun(shape, []string{"walked"}, "globbed", "walked")
	f.touch("src/build/x.o") // excluded
	f.mustRun(shape, nil, "globbed", "walked")
	f.touch("src/sub/b.c")
	f.mustRun(shape, []string{"globbed", "walked"}, "globbed", "walked")
	os.Remove(f.path("src/a.c")) // a deletion changes the directory's time
	f.mustRun(shape, []string{"walked"}, "globbed", "walked")
}

func TestMatchPath(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"a/**/*.c", "a/x.c", true},
		{"a/**/*.c", "a/b/c/x.c", true},
		{"a/**/*.c", "a/b/x.h", false},
		{"a/*/x", "a/b/x", true},
		{"a/*/x", "a/b/c/x", false},
		{"**", "anything/at/all", true},
		{"a/**", "a", true},
	}
	for _, c := range cases {
		if got := matchPath(c.pattern, c.name); got != c.want {
			t.Errorf("matchPath(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

// checkout is a rule that makes a source tree in place (its output is a
// stamp inside it) and a rule that reads a file of that tree.
func checkout(f *fixture) []*Rule {
	src := &Rule{
		Target: "source", Outputs: []string{f.path("tree/.stamp")}, InPlace: true, Tree: f.path("tree"),
		Recipe: func(ctx context.Context, j *Job) error {
			f.mu.Lock()
			f.runs = append(f.runs, "source")
			f.mu.Unlock()
			os.MkdirAll(f.path("tree/util"), 0o755)
			os.WriteFile(f.path("tree/util/SConstruct"), []byte("x"), 0o644)
			return os.WriteFile(f.path("tree/.stamp"), nil, 0o644)
		},
	}
	tool := f.rule("tool", []*Rule{src}, "tree/util/SConstruct")
	return []*Rule{src, tool}
}

// TestInputInsideADependencysTree: before the tree exists, an input in it
// counts as made by the rule that makes the tree: a dry run plans both,
// status judges both, and the build runs them in order.
func TestInputInsideADependencysTree(t *testing.T) {
	f := newFixture(t)
	f.opts.DryRun = true
	if _, err := f.run(checkout, "tool"); err != nil {
		t.Fatalf("dry run on a fresh tree: %v\n%s", err, f.out.String())
	}
	if out := f.out.String(); !strings.Contains(out, "would run tool: never built") ||
		!strings.Contains(out, "dependency source will run") {
		t.Fatalf("plan:\n%s", out)
	}
	f.opts.DryRun = false
	f.mustRun(checkout, []string{"source", "tool"}, "tool")
	f.mustRun(checkout, nil, "tool")
}

// TestLockWaitJudgesAfterTheLock: a run that waits for the working
// directory's lock judges its rules once it holds the lock, from the build
// log the first run has just finished; it does not rerun what that run
// made (it used to see the first run's "started" record and rebuild).
func TestLockWaitJudgesAfterTheLock(t *testing.T) {
	f := newFixture(t)
	f.write("l1.in", "x")
	release := make(chan struct{})
	started := make(chan struct{})
	slow := func(f *fixture) []*Rule {
		rules := chain(f)
		inner := rules[0].Recipe
		rules[0].Recipe = func(ctx context.Context, j *Job) error {
			select {
			case <-started:
			default:
				close(started)
				<-release
			}
			return inner(ctx, j)
		}
		return rules
	}
	newGraph := func(wait bool) *Graph {
		g, err := New(
			Options{
				StateDir: f.path(".vswarmu"),
				LogDir:   f.path("logs"),
				LockWait: wait,
				UI:       ui.New(io.Discard, false),
			},
		)
		if err != nil {
			t.Fatal(err)
		}
		g.MustAdd(slow(f)...)
		return g
	}
	first := newGraph(false)
	done := make(chan error)
	go func() {
		l4, _ := first.Rule("l4")
		done <- first.Build(context.Background(), l4)
		first.Close()
	}()
	<-started // the first run holds the lock and has logged l1 as started
	second := newGraph(true)
	defer second.Close()
	waited := make(chan error)
	go func() {
		l4, _ := second.Rule("l4")
		waited <- second.Build(context.Background(), l4)
	}()
	time.Sleep(100 * time.Millisecond)
	f.mu.Lock()
	before := len(f.runs)
	f.mu.Unlock()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if ran := f.runs[before:]; len(ran) != 4 {
		t.Fatalf("the waiting run reran %v after the first run built l1..l4", ran[4:])
	}
}

func TestParameterChangesInTheirOwnWords(t *testing.T) {
	long := strings.Repeat("line\n", 3)
	cases := []struct {
		old, cur map[string]string
		want     string
	}{
		{map[string]string{"KVERSION": "v5.4.84"}, map[string]string{"KVERSION": "v6.1"}, "KVERSION v5.4.84 → v6.1"},
		{
			map[string]string{"runs": "fibonacci-go fibonacci-nodejs fibonacci-python"},
			map[string]string{"runs": "aes-go fibonacci-go fibonacci-nodejs"},
			"runs: added aes-go, removed fibonacci-python",
		},
		{Params{"script": long}.summary(), Params{"script": long + "more\n"}.summary(), "script changed"},
		{map[string]string{"x": "a b"}, map[string]string{"x": "b a"}, "x reordered"},
		{map[string]string{}, map[string]string{"SYSTEM": "skylake"}, "SYSTEM added (skylake)"},
		{map[string]string{"FORCE": ""}, map[string]string{}, `FORCE removed (was "")`},
	}
	for _, c := range cases {
		if got := strings.Join(diffParams(c.old, c.cur), "; "); got != c.want {
			t.Errorf("%v → %v: %q, want %q", c.old, c.cur, got, c.want)
		}
	}
}

// TestRecordsAreKeyedByOutputs: one target whose outputs depend on a
// setting keeps a build-log record per set of outputs, so going back to a
// setting finds its outputs up to date; a setting that changes only the
// parameters (the same outputs) reruns the rule; a record written before
// records were keyed by outputs (under the bare target) is still read.
func TestRecordsAreKeyedByOutputs(t *testing.T) {
	f := newFixture(t)
	f.write("in", "x")
	shape := func(setting, output string) func(f *fixture) []*Rule {
		return func(f *fixture) []*Rule {
			r := f.rule("ckpt", nil, "in")
			r.Outputs = []string{f.path("ckpt-" + output + ".out")}
			r.Params = Params{"TOPOLOGY": setting}
			out := r.Outputs[0]
			r.Recipe = func(ctx context.Context, j *Job) error {
				f.mu.Lock()
				f.runs = append(f.runs, "ckpt "+setting)
				f.mu.Unlock()
				return os.WriteFile(j.Out(out), []byte(setting), 0o644)
			}
			return []*Rule{r}
		}
	}
	f.mustRun(shape("single", "single"), []string{"ckpt single"}, "ckpt")
	f.mustRun(shape("two", "two"), []string{"ckpt two"}, "ckpt")
	f.mustRun(shape("single", "single"), nil, "ckpt")
	f.mustRun(shape("two", "two"), nil, "ckpt")
	// The same outputs: each switch is a parameter change.
	f.mustRun(shape("other", "single"), []string{"ckpt other"}, "ckpt")
	f.mustRun(shape("single", "single"), []string{"ckpt single"}, "ckpt")

	// An older log: its record under the bare target still counts.
	log := f.path(".vswarmu/build.log")
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	old := regexp.MustCompile(`ckpt @[0-9a-f]+`).ReplaceAllString(string(b), "ckpt")
	if old == string(b) {
		t.Fatalf("the build log keys no record by its outputs:\n%s", b)
	}
	if err := os.WriteFile(log, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	f.mustRun(shape("single", "single"), nil, "ckpt")
}

// TestDependencyNamedTwiceIsSaidOnce: a rule that lists the same
// dependency twice (two files one rule makes) says once that it will run.
func TestDependencyNamedTwiceIsSaidOnce(t *testing.T) {
	f := newFixture(t)
	f.write("a.in", "a")
	a := f.rule("a", nil, "a.in")
	b := f.rule("b", []*Rule{a, a})
	g, err := New(Options{StateDir: f.path(".vswarmu"), UI: ui.New(&f.out, false)})
	if err != nil {
		t.Fatal(err)
	}
	g.MustAdd(a, b)
	v, _, err := g.Explain(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(v.Reason(), "dependency a will run"); n != 1 {
		t.Fatalf("said %d times: %s", n, v.Reason())
	}
}
