package results

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Invocation is one measured invocation: its simulated latency (the ticks
// between its work begin and work end, from the run's log) and, with
// MEASUREMENT=per-invocation, the measured core's numbers of its own dump.
type Invocation struct {
	Index      int   // the invocation's number (its work item − 100)
	Start, End int64 // ticks of its work begin and work end (0: not logged)
	NextStart  int64 // the next invocation's work begin (0: the last)
	Dump       int   // its dump (-1: one dump covers every invocation)
	CPU        *CPU  // the measured core in that dump (nil without one)
}

// LatencyMicros is the invocation's simulated latency in microseconds.
func (iv Invocation) LatencyMicros(freq float64) float64 {
	if iv.End <= iv.Start || iv.Start == 0 || freq <= 0 {
		return math.NaN()
	}
	return float64(iv.End-iv.Start) / freq * 1e6
}

// GapMicros is the simulated time from its work end to the next
// invocation's work begin, in microseconds.
func (iv Invocation) GapMicros(freq float64) float64 {
	if iv.NextStart <= iv.End || iv.End == 0 || freq <= 0 {
		return math.NaN()
	}
	return float64(iv.NextStart-iv.End) / freq * 1e6
}

// invocationTicks matches run_sim.py's "Start invokation 12 at tick 345".
var invocationTicks = regexp.MustCompile(`^(Start|End) invokation (\d+) at tick (\d+)`)

// readTicks reads every invocation's work begin and end from a gem5 log.
func readTicks(log string) map[int]*Invocation {
	f, err := os.Open(log)
	if err != nil {
		return nil
	}
	defer f.Close()
	out := map[int]*Invocation{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		m := invocationTicks.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[2])
		t, _ := strconv.ParseInt(m[3], 10, 64)
		iv, ok := out[i]
		if !ok {
			iv = &Invocation{Index: i, Dump: -1}
			out[i] = iv
		}
		if m[1] == "Start" {
			iv.Start = t
		} else {
			iv.End = t
		}
	}
	return out
}

// PerInvocation reports whether the run dumped its statistics once per
// measured invocation (MEASUREMENT=per-invocation).
func (r *Run) PerInvocation() bool {
	return r.Meta != nil && r.Meta.Parameters["MEASUREMENT"] == "per-invocation" && len(r.Dumps) > 1
}

// Invocations lists the run's measured invocations in order: the last
// len(measured) invocations its log shows (the ones after the atomic
// warming), with their dumps when the run dumped per invocation.
func (r *Run) Invocations() []Invocation {
	ticks := readTicks(filepath.Join(r.Dir, LogFile))
	idx := make([]int, 0, len(ticks))
	for i := range ticks {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	n := r.measuredCount()
	if n > 0 && len(idx) > n {
		idx = idx[len(idx)-n:]
	}
	var out []Invocation
	for k, i := range idx {
		iv := *ticks[i]
		if next, ok := ticks[i+1]; ok {
			iv.NextStart = next.Start
		}
		if r.PerInvocation() && k < len(r.Stats.Dumps) {
			iv.Dump = k
			if c, ok := r.cpuIn(k); ok {
				iv.CPU = &c
			}
		}
		out = append(out, iv)
	}
	return out
}

// measuredCount is how many invocations the run measured.
func (r *Run) measuredCount() int {
	if r.Meta != nil && r.Meta.Invocations > 0 {
		return r.Meta.Invocations
	}
	if r.PerInvocation() {
		return len(r.Dumps)
	}
	return 0
}

// cpuIn returns the measured core in dump k.
func (r *Run) cpuIn(k int) (CPU, bool) {
	if r.MeasuredCPU < 0 || k >= len(r.Dumps) {
		return CPU{}, false
	}
	name := r.Dumps[r.MeasuredDump].CPUs[r.MeasuredCPU].Name
	for _, c := range r.Dumps[k].CPUs {
		if c.Name == name {
			return c, true
		}
	}
	return CPU{}, false
}

// TickFrequency is the run's ticks per simulated second (gem5's simFreq,
// 10^12 unless the run says otherwise).
func (r *Run) TickFrequency() float64 {
	for _, d := range r.Stats.Dumps {
		if v, ok := d.Value("simFreq"); ok {
			if f, ok := v.Float(); ok && f > 0 {
				return f
			}
		}
		if v, ok := d.Value("sim_freq"); ok {
			if f, ok := v.Float(); ok && f > 0 {
				return f
			}
		}
	}
	return 1e12
}

// Distribution summarises one figure over a run's invocations.
type Distribution struct {
	N                         int
	Mean, Median, P99, StdDev float64
	Min, Max                  float64
}

// Distribute summarises xs, leaving NaNs out.
func Distribute(xs []float64) Distribution {
	v := slices.DeleteFunc(slices.Clone(xs), math.IsNaN)
	d := Distribution{
		N:      len(v),
		Mean:   math.NaN(),
		Median: math.NaN(),
		P99:    math.NaN(),
		StdDev: math.NaN(),
		Min:    math.NaN(),
		Max:    math.NaN(),
	}
	if len(v) == 0 {
		return d
	}
	slices.Sort(v)
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	d.Mean = sum / float64(len(v))
	if len(v)%2 == 1 {
		d.Median = v[len(v)/2]
	} else {
		d.Median = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	d.P99 = v[int(math.Ceil(0.99*float64(len(v))))-1] // nearest rank
	d.Min, d.Max = v[0], v[len(v)-1]
	if len(v) > 1 {
		ss := 0.0
		for _, x := range v {
			ss += (x - d.Mean) * (x - d.Mean)
		}
		d.StdDev = math.Sqrt(ss / float64(len(v)-1))
	}
	return d
}

// summableUnits are the v21+ units of statistics that add up across
// consecutive dumps (counts, cycles, ticks, seconds); ratios, rates and
// distributions' derived values do not.
var summableUnits = map[string]bool{"Count": true, "Cycle": true, "Tick": true, "Second": true}

// SumDumps adds up the summable statistics of consecutive dumps (every
// one reset at the previous one's end): the numbers of the whole span
// they cover. A statistic missing from a dump counts as zero there.
func SumDumps(dumps []*Dump) *Dump {
	sum := &Dump{Index: -1, byName: map[string]int{}}
	totals := map[string]float64{}
	for _, d := range dumps {
		for _, s := range d.Stats {
			if !summableUnits[s.Unit] {
				continue
			}
			f, ok := s.Value.Float()
			if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
				continue
			}
			if _, seen := sum.byName[s.Name]; !seen {
				sum.byName[s.Name] = len(sum.Stats)
				sum.Stats = append(sum.Stats, Stat{Name: s.Name, Desc: s.Desc, Unit: s.Unit})
			}
			totals[s.Name] += f
		}
	}
	for i, s := range sum.Stats {
		sum.Stats[i].Value = Value(strconv.FormatFloat(totals[s.Name], 'f', -1, 64))
	}
	return sum
}
