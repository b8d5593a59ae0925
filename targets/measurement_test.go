package targets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// TestPerInvocationMeasurementWithTheStandin: MEASUREMENT=per-invocation
// dumps once per measured invocation, as gem5 writes dumps; the report
// shows the invocations' distributions, the cores' busy cycles and the
// simulated latency, keeps the STAND-IN mark, and going back to the
// window reruns only the evaluations.
func TestPerInvocationMeasurementWithTheStandin(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go", "NUM_INVOCATIONS=4", "ATOMIC_WARMING=2")
	per := append(append([]string(nil), env...), "MEASUREMENT=per-invocation")
	r := magetest.Mage(t, dir, per, "simulate:all")
	if r.Code != 0 {
		t.Fatalf("per-invocation: exit %d\n%s", r.Code, r.Output)
	}
	res := filepath.Join(dir, "wk", "results")
	stats, _ := os.ReadFile(filepath.Join(res, "fibonacci-go", "stats.txt"))
	if n := strings.Count(string(stats), "Begin Simulation Statistics"); n != 4 {
		t.Errorf("%d dumps, want one per measured invocation (4)", n)
	}
	log, _ := os.ReadFile(filepath.Join(res, "fibonacci-go", "gem5.log"))
	if !strings.Contains(string(log), "Start invokation 2 at tick ") ||
		!strings.Contains(string(log), "End invokation 5 at tick ") {
		t.Errorf("the log lacks the invocations' ticks:\n%s", log)
	}
	md, _ := os.ReadFile(filepath.Join(res, "report.md"))
	for _, want := range []string{"## Cores: busy cycles and utilisation", "## Invocations", "### fibonacci-go",
		"| latency µs | 4 |", "| cycles | 4 |", "| IPC (busy) | 4 |", "the sum of its 4 per-invocation dumps", "STAND-IN", "measurement per-invocation"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	r = magetest.Mage(t, dir, env, "simulate:all")
	if r.Code != 0 || strings.Contains(r.Output, "▶ simulate:setup") ||
		!strings.Contains(
			r.Output,
			"▶ simulate:fn:fibonacci-go — parameters changed: MEASUREMENT per-invocation → window",
		) {
		t.Fatalf("back to the window: exit %d, want only the evaluation\n%s", r.Code, r.Output)
	}
	md, _ = os.ReadFile(filepath.Join(res, "report.md"))
	if !strings.Contains(string(md), "| latency µs | 4 |") || strings.Contains(string(md), "| cycles | 4 |") {
		t.Errorf("a window run has its latencies and no per-invocation counters:\n%s", md)
	}
}
