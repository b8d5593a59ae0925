package results

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// resultsFixture makes a results directory with three functions from
// real gem5 outputs, and the logs the simulate stage leaves.
func resultsFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	runs := []struct {
		name, from string
		log        string
		meta       string
	}{
		{"fibonacci-go", "03-x86-o3-se-v23", logWith(10, true), ""},
		{"aes-go", "02-x86-atomic-se-v21", logWith(7, true), ""},
		{"auth-go", "04-riscv-timing-se-2dumps", logWith(3, false),
			`{"function":"auth-go","status":"hung","reason":"no progress for 15m0s: killed (attempt 2 of 2)","num_invocations":10}`},
	}
	for _, r := range runs {
		d := filepath.Join(dir, r.name)
		os.MkdirAll(d, 0o755)
		for _, f := range []string{"stats.txt", "config.json", "config.ini"} {
			if b, err := os.ReadFile(filepath.Join("testdata/gem5-stats", r.from, f)); err == nil {
				os.WriteFile(filepath.Join(d, f), b, 0o644)
			}
		}
		os.WriteFile(filepath.Join(d, LogFile), []byte(r.log), 0o644)
		if r.meta != "" {
			os.WriteFile(filepath.Join(d, MetaFile), []byte(r.meta), 0o644)
		}
	}
	// A directory without stats is not a run.
	os.MkdirAll(filepath.Join(dir, "notes"), 0o755)
	return dir
}

func logWith(invocations int, done bool) string {
	var b strings.Builder
	b.WriteString("gem5 Simulator System.  https://www.gem5.org\n")
	for i := 0; i < invocations; i++ {
		fmt.Fprintf(&b, "Start invokation %d\nEnd invokation %d\n", i, i)
	}
	if done {
		b.WriteString("Simulation done\n")
	}
	return b.String()
}

func TestReportFromThreeFunctions(t *testing.T) {
	dir := resultsFixture(t)
	rep := Build(dir, []string{"aes-go", "auth-go", "fibonacci-go", "rate"}, 10)
	if len(rep.Runs) != 3 || len(rep.Errors) != 0 {
		t.Fatalf("runs %d errors %v", len(rep.Runs), rep.Errors)
	}

	var csvBuf bytes.Buffer
	if err := rep.WriteCSV(&csvBuf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&csvBuf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0][:13], ","); got != "run,dump,cpu,measured,instructions,instructions_key,cycles,ipc,cpi,sim_seconds,sim_insts,sim_ticks,host_seconds" {
		t.Fatalf("CSV header %s", got)
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[0]+"/"+r[1]+"/"+r[2]] = r
	}
	if len(rows) != 4 { // auth-go has two dumps
		t.Fatalf("%d CSV rows: %v", len(rows), rows)
	}
	fib := rows["fibonacci-go/0/system.cpu"]
	if want := []string{"fibonacci-go", "0", "system.cpu", "true", "12233308", "commitStats0.numInsts", "9057957", "1.350559", "0.740434", "0.004529", "12233308", "4528978000", "53.95"}; strings.Join(
		fib[:13],
		",",
	) != strings.Join(
		want,
		",",
	) {
		t.Errorf("fibonacci-go row %v\nwant %v", fib[:13], want)
	}
	aes := rows["aes-go/0/system.cpu"]
	if aes[5] != "exec_context.thread_0.numInsts" || aes[7] != "0.451227" {
		t.Errorf("aes-go row %v (IPC computed when gem5 did not print it)", aes)
	}
	// Two dumps: the measured one is the busier.
	if rows["auth-go/0/system.cpu"][3] != "false" || rows["auth-go/1/system.cpu"][3] != "true" {
		t.Errorf("auth-go measured flags %v %v", rows["auth-go/0/system.cpu"][3], rows["auth-go/1/system.cpu"][3])
	}

	var md bytes.Buffer
	rep.WriteMarkdown(&md)
	for _, want := range []string{
		"| fibonacci-go | – | succeeded | system.cpu | 12233308 | 9057957 | 1.350559 | 0.740434 |",
		"| aes-go | warn | 7 of 10 invocations ended |",
		"| auth-go | hung | no progress for 15m0s: killed (attempt 2 of 2) |",
		"| rate | failed | no results directory: not simulated yet |",
		"mage simulate:fn aes-go\nmage simulate:fn auth-go\nmage simulate:fn rate",
		"**fibonacci-go**: measured: system.cpu, dump 0 of 1",
		"instructions: system.cpu.commitStats0.numInsts",
		"L1I MPKI: system.cpu.icache.overallMisses::total / commitStats0.numInsts",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md.String())
		}
	}
	if strings.Contains(md.String(), "notes") {
		t.Error("a directory without stats.txt was reported as a run")
	}
}

func TestCheckRun(t *testing.T) {
	dir := resultsFixture(t)
	cases := map[string]Outcome{"fibonacci-go": Succeeded, "aes-go": Warn, "auth-go": Hung}
	for name, want := range cases {
		if c := CheckRun(filepath.Join(dir, name), 10); c.Outcome != want {
			t.Errorf("%s: %s (%s), want %s", name, c.Outcome, c.Reason, want)
		}
	}
	crashed := filepath.Join(dir, "crashed")
	os.MkdirAll(crashed, 0o755)
	os.WriteFile(filepath.Join(crashed, LogFile), []byte("Start invokation 0\npanic: fault in ld\n"), 0o644)
	c := CheckRun(crashed, 10)
	if c.Outcome != Failed || !strings.Contains(c.Reason, "last line: panic: fault in ld") {
		t.Fatalf("crashed: %+v", c)
	}
}

func TestCompare(t *testing.T) {
	a := resultsFixture(t)
	b := resultsFixture(t)
	// B's fibonacci run took twice the cycles.
	p := filepath.Join(b, "fibonacci-go", "stats.txt")
	s, _ := os.ReadFile(p)
	s = bytes.Replace(
		s,
		[]byte("system.cpu.numCycles                          9057957"),
		[]byte("system.cpu.numCycles                         18115914"),
		1,
	)
	s = bytes.Replace(
		s,
		[]byte("system.cpu.ipc                               1.350559"),
		[]byte("system.cpu.ipc                               0.675280"),
		1,
	)
	os.WriteFile(p, s, 0o644)
	os.RemoveAll(filepath.Join(b, "aes-go"))
	ra, _ := LoadResults(a)
	rb, _ := LoadResults(b)
	c := Compare(ra, rb)
	var out bytes.Buffer
	c.Write(&out, "v23", "v24")
	text := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"fibonacci-go cycles 9057957 18115914 +100.00%", "fibonacci-go IPC 1.351 0.6753 -50.00%",
		"auth-go instructions 692821 692821 +0.00%", "only in v23: aes-go"} {
		if !strings.Contains(text, want) {
			t.Errorf("comparison lacks %q:\n%s", want, text)
		}
	}
}

func TestHTMLRendersWithPlots(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (apt-get install chromium)")
	}
	dir := resultsFixture(t)
	rep := Build(dir, nil, 10)
	page := filepath.Join(t.TempDir(), "report.html")
	f, _ := os.Create(page)
	if err := rep.WriteHTML(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	html, _ := os.ReadFile(page)
	if bytes.Contains(html, []byte("<script")) ||
		bytes.Contains(html, []byte("http://")) && !bytes.Contains(html, []byte("http://www.w3.org")) {
		t.Error("the page is not self-contained")
	}
	if n := bytes.Count(html, []byte("<svg")); n != 2 {
		t.Fatalf("%d SVG plots in the page, want 2", n)
	}
	shot := filepath.Join(t.TempDir(), "shot.png")
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--window-size=1400,1000", "--screenshot="+shot, "file://"+page)
	done := make(chan error, 1)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium: %v\n%s", err, out.String())
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("chromium did not finish:\n%s", out.String())
	}
	pf, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out.String())
	}
	defer pf.Close()
	img, err := png.Decode(pf)
	if err != nil {
		t.Fatal(err)
	}
	// The IPC bars are drawn in IPCColor: the plot is not empty when
	// enough pixels of it show.
	bars, inked := 0, 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if near(r, uint32(IPCColor.R)) && near(g, uint32(IPCColor.G)) && near(bl, uint32(IPCColor.B)) {
				bars++
			}
			if r < 200 || g < 200 || bl < 200 {
				inked++
			}
		}
	}
	if os.Getenv("KEEP_SCREENSHOT") != "" {
		b, _ := os.ReadFile(shot)
		os.WriteFile(os.Getenv("KEEP_SCREENSHOT"), b, 0o644)
	}
	if bars < 2000 {
		t.Fatalf("only %d pixels of the bar colour in the screenshot: the plots look empty", bars)
	}
	if inked < 20000 {
		t.Fatalf("only %d non-white pixels: the page looks blank", inked)
	}
	t.Logf("screenshot: %d bar pixels, %d inked pixels", bars, inked)
}

func near(a, b uint32) bool {
	d := int(a) - int(b)
	return d > -12 && d < 12
}

// BenchmarkParseStats parses a 1.5 MB stats file with four dumps.
func BenchmarkParseStats(b *testing.B) {
	one, err := os.ReadFile("testdata/gem5-stats/03-x86-o3-se-v23/stats.txt")
	if err != nil {
		b.Fatal(err)
	}
	// Four dumps of about 375 kB: the O3 dump, and the same statistics
	// again under a second root object (as a two-system run prints them).
	marker := bytes.Index(one, []byte("Begin Simulation Statistics"))
	begin := marker + bytes.IndexByte(one[marker:], '\n') + 1
	end := bytes.LastIndex(one, []byte("---------- End"))
	body := one[begin:end]
	var second []byte
	for _, line := range bytes.SplitAfter(body, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("system.")); ok {
			second = append(append(second, "testsys."...), rest...)
		}
	}
	var buf bytes.Buffer
	for i := 0; i < 4; i++ {
		buf.WriteString("\n---------- Begin Simulation Statistics ----------\n")
		buf.Write(body)
		buf.Write(second)
		buf.WriteString("---------- End Simulation Statistics   ----------\n")
	}
	data := buf.Bytes()
	dumps := bytes.Count(data, []byte("Begin Simulation Statistics"))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		st, err := ParseStats(bytes.NewReader(data), "bench")
		if err != nil || len(st.Dumps) != dumps || len(st.Problems) > 0 {
			b.Fatalf("%v, %d dumps, problems %v", err, len(st.Dumps), st.Problems)
		}
		for _, d := range st.Dumps {
			analyze(d, nil)
		}
	}
	b.ReportMetric(float64(dumps), "dumps")
	b.ReportMetric(float64(len(data))/1e6, "MB")
}

// TestStandinRunsAreMarkedEverywhere: a run the stand-in gem5 made (its
// banner, or its record) says so in every format, so its numbers are
// never mistaken for measurements; a real run does not.
func TestStandinRunsAreMarkedEverywhere(t *testing.T) {
	dir := resultsFixture(t)
	banner := "gem5 Simulator System.  https://www.gem5.org\ngem5 version 24.0.0.0 (vswarmu-mage stand-in)\n"
	os.WriteFile(filepath.Join(dir, "fibonacci-go", LogFile), []byte(banner+logWith(10, true)), 0o644)
	os.WriteFile(
		filepath.Join(dir, "auth-go", MetaFile),
		[]byte(`{"function":"auth-go","status":"ok","standin":true}`),
		0o644,
	)
	real := "gem5 Simulator System.  https://www.gem5.org\ngem5 version 24.0.0.1\n"
	os.WriteFile(filepath.Join(dir, "aes-go", LogFile), []byte(real+logWith(10, true)), 0o644)
	rep := Build(dir, nil, 10)

	var md, csvBuf, html bytes.Buffer
	rep.WriteMarkdown(&md)
	rep.WriteCSV(&csvBuf)
	if err := rep.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2 of 3 runs were made by the stand-in gem5", "| fibonacci-go | " + StandinMark + " |",
		"| auth-go | " + StandinMark + " |", "| aes-go | 24.0.0.1 |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md.String())
		}
	}
	recs, _ := csv.NewReader(&csvBuf).ReadAll()
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, rec := range recs[1:] {
		want := map[string]string{"fibonacci-go": "true", "auth-go": "true", "aes-go": "false"}[rec[0]]
		if rec[col["standin"]] != want {
			t.Errorf("CSV row %v: standin %q, want %s", rec, rec[col["standin"]], want)
		}
	}
	page := html.String()
	for _, want := range []string{`id="standin-warning"`, `<tr class="standin"><td>fibonacci-go</td><td class="t">` + StandinMark,
		"fibonacci-go (stand-in)", `<tr><td>aes-go</td><td class="t">24.0.0.1</td>`} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

// TestPlotsLegendAndFont: the MPKI legend names only the metrics some run
// has (no branch MPKI when no run has mispredictions) and sits beside the
// bars; the plots' text is in the page's sans-serif face.
func TestPlotsLegendAndFont(t *testing.T) {
	rows := []row{
		{Run: "a", ipc: 0.5, mpki: [5]float64{1, 2, 3, math.NaN(), math.NaN()}},
		{Run: "b", ipc: 0.7, mpki: [5]float64{2, 1, math.NaN(), math.NaN(), math.NaN()}},
	}
	mpki, err := mpkiPlot(rows)
	if err != nil {
		t.Fatal(err)
	}
	ipc, err := ipcPlot(rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, svg := range []string{string(mpki), string(ipc)} {
		if strings.Contains(svg, "Serif") || !strings.Contains(svg, "Liberation Sans") {
			t.Errorf("plot text is not sans-serif:\n%.400s", svg)
		}
	}
	for _, want := range []string{">L1I MPKI<", ">L1D MPKI<", ">L2 MPKI<"} {
		if !strings.Contains(string(mpki), want) {
			t.Errorf("legend lacks %s", want)
		}
	}
	for _, absent := range []string{"branch MPKI", "L3 MPKI"} {
		if strings.Contains(string(mpki), absent) {
			t.Errorf("legend lists %s, which no run has", absent)
		}
	}
}

// TestWrongRepliesFailTheRun: a run whose console holds the client's
// wrong-reply lines is failed, its reason naming the function, the
// invocation and what came back; report.md says so.
func TestWrongRepliesFailTheRun(t *testing.T) {
	dir := resultsFixture(t)
	line := `VSWARMU-WRONG-REPLY fibonacci-go measured 3: fibonacci of 10: y is 56, fib(10) is 55 (the reply: "x: 10 y: 56 |")`
	console := "booted\n" + line + "\r\n" + strings.Replace(line, "measured 3", "measured 4", 1) + "\n"
	for _, name := range ConsoleFiles {
		t.Run(name, func(t *testing.T) {
			run := filepath.Join(dir, "fibonacci-go")
			os.WriteFile(filepath.Join(run, name), []byte(console), 0o644)
			defer os.Remove(filepath.Join(run, name))
			c := CheckRun(run, 10)
			want := `wrong replies: 2 (the function computed wrongly, and its numbers measure that); the first: fibonacci-go measured 3: fibonacci of 10: y is 56, fib(10) is 55`
			if c.Outcome != Failed || !strings.HasPrefix(c.Reason, want) {
				t.Fatalf("check: %+v\nwant failed: %s", c, want)
			}
			var md bytes.Buffer
			Build(dir, []string{"fibonacci-go"}, 10).WriteMarkdown(&md)
			if !strings.Contains(md.String(), "| fibonacci-go | failed | wrong replies: 2") {
				t.Errorf("report.md:\n%s", md.String())
			}
		})
	}
	if c := CheckRun(filepath.Join(dir, "fibonacci-go"), 10); c.Outcome != Succeeded {
		t.Fatalf("without the console lines: %+v", c)
	}
}

// TestReportKnowsListedFunctionsOnOtherCoresAndGivesPerInvocation: a run
// of a listed function on other cores (fibonacci-go@o3) is of the current
// list; the measured row gives its figures per measured invocation and
// report.csv carries the provenance report.md has.
func TestReportKnowsListedFunctionsOnOtherCoresAndGivesPerInvocation(t *testing.T) {
	dir := resultsFixture(t)
	o3 := filepath.Join(dir, "fibonacci-go@o3")
	if err := os.Rename(filepath.Join(dir, "fibonacci-go"), o3); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(o3, MetaFile), []byte(`{"function":"fibonacci-go","num_invocations":10,"status":"ok",
	  "gem5_sha256":"abc123","gem5_patches":"0001-x.patch@0123456789ab","memory":"SimpleMemory 30ns (±0ns), 12.8GiB/s","system":"simple"}`), 0o644)
	rep := Build(dir, []string{"fibonacci-go", "aes-go", "auth-go"}, 10)
	var md, csvb bytes.Buffer
	rep.WriteMarkdown(&md)
	rep.WriteCSV(&csvb)
	if strings.Contains(md.String(), "from earlier lists") {
		t.Errorf("fibonacci-go@o3 is taken for a run of an earlier list:\n%s", md.String())
	}
	// 12233308 instructions, 9057957 cycles over 10 measured invocations.
	if !strings.Contains(md.String(), "| 1223331 | 905796 |") {
		t.Errorf("report.md lacks the per-invocation figures:\n%s", md.String())
	}
	recs, err := csv.NewReader(&csvb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, rec := range recs[1:] {
		if rec[0] != "fibonacci-go@o3" || rec[col["measured"]] != "true" {
			continue
		}
		for name, want := range map[string]string{"current_list": "true", "instructions_per_invocation": "1223331",
			"cycles_per_invocation": "905796", "measured_invocations": "10", "gem5_sha256": "abc123",
			"gem5_patches": "0001-x.patch@0123456789ab", "memory": "SimpleMemory 30ns (±0ns), 12.8GiB/s"} {
			if rec[col[name]] != want {
				t.Errorf("report.csv %s = %q, want %q", name, rec[col[name]], want)
			}
		}
		return
	}
	t.Fatalf("no measured row of fibonacci-go@o3 in report.csv:\n%s", csvb.String())
}

// TestStepsAreDifferencesOfTheDumps: a boot's or setup's steps are read
// from its log's step lines and the cumulative dumps taken at each.
func TestStepsAreDifferencesOfTheDumps(t *testing.T) {
	dir := t.TempDir()
	var stats strings.Builder
	for _, d := range [][2]string{{"1000", "1.5"}, {"251000", "61.5"}, {"261000", "62.0"}} {
		fmt.Fprintf(&stats, "\n---------- Begin Simulation Statistics ----------\nhostSeconds %s # Real time\nsimInsts %s # Number of instructions simulated (Count)\n---------- End Simulation Statistics   ----------\n", d[1], d[0])
	}
	os.WriteFile(filepath.Join(dir, "stats.txt"), []byte(stats.String()), 0o644)
	os.WriteFile(filepath.Join(dir, LogFile), []byte("m5 fail 1: booted\nStep dump 1: code 1 at tick 100\n"+
		"Step dump 2: code 2 at tick 200\nnoise\nStep dump 3: code 32 at tick 300\n"), 0o644)
	steps, err := Steps(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Step{{1, "booted", 100, 1000, 1.5}, {2, "", 200, 250000, 60}, {32, "", 300, 10000, 0.5}}
	if fmt.Sprint(steps) != fmt.Sprint(want) {
		t.Fatalf("steps %v, want %v", steps, want)
	}
	os.WriteFile(filepath.Join(dir, LogFile), []byte("Step dump 4: code 6 at tick 400\n"), 0o644)
	if _, err := Steps(dir); err == nil || !strings.Contains(err.Error(), "step dump 4, but stats.txt has 3 dumps") {
		t.Fatalf("a step without its dump: %v", err)
	}
}

// A run of a listed function on another system (fibonacci-go@simple-ddr4-o3)
// is of the current list too when the list's runs carry this
// configuration's labels (fibonacci-go@o3).
func TestReportKnowsListedFunctionsOnOtherSystems(t *testing.T) {
	dir := resultsFixture(t)
	ddr4 := filepath.Join(dir, "fibonacci-go@simple-ddr4-o3")
	if err := os.Rename(filepath.Join(dir, "fibonacci-go"), ddr4); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(ddr4, MetaFile), []byte(`{"function":"fibonacci-go","num_invocations":10,"status":"ok"}`), 0o644)
	rep := Build(dir, []string{"fibonacci-go@o3", "aes-go@o3", "auth-go@o3"}, 10)
	var md bytes.Buffer
	rep.WriteMarkdown(&md)
	if strings.Contains(md.String(), "fibonacci-go@simple-ddr4-o3; delete") || strings.Contains(md.String(), "earlier lists (fibonacci-go@simple-ddr4-o3") {
		t.Errorf("fibonacci-go@simple-ddr4-o3 is taken for a run of an earlier list:\n%s", md.String())
	}
}
