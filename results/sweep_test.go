package results

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A sweep of two points over two functions, from real gem5 outputs: the
// second point's runs are another gem5 run, so its cycles differ.
func TestSweepReport(t *testing.T) {
	dir := t.TempDir()
	points := []SweepPoint{
		{Name: "detailed_cpu=timing", Values: [][2]string{{"detailed_cpu", "timing"}}},
		{Name: "detailed_cpu=o3", Values: [][2]string{{"detailed_cpu", "o3"}}},
	}
	from := map[string]string{"detailed_cpu=timing": "02-x86-atomic-se-v21", "detailed_cpu=o3": "03-x86-o3-se-v23"}
	for _, p := range points {
		for _, fn := range []string{"fibonacci-go", "aes-go"} {
			run := filepath.Join(dir, p.Name, fn)
			os.MkdirAll(run, 0o755)
			for _, f := range []string{"stats.txt", "config.json"} {
				b, err := os.ReadFile(filepath.Join("testdata/gem5-stats", from[p.Name], f))
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(run, f), b, 0o644)
			}
		}
	}
	s := Sweep{
		Name:      "cpus",
		Dir:       dir,
		Points:    points,
		Baseline:  "detailed_cpu=timing",
		Functions: []string{"fibonacci-go", "aes-go"},
	}
	if err := s.Write(func(p string) string { return p }); err != nil {
		t.Fatal(err)
	}
	a, _ := LoadRun(filepath.Join(dir, "detailed_cpu=timing", "aes-go"))
	b, _ := LoadRun(filepath.Join(dir, "detailed_cpu=o3", "aes-go"))
	va, _ := measuredValues(a)
	vb, _ := measuredValues(b)
	speedup := fmt.Sprintf("%.3f×", va["cycles"]/vb["cycles"])

	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	for _, want := range []string{"# Sweep cpus", "2 points × 2 functions; baseline detailed_cpu=timing", "| P1 (baseline) | timing |",
		"| P2 | o3 |", "## Speedup against the baseline", "| aes-go | 1.000× | " + speedup + " |", "## cycles"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}
	f, _ := os.Open(filepath.Join(dir, "report.csv"))
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) < 1+2*2*3 || recs[0][0] != "point" || recs[0][1] != "detailed_cpu" {
		t.Fatalf("report.csv: %v, %d rows, header %v", err, len(recs), recs[0])
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if strings.Count(string(html), "<svg") < 3 || !strings.Contains(string(html), "cycles by point") {
		t.Errorf("report.html has %d plots", strings.Count(string(html), "<svg"))
	}
}

func TestSweepReportWithoutRuns(t *testing.T) {
	s := Sweep{
		Name:      "none",
		Dir:       t.TempDir(),
		Points:    []SweepPoint{{Name: "a"}},
		Baseline:  "a",
		Functions: []string{"f"},
	}
	if err := s.Write(func(p string) string { return p }); err == nil || !strings.Contains(err.Error(), "no run") {
		t.Fatalf("%v", err)
	}
}
