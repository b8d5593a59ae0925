package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

const (
	benchRules  = 1000
	benchInputs = 10 // per rule: 10,000 input files
)

var benchTree struct {
	once sync.Once
	dir  string
	err  error
}

// benchDeps are rule i's dependencies: a layered graph with fan-in of two.
func benchDeps(i int) []int {
	switch {
	case i == 0:
		return nil
	case i < 10:
		return []int{i - 1}
	}
	return []int{i - 1, i / 2}
}

func benchInput(dir string, i, k int) string {
	return dir + "/src/d" + strconv.Itoa(i/10) + "/f" + strconv.Itoa(i) + "-" + strconv.Itoa(k) + ".c"
}

func benchOutput(dir string, i int) string { return dir + "/out/r" + strconv.Itoa(i) + ".o" }

// benchRulesFor makes the 1,000 rules (their recipes touch the output).
func benchRulesFor(dir string) []*Rule {
	rules := make([]*Rule, benchRules)
	for i := range rules {
		in := make([]string, benchInputs)
		for k := range in {
			in[k] = benchInput(dir, i, k)
		}
		var deps []*Rule
		for _, d := range benchDeps(i) {
			deps = append(deps, rules[d])
		}
		out := benchOutput(dir, i)
		rules[i] = &Rule{Target: "r" + strconv.Itoa(i), Outputs: []string{out}, Inputs: in, Deps: deps,
			Params: Params{"flags": "-O2"}, Slots: -1,
			Recipe: func(ctx context.Context, j *Job) error { return os.WriteFile(j.Out(out), nil, 0o644) }}
	}
	return rules
}

// setupBenchTree builds the tree once: inputs, a real build of every rule
// (so the build log holds them), and the equivalent Makefile.
func setupBenchTree(b *testing.B) string {
	benchTree.once.Do(func() {
		dir, err := os.MkdirTemp("", "vswarmu-bench-")
		if err != nil {
			benchTree.err = err
			return
		}
		benchTree.dir = dir
		for i := 0; i < benchRules; i++ {
			for k := 0; k < benchInputs; k++ {
				p := benchInput(dir, i, k)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
					benchTree.err = err
					return
				}
			}
		}
		// The outputs are dated after the inputs by a stepped clock.
		g, err := New(
			Options{
				StateDir: filepath.Join(dir, ".vswarmu"),
				Jobs:     2,
				UI:       ui.New(io.Discard, false),
				FS:       &SteppedClock{},
			},
		)
		if err != nil {
			benchTree.err = err
			return
		}
		rules := benchRulesFor(dir)
		g.MustAdd(rules...)
		benchTree.err = g.Build(context.Background(), rules[len(rules)-1])
		g.Close()
		// No built-in implicit rules: the engine has none either.
		var mk strings.Builder
		mk.WriteString("MAKEFLAGS += --no-builtin-rules\n.SUFFIXES:\n")
		fmt.Fprintf(&mk, "all: %s\n", benchOutput(dir, benchRules-1))
		for i := 0; i < benchRules; i++ {
			fmt.Fprintf(&mk, "%s:", benchOutput(dir, i))
			for k := 0; k < benchInputs; k++ {
				fmt.Fprintf(&mk, " %s", benchInput(dir, i, k))
			}
			for _, d := range benchDeps(i) {
				fmt.Fprintf(&mk, " %s", benchOutput(dir, d))
			}
			mk.WriteString("\n\ttouch $@\n")
		}
		if err := os.WriteFile(filepath.Join(dir, "Makefile"), []byte(mk.String()), 0o644); err != nil {
			benchTree.err = err
		}
	})
	if benchTree.err != nil {
		b.Fatal(benchTree.err)
	}
	return benchTree.dir
}

// engineCheck is one no-op check: read the build log, make the graph,
// judge every rule.
func engineCheck(b *testing.B, dir string) {
	g, err := New(Options{StateDir: filepath.Join(dir, ".vswarmu"), UI: ui.New(io.Discard, false)})
	if err != nil {
		b.Fatal(err)
	}
	rules := benchRulesFor(dir)
	g.MustAdd(rules...)
	vs, err := g.Evaluate(context.Background(), rules[len(rules)-1])
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range vs {
		if v.Stale {
			b.Fatalf("%s is stale: %v", v.Rule.Target, v.Reasons)
		}
	}
	if len(vs) != benchRules {
		b.Fatalf("judged %d rules", len(vs))
	}
}

func makeCheck(b *testing.B, dir string) {
	cmd := exec.Command("make", "-q", "-f", filepath.Join(dir, "Makefile"), "all")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("make -q: %v (the tree is not up to date for make)\n%s", err, out)
	}
}

// BenchmarkNoOpCheck compares the engine's no-op check of 1,000 rules over
// 10,000 input files with GNU make -q on the same tree, in one run, and
// reports their ratio (goal: <= 1.0, and the engine under 100 ms).
func BenchmarkNoOpCheck(b *testing.B) {
	if _, err := exec.LookPath("make"); err != nil {
		b.Skip("GNU make not installed")
	}
	dir := setupBenchTree(b)
	engineCheck(b, dir) // warm the page cache for both
	makeCheck(b, dir)
	var engine, mk time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		engineCheck(b, dir)
		t1 := time.Now()
		makeCheck(b, dir)
		engine += t1.Sub(t0)
		mk += time.Since(t1)
	}
	b.ReportMetric(float64(engine.Microseconds())/1000/float64(b.N), "engine-ms/op")
	b.ReportMetric(float64(mk.Microseconds())/1000/float64(b.N), "make-ms/op")
	b.ReportMetric(float64(engine)/float64(mk), "engine/make")
}

// BenchmarkEngineCheck is the engine's part alone (for profiling).
func BenchmarkEngineCheck(b *testing.B) {
	dir := setupBenchTree(b)
	engineCheck(b, dir)
	b.ResetTimer()
	for range b.N {
		engineCheck(b, dir)
	}
}

// BenchmarkBuild compares a full build of the 1,000 rules (every output
// missing; each recipe writes its file) with JOBS=2 against GNU make -j2
// on the same tree, in one run, and reports their ratio: the scheduler's
// own cost beside make's.
func BenchmarkBuild(b *testing.B) {
	if _, err := exec.LookPath("make"); err != nil {
		b.Skip("GNU make not installed")
	}
	dir := setupBenchTree(b)
	var engine, mk time.Duration
	b.ResetTimer()
	for i := range b.N {
		clearOutputs(b, dir)
		t0 := time.Now()
		engineBuild(b, dir, filepath.Join(dir, ".bench-state", strconv.Itoa(i)))
		engine += time.Since(t0)
		clearOutputs(b, dir)
		t1 := time.Now()
		cmd := exec.Command("make", "-j2", "-s", "-f", filepath.Join(dir, "Makefile"), "all")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("make -j2: %v\n%s", err, out)
		}
		mk += time.Since(t1)
	}
	b.ReportMetric(float64(engine.Microseconds())/1000/float64(b.N), "engine-ms/op")
	b.ReportMetric(float64(mk.Microseconds())/1000/float64(b.N), "make-ms/op")
	b.ReportMetric(float64(engine)/float64(mk), "engine/make")
}

// clearOutputs empties the bench tree's output directory (the inputs stay).
func clearOutputs(b *testing.B, dir string) {
	b.StopTimer()
	defer b.StartTimer()
	out := filepath.Join(dir, "out")
	if err := os.RemoveAll(out); err != nil {
		b.Fatal(err)
	}
	if err := os.Mkdir(out, 0o755); err != nil {
		b.Fatal(err)
	}
}

// engineBuild builds every rule with a build log of its own in state.
func engineBuild(b *testing.B, dir, state string) {
	g, err := New(Options{StateDir: state, Jobs: 2, UI: ui.New(io.Discard, false)})
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	rules := benchRulesFor(dir)
	g.MustAdd(rules...)
	if err := g.Build(context.Background(), rules[len(rules)-1]); err != nil {
		b.Fatal(err)
	}
}
