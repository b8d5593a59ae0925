package results

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Difference is one metric of one run in two result sets.
type Difference struct {
	Run, Metric string
	A, B        float64
}

// Delta is B-A relative to A, in percent (NaN when A is 0 or either is missing).
func (d Difference) Delta() float64 {
	if d.A == 0 || math.IsNaN(d.A) || math.IsNaN(d.B) {
		return math.NaN()
	}
	return (d.B - d.A) / math.Abs(d.A) * 100
}

// Comparison is report:compare's result.
type Comparison struct {
	Diffs        []Difference
	OnlyA, OnlyB []string
}

// measuredValues are the numbers compared, by name.
func measuredValues(r *Run) (map[string]float64, bool) {
	d, c, ok := r.Measured()
	if !ok {
		return nil, false
	}
	f := func(v Value) float64 {
		x, ok := v.Float()
		if !ok {
			return math.NaN()
		}
		return x
	}
	ipc, _ := c.IPCValue()
	cpi, _ := c.CPIValue()
	vals := map[string]float64{
		"instructions": f(c.Instructions.Value), "cycles": f(c.Cycles.Value), "IPC": ipc, "CPI": cpi,
		"sim seconds": f(d.SimSeconds.Value), "host seconds": f(d.HostSeconds.Value),
	}
	for i, m := range c.mpkis() {
		vals[mpkiNames[i]+" MPKI"] = valueOrNaN(m)
	}
	return vals, true
}

var compareOrder = []string{
	"instructions",
	"cycles",
	"IPC",
	"CPI",
	"L1I MPKI",
	"L1D MPKI",
	"L2 MPKI",
	"L3 MPKI",
	"branch MPKI",
	"sim seconds",
	"host seconds",
}

// Compare matches runs by name and compares their measured numbers.
func Compare(a, b []*Run) Comparison {
	var c Comparison
	bs := map[string]*Run{}
	for _, r := range b {
		bs[r.Name] = r
	}
	seen := map[string]bool{}
	for _, ra := range a {
		rb, ok := bs[ra.Name]
		if !ok {
			c.OnlyA = append(c.OnlyA, ra.Name)
			continue
		}
		seen[ra.Name] = true
		va, oka := measuredValues(ra)
		vb, okb := measuredValues(rb)
		if !oka || !okb {
			continue
		}
		for _, m := range compareOrder {
			c.Diffs = append(c.Diffs, Difference{Run: ra.Name, Metric: m, A: va[m], B: vb[m]})
		}
	}
	for _, r := range b {
		if !seen[r.Name] {
			c.OnlyB = append(c.OnlyB, r.Name)
		}
	}
	return c
}

// Write prints the comparison as an aligned table.
func (c Comparison) Write(w io.Writer, nameA, nameB string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "run\tmetric\t%s\t%s\tchange\t\n", nameA, nameB)
	for _, d := range c.Diffs {
		delta := "–"
		if x := d.Delta(); !math.IsNaN(x) {
			delta = fmt.Sprintf("%+.2f%%", x)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", d.Run, d.Metric, num(d.A), num(d.B), delta)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(c.OnlyA) > 0 {
		fmt.Fprintf(w, "only in %s: %s\n", nameA, strings.Join(c.OnlyA, ", "))
	}
	if len(c.OnlyB) > 0 {
		fmt.Fprintf(w, "only in %s: %s\n", nameB, strings.Join(c.OnlyB, ", "))
	}
	return nil
}

func num(f float64) string {
	switch {
	case math.IsNaN(f):
		return "–"
	case f == math.Trunc(f) && math.Abs(f) < 1e15:
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.4g", f)
}
