package targets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// TestLukewarmWithTheStandin: simulate:lukewarm sets the three functions up
// together once, measures each back to back and interleaved from that one
// checkpoint, and writes the comparison; a change reruns only what it
// shapes.
func TestLukewarmWithTheStandin(t *testing.T) {
	dir, env := standinEnv(
		t,
		"FUNCTIONS=fibonacci-go,aes-go,auth-go",
		"EXEC_MODE=process",
		"NUM_INVOCATIONS=3",
		"ATOMIC_WARMING=2",
	)
	ran := func(r magetest.Result, prefix string) int { return strings.Count(r.Output, "▶ "+prefix) }
	r := magetest.Mage(t, dir, env, "simulate:lukewarm")
	if r.Code != 0 || ran(r, "simulate:lukewarm:setup ") != 1 || ran(r, "simulate:lukewarm:") != 7 ||
		ran(r, "simulate:setup:") != 0 {
		t.Fatalf("simulate:lukewarm: exit %d, want one setup and six evaluations\n%s", r.Code, r.Output)
	}
	script, _ := os.ReadFile(filepath.Join(dir, "wk", "scripts", "lukewarm.sh"))
	for _, want := range []string{"-cpus 1 /opt/vswarmu/functions/fibonacci-go/container.json -addr 0.0.0.0:50061",
		"-addr 0.0.0.0:50063", "$M5 fail 32", "$M5 readfile > /tmp/schedule.sh"} {
		if !strings.Contains(string(script), want) {
			t.Errorf("the lukewarm setup script lacks %q:\n%s", want, script)
		}
	}
	sched, _ := os.ReadFile(filepath.Join(dir, "wk", "scripts", "lukewarm-aes-go-interleaved.sh"))
	if !strings.Contains(
		string(sched),
		"-schedule interleaved -measure aes-go -functions fibonacci-go=localhost:50061,aes-go=localhost:50062,auth-go=localhost:50063 -n 5",
	) {
		t.Errorf("aes-go's interleaved schedule:\n%s", sched)
	}
	// Each measured invocation has its own dump: interleaved, the others'
	// invocations between them must not count.
	stats, _ := os.ReadFile(filepath.Join(dir, "wk", "results-lukewarm", "aes-go-interleaved", "stats.txt"))
	if n := strings.Count(string(stats), "Begin Simulation Statistics"); n != 3 {
		t.Errorf("aes-go interleaved: %d dumps, want one per measured invocation (3)", n)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "wk", "results-lukewarm", "report.md"))
	for _, want := range []string{"| aes-go | CPI |", "| auth-go | L1I MPKI |", "STAND-IN"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	for _, c := range []struct {
		env          []string
		setup, evals int
	}{
		{nil, 0, 0},                           // nothing changed
		{[]string{"SYSTEM=skylake"}, 0, 6},    // another system: its own evaluations, kept apart
		{nil, 0, 0},                           // back to the default system: its runs were kept, nothing to do
		{[]string{"NUM_INVOCATIONS=4"}, 0, 6}, // the evaluations only
		{[]string{"LUKEWARM_FUNCTIONS=aes-go,auth-go"}, 1, 4}, // another set: its own setup
	} {
		r := magetest.Mage(t, dir, append(append([]string(nil), env...), c.env...), "simulate:lukewarm")
		if r.Code != 0 || ran(r, "simulate:lukewarm:setup ") != c.setup ||
			ran(r, "simulate:lukewarm:")-ran(r, "simulate:lukewarm:setup ") != c.evals {
			t.Fatalf("%v: exit %d, want %d setup and %d evaluations\n%s", c.env, r.Code, c.setup, c.evals, r.Output)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "wk", "results-lukewarm", "report@skylake.md")); err != nil {
		t.Errorf("skylake's lukewarm report: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "wk", "results-lukewarm", "aes-go-interleaved@skylake", "stats.txt")); err != nil {
		t.Errorf("skylake's runs are not kept apart: %v", err)
	}
	if r := magetest.Mage(t, dir, append(append([]string(nil), env...), "EXEC_MODE=container"), "simulate:lukewarm"); r.Code == 0 ||
		!strings.Contains(r.Output, "set EXEC_MODE=process") {
		t.Errorf("container mode: exit %d\n%s", r.Code, r.Output)
	}
}
