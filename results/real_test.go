package results

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// realDebian is a run on a real gem5 v24.0.0.1: the Debian bookworm disk
// (systemd) with the reference fibonacci-go installed and run as a plain
// process, set up on atomic cores (about 70 minutes, 100 warm-up
// invocations) and evaluated on the simple system's timing cores (10
// warming, 10 measured invocations). Its files are as gem5 and the
// simulate stage wrote them.
const realDebian = "testdata/real-debian/results"

// statLine reads one statistic's value from a stats.txt as text, the way
// a reader would with grep: the first dump that has it.
func statLine(t *testing.T, path, name string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == name {
			return fields[1]
		}
	}
	t.Fatalf("%s has no %s", path, name)
	return ""
}

// statFloat is statLine's value as a number.
func statFloat(t *testing.T, path, name string) float64 {
	t.Helper()
	f, ok := Value(statLine(t, path, name)).Float()
	if !ok {
		t.Fatalf("%s is not a number", name)
	}
	return f
}

func TestRealDebianRunIsReported(t *testing.T) {
	dir := filepath.Join(realDebian, "fibonacci-go")
	stats := filepath.Join(dir, "stats.txt")
	wantInsts := statLine(t, stats, "board.processor.switch1.core.commitStats0.numInsts")
	wantCycles := statLine(t, stats, "board.processor.switch1.core.numCycles")

	run, err := LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, cpu, ok := run.Measured()
	if !ok || cpu.Name != "board.processor.switch1.core" || string(cpu.Instructions.Value) != wantInsts ||
		string(cpu.Cycles.Value) != wantCycles {
		t.Fatalf(
			"measured %q: %s instructions, %s cycles; stats.txt has %s and %s",
			cpu.Name,
			cpu.Instructions.Value,
			cpu.Cycles.Value,
			wantInsts,
			wantCycles,
		)
	}
	if c := CheckRun(dir, 10); c.Outcome != Succeeded || c.Invocations != 10 || c.Warming != 10 || c.Expected != 10 ||
		c.Reason != "10 invocations measured (after 10 warming)" {
		t.Fatalf("check: %+v (want succeeded: 10 warming + 10 measured invocations ended)", c)
	}

	rep := Build(realDebian, nil, 10)
	var md, csvBuf bytes.Buffer
	rep.WriteMarkdown(&md)
	rep.WriteCSV(&csvBuf)
	if strings.Contains(md.String(), StandinMark) || !strings.Contains(md.String(), "| fibonacci-go | 24.0.0.1 |") {
		t.Errorf("report.md: a real run, gem5 24.0.0.1 expected:\n%s", md.String())
	}
	recs, err := csv.NewReader(&csvBuf).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("report.csv: %v %v", err, recs)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var row []string
	for _, rec := range recs[1:] {
		if rec[0] == "fibonacci-go" && rec[col["measured"]] == "true" {
			row = rec
		}
	}
	if row == nil || row[col["instructions"]] != wantInsts || row[col["cycles"]] != wantCycles ||
		row[col["standin"]] != "false" {
		t.Fatalf(
			"report.csv's measured row %v, want %s instructions and %s cycles from a real gem5 (columns %v)",
			row,
			wantInsts,
			wantCycles,
			recs[0],
		)
	}
	t.Logf(
		"real Debian run: %s instructions, %s cycles, IPC %s over 10 measured invocations",
		wantInsts,
		wantCycles,
		row[col["ipc"]],
	)
	if run.Meta == nil || run.Meta.ExecMode != "process" || run.Meta.Gem5SHA256 == "" || run.Meta.Disk == nil {
		t.Errorf("the run's record lacks its provenance: %+v", run.Meta)
	}
}

// TestRealDebianBusyCyclesAndOwnMisses checks the figures issue 21 adds
// against the lines of the real run's stats.txt they come from: busy
// cycles and utilisation of both cores, IPC over busy cycles, and the
// shared L2's misses of the function's core alone.
func TestRealDebianBusyCyclesAndOwnMisses(t *testing.T) {
	dir := filepath.Join(realDebian, "fibonacci-go")
	stats := filepath.Join(dir, "stats.txt")
	num := func(name string) float64 { return statFloat(t, stats, name) }
	run, err := LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, fn, _ := run.Measured()
	var client CPU
	for _, c := range d.CPUs {
		if c.Name == "board.processor.switch0.core" {
			client = c
		}
	}
	insts := num("board.processor.switch1.core.commitStats0.numInsts")
	own := 0.0
	for _, req := range []string{"inst", "data", "mmu.dtb.walker", "mmu.itb.walker"} {
		own += num("board.cache_hierarchy.l2cache.overallMisses::processor.switch1.core." + req)
	}
	cases := []struct {
		name      string
		got, want float64
	}{
		{
			"function core's busy cycles",
			fn.Busy.Cycles,
			num("board.processor.switch1.core.exec_context.thread_0.numBusyCycles"),
		},
		{
			"function core's utilisation",
			fn.Utilisation(),
			num(
				"board.processor.switch1.core.exec_context.thread_0.numBusyCycles",
			) / num(
				"board.processor.switch1.core.numCycles",
			),
		},
		{
			"function core's IPC over busy cycles",
			fn.BusyIPC(),
			insts / num("board.processor.switch1.core.exec_context.thread_0.numBusyCycles"),
		},
		{
			"client core's busy cycles",
			client.Busy.Cycles,
			num("board.processor.switch0.core.exec_context.thread_0.numBusyCycles"),
		},
		{"shared L2 MPKI of the function's own misses", fn.L2.Value, own * 1000 / insts},
	}
	for _, c := range cases {
		if math.Abs(c.got-c.want) > 1e-9*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s: %v, stats.txt gives %v", c.name, c.got, c.want)
		}
	}
	if !fn.SharedL2 || !strings.Contains(fn.L2.From, "own misses") {
		t.Errorf("the simple system's L2 is shared: its MPKI must count own misses (%s)", fn.L2.From)
	}
	if all := num("board.cache_hierarchy.l2cache.overallMisses::total") * 1000 / insts; fn.L2.Value >= all {
		t.Errorf("own L2 MPKI %.2f is not below every miss's %.2f", fn.L2.Value, all)
	}
	t.Logf(
		"function core: utilisation %.3f, IPC %.4f over all cycles, %.4f over busy ones; client core utilisation %.3f; L2 MPKI own %.2f",
		fn.Utilisation(),
		insts/num("board.processor.switch1.core.numCycles"),
		fn.BusyIPC(),
		client.Utilisation(),
		fn.L2.Value,
	)
}

// realPerInvocation is a real gem5 v24.0.0.1 run with MEASUREMENT=per-invocation:
// the tiny guest (busybox, fibonacci-go as a process on core 1, the client
// on core 0), the simple system's O3 cores, 10 atomic warming and 10
// measured invocations, each with a dump of its own; its stats.txt is kept
// gzip'd.
const realPerInvocation = "testdata/real-tiny-per-invocation/fibonacci-go"

// unpackRun copies a testdata run into a temporary directory, unzipping
// its .gz files.
func unpackRun(t *testing.T, src string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		name := e.Name()
		if n, ok := strings.CutSuffix(name, ".gz"); ok {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			name = n
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRealPerInvocationRunIsReported checks every per-invocation figure
// against the stats dump and the log lines it comes from: each
// invocation's instructions, cycles, busy cycles and window of its own
// dump, its latency from the ticks of its work begin and end, the
// measured row as their sum, and the distribution's mean.
func TestRealPerInvocationRunIsReported(t *testing.T) {
	dir := unpackRun(t, realPerInvocation)
	run, err := LoadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !run.PerInvocation() || len(run.Stats.Dumps) != 10 {
		t.Fatalf("per-invocation: %v with %d dumps, want 10", run.PerInvocation(), len(run.Stats.Dumps))
	}
	const cpu = "board.processor.switch1.core"
	num := func(d *Dump, name string) float64 {
		v, ok := d.Value(name)
		f, fok := v.Float()
		if !ok || !fok {
			t.Fatalf("dump %d has no number %s", d.Index, name)
		}
		return f
	}
	ticks := map[string]int64{}
	for _, line := range strings.Split(readText(t, filepath.Join(dir, LogFile)), "\n") {
		if m := invocationTicks.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			ticks[m[1]+" "+m[2]], _ = strconv.ParseInt(m[3], 10, 64)
		}
	}
	ivs := run.Invocations()
	if len(ivs) != 10 || ivs[0].Index != 10 {
		t.Fatalf("%d invocations from %d, want the 10 measured ones from 10 (after 10 warming)", len(ivs), ivs[0].Index)
	}
	var sumInsts, insts []float64
	total := 0.0
	for k, iv := range ivs {
		d := run.Stats.Dumps[k]
		wantInsts, wantCycles := num(d, cpu+".commitStats0.numInsts"), num(d, cpu+".numCycles")
		gotInsts, _ := iv.CPU.Instructions.Value.Float()
		gotCycles, _ := iv.CPU.Cycles.Value.Float()
		wantWindow := wantCycles + num(d, cpu+".quiesceCycles")
		lat := float64(ticks[fmt.Sprintf("End %d", iv.Index)]-ticks[fmt.Sprintf("Start %d", iv.Index)]) / 1e12 * 1e6
		if gotInsts != wantInsts || gotCycles != wantCycles || iv.CPU.Busy.Cycles != wantCycles ||
			iv.CPU.Busy.Window != wantWindow ||
			math.Abs(iv.LatencyMicros(run.TickFrequency())-lat) > 1e-9 {
			t.Errorf(
				"invocation %d: %v instructions, %v cycles, busy %v of %v, latency %.3f µs; its dump and log give %v, %v, %v of %v, %.3f µs",
				iv.Index,
				gotInsts,
				gotCycles,
				iv.CPU.Busy.Cycles,
				iv.CPU.Busy.Window,
				iv.LatencyMicros(run.TickFrequency()),
				wantInsts,
				wantCycles,
				wantCycles,
				wantWindow,
				lat,
			)
		}
		total += wantInsts
		insts = append(insts, wantInsts)
		sumInsts = append(sumInsts, gotInsts)
	}
	_, measured, _ := run.Measured()
	if got, _ := measured.Instructions.Value.Float(); got != total {
		t.Errorf("measured row: %v instructions, the dumps' sum is %v", got, total)
	}
	if d := Distribute(sumInsts); d.N != 10 || math.Abs(d.Mean-total/10) > 1e-6 {
		t.Errorf("distribution of instructions: %+v, want the mean %v", d, total/10)
	}
	var md bytes.Buffer
	rep := Build(filepath.Dir(dir), nil, 10)
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Cores: busy cycles and utilisation", "| instructions | 10 | " + fixed(Distribute(insts).Mean, 0),
		"the sum of its 10 per-invocation dumps", "measurement per-invocation", "| latency µs | 10 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md.String())
		}
	}
	t.Logf("function core: %.0f instructions per invocation, %.0f cycles (busy utilisation %.2f), IPC %.3f",
		total/10, mustFloat(measured.Cycles.Value)/10, measured.Utilisation(), measured.BusyIPC())
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustFloat(v Value) float64 {
	f, _ := v.Float()
	return f
}

// realSkylake is a real gem5 v24.0.0.1 run of the skylake system (O3 cores,
// a private L2 per core, one L3 both share) with MEASUREMENT=per-invocation:
// the tiny guest, fibonacci-go on core 1, 10 measured invocations each with
// its own dump. It is held out: no code was written against its figures.
const realSkylake = "testdata/real-tiny-skylake/fibonacci-go"

// TestRealSkylakeOwnMissesL2AboveL3 cross-checks the L2 and L3 MPKI of a
// real skylake run against the per-requestor counts of its dumps: the
// private L2's every miss, the shared L3's misses of the function's core
// alone, and L3 ≤ L2 for that core, as one core's misses must be.
func TestRealSkylakeOwnMissesL2AboveL3(t *testing.T) {
	run, err := LoadRun(unpackRun(t, realSkylake))
	if err != nil {
		t.Fatal(err)
	}
	const core = "processor.switch1.core"
	var insts, l2, l3, l3all float64
	for _, d := range run.Stats.Dumps {
		num := func(name string) float64 {
			v, _ := d.Value(name)
			f, _ := v.Float() // a requestor with no miss has no line
			return f
		}
		insts += num("board." + core + ".commitStats0.numInsts")
		l2 += num("board.cache_hierarchy.l2caches1.overallMisses::total")
		l3all += num("board.cache_hierarchy.l3cache.overallMisses::total")
		for _, req := range []string{"inst", "data", "mmu.dtb.walker", "mmu.itb.walker"} {
			l3 += num("board.cache_hierarchy.l3cache.overallMisses::" + core + "." + req)
		}
	}
	_, fn, _ := run.Measured()
	cases := []struct {
		name      string
		got, want float64
	}{
		{"private L2 MPKI (every miss of core 1's L2)", fn.L2.Value, l2 * 1000 / insts},
		{"shared L3 MPKI (core 1's own misses)", fn.L3.Value, l3 * 1000 / insts},
	}
	for _, c := range cases {
		if math.Abs(c.got-c.want) > 1e-9*math.Max(1, c.want) {
			t.Errorf("%s: %v, the dumps give %v", c.name, c.got, c.want)
		}
	}
	if fn.SharedL2 || !fn.SharedL3 {
		t.Errorf("skylake: L2 shared %v, L3 shared %v; want a private L2 and a shared L3", fn.SharedL2, fn.SharedL3)
	}
	if fn.L3.Value > fn.L2.Value {
		t.Errorf(
			"the function core's L3 MPKI %.2f is above its L2 MPKI %.2f: one core's misses cannot be",
			fn.L3.Value,
			fn.L2.Value,
		)
	}
	if all := l3all * 1000 / insts; fn.L3.Value >= all {
		t.Errorf("own L3 MPKI %.2f is not below every miss's %.2f", fn.L3.Value, all)
	}
	t.Logf(
		"core 1: L2 MPKI %.2f (private), L3 MPKI %.2f own, %.2f counting every core's misses",
		fn.L2.Value,
		fn.L3.Value,
		l3all*1000/insts,
	)
}

// realDebianBefore is the Debian process-mode run measured "before" the
// idle fix, again: the same disk as the "after" figures (docs/what-the-numbers-measure.md, "What
// the numbers measure"), booted by systemd with the kernel's own MWAIT
// idle loop (SIMULATED_INIT=systemd GUEST_IDLE=kernel), one setup on
// atomic cores (1h38m of boot, 100 warm-up invocations), then evaluated
// on the simple system's timing cores and on O3 cores (10 warming, 10
// measured invocations each).
const realDebianBefore = "testdata/real-debian-before"

// TestRealDebianBeforeIsReported checks the before row of docs/what-the-numbers-measure.md's Debian
// table against the two dumps: instructions and cycles per invocation of
// the function's core, and that the runs say how they were booted.
func TestRealDebianBeforeIsReported(t *testing.T) {
	for _, c := range []struct {
		run                   string
		kInsts, mCycles, busy float64 // docs' figures (k, M, busy share)
	}{
		{"fibonacci-go@timing", 143, 2.56, 0.477},
		{"fibonacci-go@o3", 139, 0.822, 1},
	} {
		t.Run(c.run, func(t *testing.T) {
			dir := filepath.Join(realDebianBefore, c.run)
			run, err := LoadRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, cpu, ok := run.Measured()
			insts, _ := cpu.Instructions.Value.Float()
			cycles, _ := cpu.Cycles.Value.Float()
			stats := filepath.Join(dir, "stats.txt")
			if !ok || cpu.Name != "board.processor.switch1.core" ||
				string(cpu.Instructions.Value) != statLine(t, stats, cpu.Name+".commitStats0.numInsts") {
				t.Fatalf("measured %q: %v instructions", cpu.Name, cpu.Instructions.Value)
			}
			n := float64(run.Meta.Invocations)
			if got := insts / n / 1e3; math.Abs(got-c.kInsts) > 0.5 {
				t.Errorf("%.1f k instructions per invocation, docs/what-the-numbers-measure.md says %.0f k", got, c.kInsts)
			}
			if got := cycles / n / 1e6; math.Abs(got-c.mCycles) > 0.005 {
				t.Errorf("%.3f M cycles per invocation, docs/what-the-numbers-measure.md says %.3f M", got, c.mCycles)
			}
			if got := cpu.Utilisation(); math.Abs(got-c.busy) > 0.001 && c.busy < 1 {
				t.Errorf("busy %.3f of the window, docs/what-the-numbers-measure.md says %.3f", got, c.busy)
			}
			if p := run.Meta.Parameters; p["GUEST_IDLE"] != "kernel" || p["EXEC_MODE"] != "process" ||
				run.Provenance.Standin {
				t.Errorf("run parameters %v: want GUEST_IDLE=kernel, process mode, a real gem5", p)
			}
		})
	}
}
