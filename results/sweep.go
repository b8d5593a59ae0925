package results

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// SweepPoint is one point of a sweep: its name (the directory of its runs)
// and its parameters' values in the sweep's order.
type SweepPoint struct {
	Name   string
	Values [][2]string // parameter, value
}

// Sweep writes the report of a design-space sweep: per metric a table of
// functions × points, the speedup and MPKI change of every point against
// the baseline, and one plot per metric with the points side by side.
type Sweep struct {
	Name      string
	Dir       string // WORKING_DIR/sweeps/<name>: <point>/<function>/ hold the runs
	Points    []SweepPoint
	Baseline  string // a point's name
	Functions []string
}

// pointColors tell a sweep's points apart in its plots.
var pointColors = []color.RGBA{
	{R: 0x4e, G: 0x79, B: 0xa7, A: 0xff}, {R: 0xf2, G: 0x8e, B: 0x2b, A: 0xff}, {R: 0xe1, G: 0x57, B: 0x59, A: 0xff},
	{R: 0x76, G: 0xb7, B: 0xb2, A: 0xff}, {R: 0x59, G: 0xa1, B: 0x4f, A: 0xff}, {R: 0xed, G: 0xc9, B: 0x48, A: 0xff},
	{R: 0xb0, G: 0x7a, B: 0xa1, A: 0xff}, {R: 0xff, G: 0x9d, B: 0xa7, A: 0xff}, {R: 0x9c, G: 0x75, B: 0x5f, A: 0xff},
	{R: 0xba, G: 0xb0, B: 0xac, A: 0xff},
}

// sweepMetrics are the metrics a sweep report shows, in order; metrics
// no run has are left out.
var sweepMetrics = []string{
	"cycles",
	"instructions",
	"IPC",
	"L1I MPKI",
	"L1D MPKI",
	"L2 MPKI",
	"L3 MPKI",
	"branch MPKI",
}

// Files are report.md, report.csv and report.html in Dir.
func (s Sweep) Files() []string {
	return []string{
		filepath.Join(s.Dir, "report.md"),
		filepath.Join(s.Dir, "report.csv"),
		filepath.Join(s.Dir, "report.html"),
	}
}

// sweepData are the measured values: vals[metric][function][point].
type sweepData struct {
	s       Sweep
	vals    map[string][][]float64
	metrics []string
	standin bool
	missing []string // runs without measured numbers
}

// load reads every point's runs; a missing or failed run is NaN.
func (s Sweep) load() sweepData {
	d := sweepData{s: s, vals: map[string][][]float64{}}
	for _, m := range sweepMetrics {
		d.vals[m] = make([][]float64, len(s.Functions))
		for f := range s.Functions {
			d.vals[m][f] = slices.Repeat([]float64{math.NaN()}, len(s.Points))
		}
	}
	for pi, p := range s.Points {
		for fi, fn := range s.Functions {
			run, err := LoadRun(filepath.Join(s.Dir, p.Name, fn))
			vals, ok := map[string]float64(nil), false
			if err == nil {
				vals, ok = measuredValues(run)
				d.standin = d.standin || run.Provenance.Standin
			}
			if !ok {
				d.missing = append(d.missing, p.Name+"/"+fn)
				continue
			}
			for _, m := range sweepMetrics {
				d.vals[m][fi][pi] = vals[m]
			}
		}
	}
	for _, m := range sweepMetrics {
		if slices.ContainsFunc(d.vals[m], func(row []float64) bool {
			return slices.ContainsFunc(row, func(v float64) bool { return !math.IsNaN(v) })
		}) {
			d.metrics = append(d.metrics, m)
		}
	}
	return d
}

func (d sweepData) baseline() int {
	return max(0, slices.IndexFunc(d.s.Points, func(p SweepPoint) bool { return p.Name == d.s.Baseline }))
}

// speedup is baseline cycles over the point's cycles.
func (d sweepData) speedup(f, p int) float64 {
	c := d.vals["cycles"][f]
	return c[d.baseline()] / c[p]
}

// change is the point's value minus the baseline's.
func (d sweepData) change(metric string, f, p int) float64 {
	v := d.vals[metric][f]
	return v[p] - v[d.baseline()]
}

// Write writes the three report files through out (a temporary name, or
// the file itself).
func (s Sweep) Write(out func(string) string) error {
	d := s.load()
	if len(d.metrics) == 0 {
		return fmt.Errorf("sweep %s: %w under %s", s.Name, ErrNoRuns, s.Dir)
	}
	files := s.Files()
	for i, write := range []func(io.Writer) error{d.markdown, d.csv, d.html} {
		f, err := os.Create(out(files[i]))
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", filepath.Base(files[i]), err)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

func (d sweepData) warning() string {
	if !d.standin {
		return ""
	}
	return "STAND-IN: these runs were made by the stand-in gem5; the numbers are not measurements."
}

func fmtValue(metric string, v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case metric == "cycles" || metric == "instructions":
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// markdown writes the points, a table per metric, the speedups and MPKI
// changes against the baseline.
func (d sweepData) markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(
		&b,
		"# Sweep %s\n\n%d points × %d functions; baseline %s.\n\n",
		d.s.Name,
		len(d.s.Points),
		len(d.s.Functions),
		d.s.Baseline,
	)
	if msg := d.warning(); msg != "" {
		fmt.Fprintf(&b, "> **%s**\n\n", msg)
	}
	b.WriteString("## Points\n\n")
	d.table(&b, []string{"point"}, d.paramHeader(), func(pi int) []string { return d.paramValues(pi) })
	for _, m := range d.metrics {
		fmt.Fprintf(&b, "\n## %s\n\n", m)
		d.matrix(&b, func(f, p int) string { return fmtValue(m, d.vals[m][f][p]) })
	}
	if slices.Contains(d.metrics, "cycles") {
		b.WriteString("\n## Speedup against the baseline (baseline cycles / cycles)\n\n")
		d.matrix(&b, func(f, p int) string { return fmtRatio(d.speedup(f, p)) })
	}
	for _, m := range d.metrics {
		if strings.HasSuffix(m, "MPKI") {
			fmt.Fprintf(&b, "\n## %s change against the baseline\n\n", m)
			d.matrix(&b, func(f, p int) string { return fmtDelta(d.change(m, f, p)) })
		}
	}
	if len(d.missing) > 0 {
		fmt.Fprintf(&b, "\nNo measured numbers (failed or not run): %s\n", strings.Join(d.missing, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return fmt.Sprintf("%.3f×", v)
}

func fmtDelta(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%+.3f", v)
}

func (d sweepData) paramHeader() []string {
	if len(d.s.Points) == 0 {
		return nil
	}
	var h []string
	for _, v := range d.s.Points[0].Values {
		h = append(h, v[0])
	}
	return h
}

func (d sweepData) paramValues(pi int) []string {
	p := d.s.Points[pi]
	row := []string{fmt.Sprintf("P%d", pi+1)}
	if p.Name == d.s.Baseline {
		row[0] += " (baseline)"
	}
	for _, v := range p.Values {
		row = append(row, v[1])
	}
	return row
}

// table writes one row per point.
func (d sweepData) table(b *strings.Builder, first, header []string, row func(int) []string) {
	h := append(slices.Clone(first), header...)
	fmt.Fprintf(b, "| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat(" --- |", len(h)))
	for pi := range d.s.Points {
		fmt.Fprintf(b, "| %s |\n", strings.Join(row(pi), " | "))
	}
}

// matrix writes functions × points (P1, P2, ... as in the points table).
func (d sweepData) matrix(b *strings.Builder, cell func(f, p int) string) {
	h := []string{"function"}
	for pi := range d.s.Points {
		h = append(h, fmt.Sprintf("P%d", pi+1))
	}
	fmt.Fprintf(b, "| %s |\n|%s\n", strings.Join(h, " | "), strings.Repeat(" --- |", len(h)))
	for fi, fn := range d.s.Functions {
		row := []string{fn}
		for pi := range d.s.Points {
			row = append(row, cell(fi, pi))
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(row, " | "))
	}
}

// csv writes one row per point, function and metric.
func (d sweepData) csv(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := append([]string{"point"}, d.paramHeader()...)
	header = append(header, "baseline", "function", "metric", "value", "baseline_value", "speedup", "change", "standin")
	if err := cw.Write(header); err != nil {
		return err
	}
	for pi, p := range d.s.Points {
		for fi, fn := range d.s.Functions {
			for _, m := range d.metrics {
				rec := []string{p.Name}
				for _, v := range p.Values {
					rec = append(rec, v[1])
				}
				speed := ""
				if m == "cycles" {
					speed = csvFloat(d.speedup(fi, pi))
				}
				rec = append(rec, fmt.Sprint(p.Name == d.s.Baseline), fn, m, csvFloat(d.vals[m][fi][pi]),
					csvFloat(d.vals[m][fi][d.baseline()]), speed, csvFloat(d.change(m, fi, pi)), fmt.Sprint(d.standin))
				if err := cw.Write(rec); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return fmt.Sprintf("%g", v)
}

var sweepPage = template.Must(template.New("sweep").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Sweep {{.Name}}</title>
<style>body{font-family:system-ui,-apple-system,sans-serif;margin:2rem;color:#1d2330;max-width:80rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccd;padding:.25rem .6rem;text-align:right}
th{background:#eef}.warn{background:#fff3cd;border:1px solid #e0b000;padding:.6rem}</style></head><body>
<h1>Sweep {{.Name}}</h1>
{{if .Warning}}<p class="warn"><strong>{{.Warning}}</strong></p>{{end}}
<div>{{.Markdown}}</div>
{{range .Plots}}<figure>{{.}}</figure>{{end}}
</body></html>
`))

// html writes the tables (as preformatted Markdown) and a plot per metric.
func (d sweepData) html(w io.Writer) error {
	var md bytes.Buffer
	if err := d.markdown(&md); err != nil {
		return err
	}
	var plots []template.HTML
	for _, m := range d.metrics {
		svg, err := d.plot(m)
		if err != nil {
			return err
		}
		plots = append(plots, svg)
	}
	return sweepPage.Execute(w, map[string]any{
		"Name": d.s.Name, "Warning": d.warning(), "Plots": plots,
		"Markdown": template.HTML("<pre>" + template.HTMLEscapeString(md.String()) + "</pre>"),
	})
}

// plot draws one metric: per function, a bar per point side by side.
func (d sweepData) plot(metric string) (template.HTML, error) {
	p := plot.New()
	sans(&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label)
	p.Title.Text = metric + " by point"
	p.Y.Min = 0
	p.NominalX(d.s.Functions...)
	legend := plot.NewLegend()
	sans(&legend.TextStyle)
	legend.Top, legend.Left = true, true
	n := len(d.s.Points)
	w := vg.Points(max(4, 48/float64(n)))
	var all plotter.Values
	for pi := range d.s.Points {
		vals := make(plotter.Values, len(d.s.Functions))
		for fi := range d.s.Functions {
			vals[fi] = zeroIfNaN(d.vals[metric][fi][pi])
		}
		all = append(all, vals...)
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return "", err
		}
		bars.Color = pointColors[pi%len(pointColors)]
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(pi)-float64(n-1)/2)
		p.Add(bars)
		legend.Add(fmt.Sprintf("P%d", pi+1), bars)
	}
	headroom(p, all)
	return svg(p, &legend, plotWidth(len(d.s.Functions)*max(2, n/2)))
}
