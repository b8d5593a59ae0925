package results

import (
	"fmt"
	"math"
	"strings"
)

// coreRow is one core of the system under test over a run's measured
// interval: how much of it was busy, and its IPC both ways.
type coreRow struct {
	Run, CPU, Instructions, Cycles, BusyCycles, Busy, IPC, BusyIPC string
	Measured                                                       bool
}

// coreRows lists every core of the system under test in each run's
// measured dump (the client's core beside the function's).
func (r *Report) coreRows() []coreRow {
	var out []coreRow
	for _, run := range r.Runs {
		if run.MeasuredCPU < 0 {
			continue
		}
		for ci, c := range run.Dumps[run.MeasuredDump].CPUs {
			if Machine(c.Name) == "drive" || !active(c) {
				continue
			}
			_, ipc := c.IPCValue()
			out = append(
				out,
				coreRow{
					Run:          run.Name,
					CPU:          c.Name,
					Instructions: string(c.Instructions.Value),
					Cycles:       string(c.Cycles.Value),
					BusyCycles: busyText(
						c.Busy,
					),
					Busy:     percent(c.Utilisation()),
					IPC:      ipc,
					BusyIPC:  fixed(c.BusyIPC(), 4),
					Measured: ci == run.MeasuredCPU,
				},
			)
		}
	}
	return out
}

// active reports whether a core ran any instruction in the dump (the
// switched-out cores of a switchable processor have none).
func active(c CPU) bool {
	f, ok := c.Instructions.Value.Float()
	return ok && f > 0
}

// coresNote says what the cores' table is.
const coresNote = "Every core of the system under test that ran in the measured interval: the function's (measured) and the client's. " +
	"Busy cycles are the cycles a core was not halted (memory stalls count as busy); IPC (gem5) divides by gem5's cycles, IPC (busy) by the busy ones."

// writeCores writes the cores' table.
func (r *Report) writeCores(b *strings.Builder) {
	rows := r.coreRows()
	if len(rows) == 0 {
		return
	}
	b.WriteString("\n## Cores: busy cycles and utilisation\n\n" + coresNote + "\n\n" +
		"| run | CPU | measured | instructions | cycles | busy cycles | busy | IPC (gem5) | IPC (busy) |\n" +
		"| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, c := range rows {
		fmt.Fprintf(
			b,
			"| %s | %s | %v | %s | %s | %s | %s | %s | %s |\n",
			c.Run,
			c.CPU,
			c.Measured,
			c.Instructions,
			c.Cycles,
			c.BusyCycles,
			c.Busy,
			c.IPC,
			c.BusyIPC,
		)
	}
}

// invocationFigures are the figures of one invocation the report shows.
var invocationFigures = []string{
	"instructions",
	"cycles",
	"busy cycles",
	"IPC (gem5)",
	"IPC (busy)",
	"L1I MPKI",
	"L1D MPKI",
	"L2 MPKI",
	"L3 MPKI",
	"branch MPKI",
	"latency µs",
	"gap µs",
}

// figures are an invocation's values in invocationFigures' order (NaN for
// what it lacks: a window run has only its latency and gap).
func (iv Invocation) figures(freq float64) []float64 {
	out := make([]float64, len(invocationFigures))
	for i := range out {
		out[i] = math.NaN()
	}
	if c := iv.CPU; c != nil {
		insts, _ := c.Instructions.Value.Float()
		cycles, _ := c.Cycles.Value.Float()
		ipc, _ := c.IPCValue()
		busy := math.NaN()
		if c.Busy.Valid {
			busy = c.Busy.Cycles
		}
		copy(
			out,
			[]float64{insts, cycles, busy, ipc, c.BusyIPC(), valueOrNaN(c.L1I), valueOrNaN(c.L1D), valueOrNaN(c.L2),
				valueOrNaN(c.L3), valueOrNaN(c.Branch)},
		)
	}
	out[len(out)-2], out[len(out)-1] = iv.LatencyMicros(freq), iv.GapMicros(freq)
	return out
}

// invocationTable is a run's invocations: a distribution per figure and a
// row per invocation.
type invocationTable struct {
	Run           string
	PerInvocation bool
	Figures       []string
	Dist          [][]string // per figure: name, n, mean, median, p99, stddev
	Rows          [][]string // per invocation: index, then the figures
}

// invocationTables are the runs' invocation tables (runs whose log has
// no ticks have none).
func (r *Report) invocationTables() []invocationTable {
	var out []invocationTable
	for _, run := range r.Runs {
		ivs := run.Invocations()
		if len(ivs) == 0 {
			continue
		}
		freq := run.TickFrequency()
		t := invocationTable{Run: run.Name, PerInvocation: run.PerInvocation(), Figures: invocationFigures}
		cols := make([][]float64, len(invocationFigures))
		for _, iv := range ivs {
			f := iv.figures(freq)
			row := []string{fmt.Sprint(iv.Index)}
			for i, v := range f {
				cols[i] = append(cols[i], v)
				row = append(row, figureText(invocationFigures[i], v))
			}
			t.Rows = append(t.Rows, row)
		}
		for i, name := range invocationFigures {
			d := Distribute(cols[i])
			if d.N == 0 {
				continue
			}
			t.Dist = append(
				t.Dist,
				[]string{name, fmt.Sprint(d.N), figureText(name, d.Mean), figureText(name, d.Median),
					figureText(name, d.P99), figureText(name, d.StdDev)},
			)
		}
		out = append(out, t)
	}
	return out
}

// figureText formats a figure: counts whole, ratios and times with
// decimals.
func figureText(name string, v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case strings.HasPrefix(name, "IPC"):
		return fixed(v, 4)
	case strings.Contains(name, "MPKI"), strings.Contains(name, "µs"):
		return fixed(v, 2)
	}
	return fixed(v, 0)
}

// invocationsNote says what the invocation tables are.
const invocationsNote = "Per measured invocation: latency is the simulated time from its work begin to its work end (gem5's ticks in the run's log), " +
	"gap the time to the next invocation's work begin. With MEASUREMENT=per-invocation each invocation has a statistics dump of its own " +
	"(reset at its work begin, dumped at its work end), so its instructions, cycles and MPKIs are its own; the measured row above is their sum."

// writeInvocations writes each run's distributions and invocations.
func (r *Report) writeInvocations(b *strings.Builder) {
	tables := r.invocationTables()
	if len(tables) == 0 {
		return
	}
	b.WriteString("\n## Invocations\n\n" + invocationsNote + "\n")
	for _, t := range tables {
		fmt.Fprintf(
			b,
			"\n### %s\n\n| figure | n | mean | median | p99 | stddev |\n| --- | --- | --- | --- | --- | --- |\n",
			t.Run,
		)
		for _, d := range t.Dist {
			b.WriteString("| " + strings.Join(d, " | ") + " |\n")
		}
		shown := []int{0}
		header := []string{"invocation"}
		for i, f := range t.Figures {
			if t.PerInvocation || strings.Contains(f, "µs") {
				shown = append(shown, i+1)
				header = append(header, f)
			}
		}
		b.WriteString("\n| " + strings.Join(header, " | ") + " |\n|" + strings.Repeat(" --- |", len(header)) + "\n")
		for _, row := range t.Rows {
			var cells []string
			for _, i := range shown {
				cells = append(cells, row[i])
			}
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		}
	}
}
