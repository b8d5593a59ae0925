package results

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Report is what `mage report` writes: every run of a results directory
// with its measured numbers and its check.
type Report struct {
	Dir       string
	Runs      []*Run
	Checks    []Check
	Errors    []error         // runs that could not be read
	Current   map[string]bool // the functions of the current list ("want")
	Generated time.Time
}

// Build reads every run under dir and checks it; want is the current
// function list, whose runs the report tells from older ones.
func Build(dir string, want []string, expected int) *Report {
	runs, errs := LoadResults(dir)
	cur := map[string]bool{}
	for _, w := range want {
		cur[w] = true
	}
	return &Report{
		Dir:       dir,
		Runs:      runs,
		Checks:    CheckAll(dir, want, expected),
		Errors:    errs,
		Current:   cur,
		Generated: time.Now(),
	}
}

// others are the runs that are not of the current function list (kept
// from an earlier list), sorted.
func (r *Report) others() []string {
	var out []string
	for _, run := range r.Runs {
		if !r.current(run) {
			out = append(out, run.Name)
		}
	}
	return out
}

// current says whether a run is of a function of the current list, on
// whatever system, cores or topology (fibonacci-go@o3 is fibonacci-go's).
func (r *Report) current(run *Run) bool {
	if len(r.Current) == 0 || r.Current[run.Name] {
		return true
	}
	fn, _, _ := strings.Cut(run.Name, "@")
	if run.Meta != nil && run.Meta.Function != "" {
		fn = run.Meta.Function
	}
	// The current list's runs are named with this configuration's labels
	// (fibonacci-go@o3): a run of fn with other labels is fn's too.
	for name := range r.Current {
		if listed, _, _ := strings.Cut(name, "@"); listed == fn {
			return true
		}
	}
	return false
}

// perInvocation divides a measured figure by the run's measured
// invocations ("" when either is unknown): the window over its
// invocations, or the sum of per-invocation dumps, per invocation.
func perInvocation(run *Run, v Value) string {
	f, ok := v.Float()
	if !ok || run.Meta == nil || run.Meta.Invocations <= 0 {
		return ""
	}
	return strconv.FormatFloat(f/float64(run.Meta.Invocations), 'f', 0, 64)
}

// runsLine says how many runs the report covers and which are not of the
// current function list.
func (r *Report) runsLine() string {
	others := r.others()
	if len(others) == 0 {
		return fmt.Sprintf("%d runs", len(r.Runs))
	}
	return fmt.Sprintf(
		"%d runs: %d of the current function list, %d from earlier lists (%s; delete their directories to drop them)",
		len(r.Runs),
		len(r.Runs)-len(others),
		len(others),
		strings.Join(others, ", "),
	)
}

// csvRow is report.csv's row of one CPU-like object c of dump d, in
// CSVHeader's order.
func (r *Report) csvRow(run *Run, d DumpMetrics, c CPU, measured bool) []string {
	_, ipc := c.IPCValue()
	_, cpi := c.CPIValue()
	dump := strconv.Itoa(d.Index)
	if d.Index < 0 {
		dump = "sum"
	}
	p := run.Provenance
	return []string{run.Name, dump, c.Name, strconv.FormatBool(measured),
		string(c.Instructions.Value), c.InstructionKey, string(c.Cycles.Value), ipc, cpi,
		string(d.SimSeconds.Value), string(d.SimInsts.Value), string(d.SimTicks.Value), string(d.HostSeconds.Value),
		c.Type, metricText(c.L1I), metricText(c.L1D), metricText(c.L2), metricText(c.Branch), metricText(c.L3),
		strconv.FormatBool(p.Standin), p.Gem5Version, p.ExecMode, p.System,
		strconv.FormatBool(r.current(run)), Machine(c.Name),
		busyText(c.Busy), csvFloat(c.Utilisation()), csvFloat(c.BusyIPC()), p.Topology, p.Measurement,
		per(measured, perInvocation(run, c.Instructions.Value)), per(measured, perInvocation(run, c.Cycles.Value)),
		invocations(run), p.Gem5SHA256, p.Gem5Patches, p.Gem5Probe, p.Memory, p.Kernel, p.Disk, p.Image}
}

// per is a per-invocation figure for the measured row only.
func per(measured bool, v string) string {
	if !measured {
		return ""
	}
	return v
}

// invocations is a run's measured invocations, "" when unknown.
func invocations(run *Run) string {
	if run.Meta == nil || run.Meta.Invocations <= 0 {
		return ""
	}
	return strconv.Itoa(run.Meta.Invocations)
}

// CSVHeader are report.csv's columns; the first thirteen are a contract.
var CSVHeader = []string{"run", "dump", "cpu", "measured", "instructions", "instructions_key", "cycles", "ipc", "cpi",
	"sim_seconds", "sim_insts", "sim_ticks", "host_seconds", "cpu_type", "l1i_mpki", "l1d_mpki", "l2_mpki", "branch_mpki", "l3_mpki", "standin", "gem5", "exec_mode", "system", "current_list", "machine",
	"busy_cycles", "utilisation", "busy_ipc", "topology", "measurement",
	"instructions_per_invocation", "cycles_per_invocation", "measured_invocations",
	"gem5_sha256", "gem5_patches", "gem5_probe", "memory", "kernel", "disk", "image"}

// WriteCSV writes one row per run × dump × CPU-like object; numbers gem5
// printed are copied exactly, IPC and CPI are computed only when gem5 did
// not print them; the standin column is true for every row the stand-in
// gem5 made (not a measurement).
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, run := range r.Runs {
		for di, d := range run.Dumps {
			for ci, c := range d.CPUs {
				measured := di == run.MeasuredDump && ci == run.MeasuredCPU
				if err := cw.Write(r.csvRow(run, d, c, measured)); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func busyText(b Busy) string {
	if !b.Valid {
		return ""
	}
	return strconv.FormatFloat(b.Cycles, 'f', -1, 64)
}

func metricText(m Metric) string {
	if !m.Valid {
		return ""
	}
	return strconv.FormatFloat(m.Value, 'f', 4, 64)
}

func metricShown(m Metric) string {
	if !m.Valid {
		return "–"
	}
	return strconv.FormatFloat(m.Value, 'f', 2, 64)
}

// row is a run's measured numbers, formatted for tables.
type row struct {
	Run, Status, Reason, CPU, Instructions, Cycles, IPC, CPI string
	Busy, BusyIPC                                            string // busy share of the cycles, IPC over busy cycles
	InstsPer, CyclesPer                                      string // per measured invocation
	Gem5                                                     string // the version, or StandinMark
	Standin                                                  bool
	misses                                                   // the MPKI columns
	SimSeconds, HostSeconds                                  string
	Sources                                                  []string
	ipc                                                      float64
	mpki                                                     [5]float64
}

// misses are a row's misses per thousand instructions, as shown.
type misses struct{ L1I, L1D, L2, L3, Branch string }

func (r *Report) rows() []row {
	checks := map[string]Check{}
	for _, c := range r.Checks {
		checks[c.Run] = c
	}
	var out []row
	for _, run := range r.Runs {
		ck, ok := checks[run.Name]
		status, reason := "–", ""
		if ok {
			status, reason = string(ck.Outcome), ck.Reason
		}
		gem5 := cmp.Or(run.Provenance.Gem5Version, "–")
		if run.Provenance.Standin {
			gem5 = StandinMark
		}
		d, c, ok := run.Measured()
		if !ok {
			out = append(
				out,
				row{
					Run:     run.Name,
					Status:  status,
					Reason:  reason,
					CPU:     "–",
					Sources: []string{run.Why},
					ipc:     math.NaN(),
					Gem5:    gem5,
					Standin: run.Provenance.Standin,
				},
			)
			continue
		}
		ipc, ipcText := c.IPCValue()
		_, cpiText := c.CPIValue()
		rw := row{
			Run:          run.Name,
			Status:       status,
			Reason:       reason,
			CPU:          c.Name,
			Gem5:         gem5,
			Standin:      run.Provenance.Standin,
			Instructions: string(c.Instructions.Value),
			Cycles:       string(c.Cycles.Value),
			IPC:          ipcText,
			CPI:          cpiText,
			misses: misses{
				L1I:    metricShown(c.L1I),
				L1D:    metricShown(c.L1D),
				L2:     metricShown(c.L2),
				L3:     metricShown(c.L3),
				Branch: metricShown(c.Branch),
			},
			SimSeconds:  string(d.SimSeconds.Value),
			HostSeconds: string(d.HostSeconds.Value),
			ipc:         ipc,
			Busy:        percent(c.Utilisation()),
			BusyIPC:     fixed(c.BusyIPC(), 4),
			InstsPer:    cmp.Or(perInvocation(run, c.Instructions.Value), "–"),
			CyclesPer:   cmp.Or(perInvocation(run, c.Cycles.Value), "–"),
		}
		rw.Sources = []string{
			fmt.Sprintf("measured: %s, dump %d of %d — %s", c.Name, d.Index, len(run.Dumps), run.Why),
			run.Provenance.String(),
			"instructions: " + c.Instructions.Key, "cycles: " + c.Cycles.Key,
		}
		if d.Index < 0 {
			rw.Sources[0] = fmt.Sprintf(
				"measured: %s, the sum of its %d per-invocation dumps (the invocations without the gaps between them) — %s",
				c.Name,
				len(run.Stats.Dumps),
				run.Why,
			)
		}
		if c.IPC.Key != "" {
			rw.Sources = append(rw.Sources, "IPC (gem5's, over every cycle of the window): "+c.IPC.Key)
		} else {
			rw.Sources = append(rw.Sources, "IPC (over every cycle of the window): instructions / cycles")
		}
		if c.Busy.Valid {
			rw.Sources = append(rw.Sources, "busy cycles: "+c.Busy.From, "IPC (busy): instructions / busy cycles")
		}
		for i, m := range c.mpkis() {
			rw.mpki[i] = valueOrNaN(m)
			if m.From != "" {
				rw.Sources = append(rw.Sources, mpkiNames[i]+" MPKI: "+m.From)
			}
		}
		rw.Sources = append(rw.Sources, "sim seconds: "+d.SimSeconds.Key, "host seconds: "+d.HostSeconds.Key)
		out = append(out, rw)
	}
	return out
}

func valueOrNaN(m Metric) float64 {
	if !m.Valid {
		return math.NaN()
	}
	return m.Value
}

// StandinMark stands in the gem5 column of the stand-in's runs.
const StandinMark = "STAND-IN (not a measurement)"

var mdColumns = []string{
	"run",
	"gem5",
	"status",
	"CPU",
	"instructions",
	"cycles",
	"IPC (gem5)",
	"CPI",
	"busy",
	"IPC (busy)",
	"L1I MPKI",
	"L1D MPKI",
	"L2 MPKI",
	"L3 MPKI",
	"branch MPKI",
	"sim s",
	"host s",
	"instructions / invocation",
	"cycles / invocation",
}

// columnsNote says what the columns that are easy to mistake mean.
const columnsNote = "IPC (gem5) is instructions over every cycle of the measured window, idle ones included, as gem5 prints it; " +
	"the per-invocation columns divide the measured figures by the run's measured invocations (the window over them, or the sum of their own dumps); " +
	"busy is the share of the window's cycles the core had work (not halted: a timing core's numBusyCycles, an O3 core's numCycles, which gem5 counts without its quiesced cycles), " +
	"and IPC (busy) is instructions over busy cycles (for O3 the same as gem5's IPC). " +
	"The MPKI of a cache other cores share (the simple system's L2, skylake's L3) counts only the measured core's own misses (gem5's per-requestor counts); every miss of it is in report.csv's sources."

// WriteMarkdown writes the table, the checks, where each number came from
// and any problems.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(
		&b,
		"# gem5 results: %s\n\nGenerated %s from %s.\n\n",
		r.Dir,
		r.Generated.Format(time.RFC1123),
		r.runsLine(),
	)
	if w := r.standinWarning(); w != "" {
		fmt.Fprintf(&b, "> **%s**\n\n", w)
	}
	b.WriteString("| " + strings.Join(mdColumns, " | ") + " |\n|" + strings.Repeat(" --- |", len(mdColumns)) + "\n")
	rows := r.rows()
	for _, rw := range rows {
		fmt.Fprintf(
			&b,
			"| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			rw.Run,
			rw.Gem5,
			rw.Status,
			rw.CPU,
			rw.Instructions,
			rw.Cycles,
			rw.IPC,
			rw.CPI,
			rw.Busy,
			rw.BusyIPC,
			rw.L1I,
			rw.L1D,
			rw.L2,
			rw.L3,
			rw.Branch,
			rw.SimSeconds,
			rw.HostSeconds,
			rw.InstsPer,
			rw.CyclesPer,
		)
	}
	b.WriteString("\n" + columnsNote + "\n")
	r.writeCores(&b)
	r.writeInvocations(&b)
	if len(r.Checks) > 0 {
		b.WriteString("\n## Checks\n\n| run | outcome | why |\n| --- | --- | --- |\n")
		for _, c := range r.Checks {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", c.Run, c.Outcome, c.Reason)
		}
		if rerun := Rerun(r.Checks); len(rerun) > 0 {
			b.WriteString("\nTo run again:\n\n```\n" + strings.Join(rerun, "\n") + "\n```\n")
		}
	}
	r.writeDriveSystems(&b)
	b.WriteString("\n## Where the numbers come from\n\n")
	for _, rw := range rows {
		fmt.Fprintf(&b, "- **%s**: %s\n", rw.Run, strings.Join(rw.Sources, "; "))
	}
	if probs := r.problems(); len(probs) > 0 {
		b.WriteString("\n## Problems\n\n")
		for _, p := range probs {
			fmt.Fprintf(&b, "- %s\n", p)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// driveRow is a drive system's core over a run's measured interval.
type driveRow struct{ Run, CPU, Instructions, Cycles, IPC string }

// driveRows lists the drive systems of two-machine runs: the client's
// core in the measured dump, kept apart from the measured numbers.
func (r *Report) driveRows() []driveRow {
	var out []driveRow
	for _, run := range r.Runs {
		if run.MeasuredCPU < 0 {
			continue
		}
		for _, c := range run.Dumps[run.MeasuredDump].CPUs {
			if Machine(c.Name) == "drive" {
				_, ipc := c.IPCValue()
				out = append(out, driveRow{run.Name, c.Name, string(c.Instructions.Value), string(c.Cycles.Value), ipc})
			}
		}
	}
	return out
}

// driveNote says what the drive systems' table is.
const driveNote = "Two-machine runs: the client ran on a drive system of its own. Its core's numbers over the measured interval are listed here and never enter the measured numbers."

// writeDriveSystems writes the drive systems' table, when there is one.
func (r *Report) writeDriveSystems(b *strings.Builder) {
	rows := r.driveRows()
	if len(rows) == 0 {
		return
	}
	b.WriteString("\n## Drive systems (the client's machine; not measured)\n\n" + driveNote + "\n\n" +
		"| run | CPU | instructions | cycles | IPC |\n| --- | --- | --- | --- | --- |\n")
	for _, d := range rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", d.Run, d.CPU, d.Instructions, d.Cycles, d.IPC)
	}
}

// standinWarning says how many runs the stand-in gem5 made ("" for none).
func (r *Report) standinWarning() string {
	n := 0
	for _, run := range r.Runs {
		if run.Provenance.Standin {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(
		"%d of %d runs were made by the stand-in gem5 (GEM5=standin): their numbers are made up by the stand-in, not measured. Rows marked STAND-IN.",
		n,
		len(r.Runs),
	)
}

// problems lists unreadable runs and malformed lines.
func (r *Report) problems() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Error())
	}
	for _, run := range r.Runs {
		for i, p := range run.Stats.Problems {
			if i == 10 {
				out = append(
					out,
					fmt.Sprintf("%s: %d more malformed lines", run.Stats.File, len(run.Stats.Problems)-10),
				)
				break
			}
			out = append(out, p.Error())
		}
	}
	return out
}

// Rerun returns the commands that run the unsuccessful functions again.
func Rerun(checks []Check) []string {
	var out []string
	for _, c := range checks {
		if c.Outcome != Succeeded && c.Outcome != Suspect { // a rerun would be as suspect
			out = append(out, c.Settings+"mage simulate:fn "+cmp.Or(c.Function, c.Run))
		}
	}
	return out
}

var htmlPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gem5 results</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:2rem;color:#1d2330;max-width:80rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #d5d9e0;padding:.3rem .5rem;text-align:right}
th{background:#f1f3f7}td:first-child,th:first-child,td.t,th.t{text-align:left}
.standin td{background:#fff3cd}.warning{background:#fff3cd;border:1px solid #e0b400;padding:.5rem .8rem}
.succeeded{color:#1b7f3b}.warn{color:#a86b00}.failed,.hung{color:#b3261e;font-weight:600}
.plots{display:flex;flex-wrap:wrap;gap:1.5rem}.plots figure{margin:0}figcaption{font-size:.8rem;color:#555}
ul.src{font-size:.8rem;color:#444}
</style></head><body>
<h1>gem5 results: {{.Dir}}</h1>
<p>{{.RunsLine}}, generated {{.Generated}}.</p>
{{if .Warning}}<p class="warning" id="standin-warning"><b>{{.Warning}}</b></p>{{end}}
<div class="plots">
<figure id="plot-ipc">{{.IPCPlot}}<figcaption>IPC of the measured CPU per run</figcaption></figure>
<figure id="plot-mpki">{{.MPKIPlot}}<figcaption>Misses per kilo-instruction per run</figcaption></figure>
</div>
<h2>Measured numbers</h2>
<table><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr{{if .Standin}} class="standin"{{end}}><td>{{.Run}}</td><td class="t">{{.Gem5}}</td><td class="t {{.Status}}" title="{{.Reason}}">{{.Status}}</td><td class="t">{{.CPU}}</td><td>{{.Instructions}}</td><td>{{.Cycles}}</td><td>{{.IPC}}</td><td>{{.CPI}}</td><td>{{.Busy}}</td><td>{{.BusyIPC}}</td><td>{{.L1I}}</td><td>{{.L1D}}</td><td>{{.L2}}</td><td>{{.L3}}</td><td>{{.Branch}}</td><td>{{.SimSeconds}}</td><td>{{.HostSeconds}}</td></tr>
{{end}}</table>
<p id="columns-note">{{.ColumnsNote}}</p>
{{if .Cores}}<h2 id="cores">Cores: busy cycles and utilisation</h2><p>{{.CoresNote}}</p>
<table><tr><th>run</th><th class="t">CPU</th><th class="t">measured</th><th>instructions</th><th>cycles</th><th>busy cycles</th><th>busy</th><th>IPC (gem5)</th><th>IPC (busy)</th></tr>
{{range .Cores}}<tr><td>{{.Run}}</td><td class="t">{{.CPU}}</td><td class="t">{{.Measured}}</td><td>{{.Instructions}}</td><td>{{.Cycles}}</td><td>{{.BusyCycles}}</td><td>{{.Busy}}</td><td>{{.IPC}}</td><td>{{.BusyIPC}}</td></tr>{{end}}</table>{{end}}
{{if .Invocations}}<h2 id="invocations">Invocations</h2><p>{{.InvocationsNote}}</p>
{{range .Invocations}}<h3>{{.Table.Run}}</h3><figure>{{.Plot}}</figure>
<table><tr><th class="t">figure</th><th>n</th><th>mean</th><th>median</th><th>p99</th><th>stddev</th></tr>
{{range .Table.Dist}}<tr>{{range $i, $c := .}}<td{{if eq $i 0}} class="t"{{end}}>{{$c}}</td>{{end}}</tr>{{end}}</table>
<table class="invocations"><tr><th>invocation</th>{{range .Table.Figures}}<th>{{.}}</th>{{end}}</tr>
{{range .Table.Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}{{end}}
{{if .Drive}}<h2 id="drive-systems">Drive systems (the client's machine; not measured)</h2><p>{{.DriveNote}}</p>
<table><tr><th>run</th><th class="t">CPU</th><th>instructions</th><th>cycles</th><th>IPC</th></tr>
{{range .Drive}}<tr><td>{{.Run}}</td><td class="t">{{.CPU}}</td><td>{{.Instructions}}</td><td>{{.Cycles}}</td><td>{{.IPC}}</td></tr>{{end}}</table>{{end}}
{{if .Checks}}<h2>Checks</h2><table><tr><th>run</th><th class="t">outcome</th><th class="t">why</th></tr>
{{range .Checks}}<tr><td>{{.Run}}</td><td class="t {{.Outcome}}">{{.Outcome}}</td><td class="t">{{.Reason}}</td></tr>{{end}}</table>{{end}}
<h2>Where the numbers come from</h2>
{{range .Rows}}<p><b>{{.Run}}</b></p><ul class="src">{{range .Sources}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Problems}}<h2>Problems</h2><ul>{{range .Problems}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// WriteHTML writes a self-contained page: the tables and two SVG plots
// (IPC, MPKI per run) drawn with gonum/plot.
func (r *Report) WriteHTML(w io.Writer) error {
	rows := r.rows()
	ipc, err := ipcPlot(rows)
	if err != nil {
		return err
	}
	mpki, err := mpkiPlot(rows)
	if err != nil {
		return err
	}
	type tableWithPlot struct {
		Table invocationTable
		Plot  template.HTML
	}
	var invocations []tableWithPlot
	for _, t := range r.invocationTables() {
		p, err := invocationPlot(t)
		if err != nil {
			return err
		}
		invocations = append(invocations, tableWithPlot{t, p})
	}
	var buf bytes.Buffer
	err = htmlPage.Execute(&buf, map[string]any{
		"Dir": r.Dir, "Generated": r.Generated.Format(time.RFC1123), "Rows": rows, "Columns": mdColumns,
		"Checks": r.Checks, "Problems": r.problems(), "IPCPlot": ipc, "MPKIPlot": mpki, "Warning": r.standinWarning(), "RunsLine": r.runsLine(),
		"Drive": r.driveRows(), "DriveNote": driveNote, "ColumnsNote": columnsNote, "Cores": r.coreRows(), "CoresNote": coresNote,
		"Invocations": invocations, "InvocationsNote": invocationsNote,
	})
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// ErrNoRuns says a results directory holds no run.
var ErrNoRuns = errors.New("no run (a directory with stats.txt)")

// Writer writes a results directory's report files.
type Writer struct {
	Dir         string   // the results directory
	Functions   []string // the current function list
	Invocations int      // NUM_INVOCATIONS, for the checks
}

// Files are report.md, report.csv and report.html in Dir.
func (w Writer) Files() []string {
	return []string{
		filepath.Join(w.Dir, "report.md"),
		filepath.Join(w.Dir, "report.csv"),
		filepath.Join(w.Dir, "report.html"),
	}
}

// Write builds the report and writes each file to out(file) (a temporary
// name, or the file itself); it returns the report with the runs that
// could not be read joined into the error.
func (w Writer) Write(out func(string) string) (*Report, error) {
	rep := Build(w.Dir, w.Functions, w.Invocations)
	if len(rep.Runs) == 0 && len(rep.Errors) == 0 {
		return nil, fmt.Errorf("%w under %s", ErrNoRuns, w.Dir)
	}
	files := w.Files()
	for i, write := range []func(io.Writer) error{rep.WriteMarkdown, rep.WriteCSV, rep.WriteHTML} {
		f, err := os.Create(out(files[i]))
		if err != nil {
			return rep, err
		}
		if err := write(f); err != nil {
			f.Close()
			return rep, fmt.Errorf("%s: %w", filepath.Base(files[i]), err)
		}
		if err := f.Close(); err != nil {
			return rep, err
		}
	}
	return rep, errors.Join(rep.Errors...)
}
