package results

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The comparison with vSwarm-u's published table (docs/vswarm-u.md) lists
// this project's committed runs of fibonacci in Go, Node.js and Python in
// their containers on a real gem5; each row's figures are read back from
// its run's dump here, so the page cannot drift from the records.

// tableRow is one row of the page's comparison: the run and its figures
// per measured invocation as printed.
type tableRow struct {
	run                   string // under results/, e.g. testdata/real-debian-table/fibonacci-go@o3
	cycles, insts, ipc    string
	llcMPKI, functionName string
}

// comparisonRows reads the page's rows that name a committed run.
func comparisonRows(t *testing.T) []tableRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "vswarm-u.md"))
	if err != nil {
		t.Fatal(err)
	}
	runCell := regexp.MustCompile("`results/(testdata/[^`]+)`")
	var rows []tableRow
	for _, line := range strings.Split(string(b), "\n") {
		m := runCell.FindStringSubmatch(line)
		if m == nil || !strings.HasPrefix(line, "| ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 8 {
			t.Fatalf("docs/vswarm-u.md: a comparison row has %d cells, want 8: %q", len(cells), line)
		}
		rows = append(rows, tableRow{run: m[1], functionName: cells[0], cycles: cells[3], insts: cells[4],
			ipc: cells[5], llcMPKI: cells[6]})
	}
	return rows
}

// figure reads "1.03 M", "166 k" or "0.352" with the precision it is
// printed to: the value and half its last digit.
func figure(t *testing.T, s string) (value, tolerance float64) {
	t.Helper()
	s = strings.TrimSpace(s)
	scale := 1.0
	if v, ok := strings.CutSuffix(s, " M"); ok {
		s, scale = v, 1e6
	} else if v, ok := strings.CutSuffix(s, " k"); ok {
		s, scale = v, 1e3
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil {
		t.Fatalf("docs/vswarm-u.md: %q is no figure", s)
	}
	decimals := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		decimals = len(s) - i - 1
	}
	return v * scale, 0.5 * math.Pow(10, -float64(decimals)) * scale
}

func TestVswarmuComparisonMatchesTheRuns(t *testing.T) {
	rows := comparisonRows(t)
	languages := map[string]bool{}
	for _, r := range rows {
		languages[r.functionName] = true
	}
	if len(rows) < 6 || len(languages) != 3 {
		t.Fatalf("docs/vswarm-u.md's comparison names %d committed runs of %d functions, want Go, Node.js and Python on two memories", len(rows), len(languages))
	}
	for _, r := range rows {
		t.Run(r.run, func(t *testing.T) {
			run, err := LoadRun(r.run)
			if err != nil {
				t.Fatal(err)
			}
			_, cpu, ok := run.Measured()
			if !ok || run.Meta.Invocations != 10 || run.Meta.Function != r.functionName {
				t.Fatalf("run of %q with %d invocations measured %q (%s)", run.Meta.Function, run.Meta.Invocations, cpu.Name, run.Why)
			}
			n := float64(run.Meta.Invocations)
			insts, _ := cpu.Instructions.Value.Float()
			cycles, _ := cpu.Cycles.Value.Float()
			llc := cpu.L2
			if cpu.L3.Valid {
				llc = cpu.L3
			}
			for _, c := range []struct {
				name, printed string
				got           float64
			}{
				{"cycles per invocation", r.cycles, cycles / n},
				{"committed instructions per invocation", r.insts, insts / n},
				{"IPC", r.ipc, insts / cycles},
				{"own LLC MPKI", r.llcMPKI, llc.Value},
			} {
				want, tol := figure(t, c.printed)
				if math.Abs(c.got-want) > tol*1.0001 {
					t.Errorf("%s: the dump gives %.4g, docs/vswarm-u.md says %s", c.name, c.got, c.printed)
				}
			}
			p := run.Provenance
			if p.Standin || p.ExecMode != "container" || p.Gem5Version != "24.0.0.1" || p.Gem5SHA256 == "" ||
				!strings.Contains(p.Memory, "Memory") && !strings.Contains(p.Memory, "DDR") {
				t.Errorf("provenance: %+v", p)
			}
			// The console is kept: the client checked every reply, and none was wrong.
			if _, err := os.Stat(filepath.Join(r.run, ConsoleFiles[0])); err != nil {
				t.Errorf("the run's console is not kept: %v", err)
			}
			if lines, n := wrongReplies(r.run, 1); n != 0 {
				t.Errorf("%d wrong replies, the first: %s", n, lines[0])
			}
			if run.Meta.Status != "ok" {
				t.Errorf("status %q", run.Meta.Status)
			}
			// Measured on a gem5 probed not to misexecute what the image holds.
			if why := suspicion(run.Meta); why != "" || run.Meta.Gem5Probe == nil {
				t.Errorf("suspect or unprobed: %q", why)
			}
		})
	}
}
