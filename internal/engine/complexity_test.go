package engine

import (
	"testing"

	"github.com/fzipp/gocyclo"
)

// TestFunctionsStayReadable: no function of the engine (tests included)
// has a cyclomatic complexity above 15, so each reads in one go.
func TestFunctionsStayReadable(t *testing.T) {
	stats := gocyclo.Analyze([]string{"."}, nil)
	if len(stats) < 50 {
		t.Fatalf("analyzed only %d functions", len(stats))
	}
	for _, s := range stats.SortAndFilter(-1, 15) {
		t.Errorf("%s: %s has cyclomatic complexity %d (at most 15)", s.Pos, s.FuncName, s.Complexity)
	}
}
