package results

import (
	"bytes"
	"html/template"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Bar colours of the plots (the screenshot test looks for IPCColor).
var (
	IPCColor   = color.RGBA{R: 0x2f, G: 0x6f, B: 0xd6, A: 0xff}
	mpkiColors = []color.RGBA{
		{R: 0x2f, G: 0x6f, B: 0xd6, A: 0xff}, {R: 0xe0, G: 0x7a, B: 0x1f, A: 0xff},
		{
			R: 0x3a,
			G: 0x9e,
			B: 0x5c,
			A: 0xff,
		}, {R: 0xc2, G: 0x3b, B: 0x5a, A: 0xff}, {R: 0x9b, G: 0x4d, B: 0xca, A: 0xff},
	}
)

// legendWidth is the room right of a plot for its legend.
const legendWidth = 1.1 * vg.Inch

// svg renders p as an inline SVG element, with the legend (when there is
// one) right of the plot, where no bar can be under it.
func svg(p *plot.Plot, legend *plot.Legend, width vg.Length) (template.HTML, error) {
	if legend != nil {
		width += legendWidth
	}
	c := vgsvg.New(width, 3.2*vg.Inch)
	dc := draw.New(c)
	if legend != nil {
		p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
		legend.Draw(draw.Crop(dc, width-legendWidth+vg.Points(6), 0, 0, -vg.Points(24)))
	} else {
		p.Draw(dc)
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return "", err
	}
	s := buf.String()
	if i := strings.Index(s, "<svg"); i > 0 {
		s = s[i:] // drop the XML prologue: the SVG sits inside HTML
	}
	return template.HTML(s), nil //nolint:gosec // made by gonum/plot from numbers and escaped run names
}

func plotWidth(n int) vg.Length {
	w := vg.Length(1.2+0.55*float64(n)) * vg.Inch
	return max(w, 4*vg.Inch)
}

// sansFont is the report page's face (the plots' default is a serif).
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

func sans(sizes ...*text.Style) {
	for _, s := range sizes {
		s.Font.Typeface, s.Font.Variant = sansFont.Typeface, sansFont.Variant
	}
}

func newPlot(title, ylabel string, rows []row) *plot.Plot {
	p := plot.New()
	sans(
		&p.Title.TextStyle,
		&p.X.Label.TextStyle,
		&p.Y.Label.TextStyle,
		&p.X.Tick.Label,
		&p.Y.Tick.Label,
		&p.Legend.TextStyle,
	)
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Run
		if r.Standin {
			names[i] += " (stand-in)"
		}
	}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = -0.5
	p.X.Tick.Label.XAlign = draw.XLeft
	p.X.Tick.Label.YAlign = draw.YCenter
	return p
}

// ipcPlot is a bar per run: the measured CPU's IPC.
func ipcPlot(rows []row) (template.HTML, error) {
	p := newPlot("IPC", "instructions per cycle", rows)
	vals := make(plotter.Values, len(rows))
	for i, r := range rows {
		vals[i] = zeroIfNaN(r.ipc)
	}
	return barsSVG(p, vals, vg.Points(18), plotWidth(len(rows)))
}

// barsSVG draws vals as one series of bars of width w on p and renders
// the plot width wide.
func barsSVG(p *plot.Plot, vals plotter.Values, w, width vg.Length) (template.HTML, error) {
	bars, err := plotter.NewBarChart(vals, w)
	if err != nil {
		return "", err
	}
	bars.Color = IPCColor
	bars.LineStyle.Width = 0
	p.Add(bars)
	headroom(p, vals)
	return svg(p, nil, width)
}

// mpkiPlot groups a bar per metric per run (L1I, L1D, L2, L3, branch
// MPKI), for the metrics some run has; the legend lists only those.
func mpkiPlot(rows []row) (template.HTML, error) {
	p := newPlot("Misses per kilo-instruction", "MPKI", rows)
	w := vg.Points(8)
	var shown []int
	for k := range mpkiNames {
		if slices.ContainsFunc(rows, func(r row) bool { return !math.IsNaN(r.mpki[k]) }) {
			shown = append(shown, k)
		}
	}
	legend := plot.NewLegend()
	sans(&legend.TextStyle)
	legend.Top, legend.Left = true, true
	for i, k := range shown {
		vals := make(plotter.Values, len(rows))
		for j, r := range rows {
			vals[j] = zeroIfNaN(r.mpki[k])
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return "", err
		}
		bars.Color = mpkiColors[k]
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(i)-float64(len(shown)-1)/2)
		p.Add(bars)
		legend.Add(mpkiNames[k]+" MPKI", bars)
	}
	var all plotter.Values
	for _, r := range rows {
		for _, m := range r.mpki {
			all = append(all, zeroIfNaN(m))
		}
	}
	headroom(p, all)
	if len(shown) == 0 {
		return svg(p, nil, plotWidth(len(rows)*2))
	}
	return svg(p, &legend, plotWidth(len(rows)*2))
}

// headroom leaves a quarter of the axis above the tallest bar (room for the
// legend, and no bar touching the frame).
func headroom(p *plot.Plot, vals plotter.Values) {
	top := 0.0
	for _, v := range vals {
		top = math.Max(top, v)
	}
	if top > 0 {
		p.Y.Max = top * 1.25
	}
}

func zeroIfNaN(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// invocationPlot is a bar per invocation of one run: its cycles when the
// run dumped per invocation, else its simulated latency.
func invocationPlot(t invocationTable) (template.HTML, error) {
	col, ylabel := 2, "cycles" // the row's columns: index, then invocationFigures
	if !t.PerInvocation {
		col, ylabel = len(invocationFigures)-1, "latency (µs, simulated)"
	}
	p := plot.New()
	sans(&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label)
	p.Title.Text = t.Run + ": " + ylabel + " per invocation"
	p.Y.Label.Text, p.X.Label.Text = ylabel, "invocation"
	p.Y.Min = 0
	names := make([]string, len(t.Rows))
	vals := make(plotter.Values, len(t.Rows))
	for i, row := range t.Rows {
		names[i] = row[0]
		f, _ := Value(row[col]).Float()
		vals[i] = zeroIfNaN(f)
	}
	p.NominalX(names...)
	return barsSVG(p, vals, vg.Points(10), plotWidth(len(t.Rows)/2+1))
}
