package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The lukewarm report: for each function, its measured invocations back to
// back against the same invocations interleaved with the other functions'
// (results-lukewarm/<function>-<schedule>), and how CPI and the misses per
// kilo-instruction changed.

// lukewarmFigures are the figures compared, in report order.
var lukewarmFigures = []string{"CPI", "CPI (busy)", "L1I MPKI", "L1D MPKI", "L2 MPKI", "L3 MPKI", "branch MPKI"}

// LukewarmWriter writes the lukewarm report of Dir's runs.
type LukewarmWriter struct {
	Dir       string   // results-lukewarm
	Functions []string // the set, in order
	Labels    string   // another system or core type ("" for the default): its runs and report carry @Labels
}

// suffix is what the runs' and the report's names end with.
func (w LukewarmWriter) suffix() string {
	if w.Labels == "" {
		return ""
	}
	return "@" + w.Labels
}

// Files are report.md and report.csv in Dir (report@<labels>.md ...).
func (w LukewarmWriter) Files() []string {
	return []string{filepath.Join(w.Dir, "report"+w.suffix()+".md"), filepath.Join(w.Dir, "report"+w.suffix()+".csv")}
}

// lukewarmRow is one function's figures in both schedules.
type lukewarmRow struct {
	Function            string
	BackToBack, Between []float64 // in lukewarmFigures' order (NaN: unknown)
	Standin             bool
	Problem             string
}

// figuresOf reads a lukewarm run's figures of the measured core.
func figuresOf(dir string) ([]float64, bool, error) {
	run, err := LoadRun(dir)
	if err != nil {
		return nil, false, err
	}
	_, c, ok := run.Measured()
	if !ok {
		return nil, run.Provenance.Standin, fmt.Errorf("%s: %s", dir, run.Why)
	}
	cpi, _ := c.CPIValue()
	busyCPI := math.NaN()
	if b := c.BusyIPC(); !math.IsNaN(b) && b > 0 {
		busyCPI = 1 / b
	}
	return []float64{
			cpi,
			busyCPI,
			valueOrNaN(c.L1I),
			valueOrNaN(c.L1D),
			valueOrNaN(c.L2),
			valueOrNaN(c.L3),
			valueOrNaN(c.Branch),
		},
		run.Provenance.Standin, nil
}

// rows reads every function's two runs.
func (w LukewarmWriter) rows() []lukewarmRow {
	var out []lukewarmRow
	for _, fn := range w.Functions {
		r := lukewarmRow{Function: fn}
		var errs []string
		var s1, s2 bool
		var err error
		if r.BackToBack, s1, err = figuresOf(filepath.Join(w.Dir, fn+"-back-to-back"+w.suffix())); err != nil {
			errs = append(errs, err.Error())
		}
		if r.Between, s2, err = figuresOf(filepath.Join(w.Dir, fn+"-interleaved"+w.suffix())); err != nil {
			errs = append(errs, err.Error())
		}
		r.Standin, r.Problem = s1 || s2, strings.Join(errs, "; ")
		out = append(out, r)
	}
	return out
}

// change is the relative change from a to b ("–" when unknown).
func change(a, b float64) string {
	if math.IsNaN(a) || math.IsNaN(b) || a == 0 {
		return "–"
	}
	return fmt.Sprintf("%+.1f%%", (b-a)/a*100)
}

func at(v []float64, i int) float64 {
	if i >= len(v) {
		return math.NaN()
	}
	return v[i]
}

// Write writes the report files to out(file) and returns one summary line
// per function.
func (w LukewarmWriter) Write(out func(string) string) ([]string, error) {
	rows := w.rows()
	var b strings.Builder
	fmt.Fprintf(
		&b,
		"# Lukewarm: back to back against interleaved%s\n\nGenerated %s from %s.\n\n",
		w.suffix(),
		time.Now().Format(time.RFC1123),
		w.Dir,
	)
	b.WriteString(
		"Every function of the set (" + strings.Join(w.Functions, ", ") + ") runs on core 1 from one checkpoint. " +
			"Back to back: the measured function's invocations follow each other. Interleaved: before each of them every other " +
			"function of the set is invoked once (round robin), outside the measured work items. The change is interleaved against back to back; " +
			"the MPKI of a shared cache counts the measured core's own misses.\n\n",
	)
	var summary []string
	standin := false
	b.WriteString("| function | figure | back to back | interleaved | change |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		standin = standin || r.Standin
		if r.Problem != "" {
			fmt.Fprintf(&b, "| %s | – | – | – | %s |\n", r.Function, r.Problem)
			summary = append(summary, r.Function+": "+r.Problem)
			continue
		}
		for i, f := range lukewarmFigures {
			fmt.Fprintf(
				&b,
				"| %s | %s | %s | %s | %s |\n",
				r.Function,
				f,
				fixed(at(r.BackToBack, i), 4),
				fixed(at(r.Between, i), 4),
				change(at(r.BackToBack, i), at(r.Between, i)),
			)
		}
		summary = append(
			summary,
			fmt.Sprintf("%-20s CPI %s → %s (%s), L1I MPKI %s → %s, branch MPKI %s → %s", r.Function,
				fixed(r.BackToBack[0], 3), fixed(r.Between[0], 3), change(r.BackToBack[0], r.Between[0]),
				fixed(r.BackToBack[2], 2), fixed(r.Between[2], 2), fixed(r.BackToBack[6], 2), fixed(r.Between[6], 2)),
		)
	}
	if standin {
		b.WriteString(
			"\n> **" + StandinMark + ": runs made by the stand-in gem5; the numbers are not measurements.**\n",
		)
		for i := range summary {
			summary[i] += " " + StandinMark
		}
	}
	files := w.Files()
	if err := os.WriteFile(out(files[0]), []byte(b.String()), 0o644); err != nil {
		return summary, err
	}
	f, err := os.Create(out(files[1]))
	if err != nil {
		return summary, err
	}
	defer f.Close()
	return summary, w.writeCSV(f, rows, standin)
}

func (w LukewarmWriter) writeCSV(f io.Writer, rows []lukewarmRow, standin bool) error {
	cw := csv.NewWriter(f)
	_ = cw.Write([]string{"function", "figure", "back_to_back", "interleaved", "change", "standin"})
	for _, r := range rows {
		for i, fig := range lukewarmFigures {
			_ = cw.Write([]string{r.Function, fig, csvFloat(at(r.BackToBack, i)), csvFloat(at(r.Between, i)),
				change(at(r.BackToBack, i), at(r.Between, i)), fmt.Sprint(standin)})
		}
	}
	cw.Flush()
	return cw.Error()
}
