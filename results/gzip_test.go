package results

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportReadsGzippedRuns: a run kept as stats.txt.gz and config.ini.gz
// (as gem5 writes them when asked, and as the committed real runs are) is
// read where it lies, with the same numbers as its unpacked copy.
func TestReportReadsGzippedRuns(t *testing.T) {
	root := filepath.Join("testdata", "real-debian-container-fixed")
	rep := Build(root, []string{"fibonacci-go"}, 10)
	if len(rep.Errors) > 0 || len(rep.Runs) == 0 {
		t.Fatalf("report on %s: %d runs, errors %v", root, len(rep.Runs), rep.Errors)
	}
	for _, run := range rep.Runs {
		if !strings.HasSuffix(run.Stats.File, "stats.txt.gz") || run.Config == nil || !strings.HasSuffix(run.Config.File, ".gz") {
			t.Errorf("%s: read %s and %v, want the .gz files", run.Name, run.Stats.File, run.Config)
		}
		plain, err := LoadRun(unpackRun(t, filepath.Join(root, run.Name)))
		if err != nil {
			t.Fatal(err)
		}
		_, pc, pok := plain.Measured()
		_, gc, gok := run.Measured()
		if len(plain.Dumps) != len(run.Dumps) || pok != gok || pc.Instructions != gc.Instructions || pc.Cycles != gc.Cycles {
			t.Errorf("%s: the gzipped run reads differently from its unpacked copy", run.Name)
		}
	}
	var md bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil || !strings.Contains(md.String(), "fibonacci-go") {
		t.Fatalf("report.md of the gzipped runs: %v\n%s", err, md.String())
	}
	for _, c := range rep.Checks {
		if c.Outcome == Failed && strings.Contains(c.Reason, "stats.txt") {
			t.Errorf("%s: %s", c.Run, c.Reason)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "fibonacci-go", "stats.txt")); err == nil {
		t.Fatal("the committed run is not gzipped any more: this test reads nothing compressed")
	}
}
