package targets_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
	"github.com/vswarmu/vswarmu-mage/internal/slurm/slurmtest"
	"github.com/vswarmu/vswarmu-mage/results"
)

// The real-gem5 tier runs the main job on a real gem5 (VSWARMU_GEM5 names
// its gem5.opt; CI unpacks the prebuilt v24.0.0.1 X86 binary): a tiny
// kernel from the project's kernel stage (tinyconfig + the fragments) and
// the tiny disk (functions:tiny: busybox, the agent, m5, the client, the
// reference fibonacci-go as a plain process). The boot runs on atomic
// cores (no KVM here) and checkpoints before the run script; setup
// restores it, starts the function and checkpoints after the warm-up; the
// evaluations restore that on both systems and detailed core types. Then a
// second function's setup from the same boot checkpoint, a sweep of two L2
// sizes, a killed evaluation, and setup and evaluation again as Slurm
// jobs, and the main job again with TOPOLOGY=two-machine (its own boot of
// both systems, the client on the drive system). About 30 minutes alone
// on 2 cores once the kernel is built (docs/tests.md).

func realGem5(t *testing.T) string {
	t.Helper()
	g := os.Getenv("VSWARMU_GEM5")
	if g == "" {
		t.Skip(
			"set VSWARMU_GEM5=<gem5.opt> (gem5 v24 for X86; `mage gem5:build` builds one) to run the real-gem5 tests",
		)
	}
	if _, err := os.Stat(g); err != nil {
		t.Fatalf("VSWARMU_GEM5=%s: %v", g, err)
	}
	return g
}

// realRun is the configuration of the tier's main job.
type realRun struct {
	dir    string
	env    []string
	work   string
	res    string // its RESOURCES: the tiny disk
	kernel string // the test kernel it boots
}

func (r realRun) mage(t *testing.T, within time.Duration, extra []string, args ...string) magetest.Result {
	t.Helper()
	start := time.Now()
	res := magetest.Start(t, r.dir, append(append([]string(nil), r.env...), extra...), args...).Wait(t, within)
	t.Logf(
		"mage %s %s: exit %d in %v",
		strings.Join(extra, " "),
		strings.Join(args, " "),
		res.Code,
		time.Since(start).Round(time.Second),
	)
	return res
}

func TestRealGem5MainJob(t *testing.T) {
	gem5 := realGem5(t)
	kernel := testKernel(t)
	res := resourcesDir(t)
	dir := t.TempDir()
	run := realRun{dir: dir, work: filepath.Join(dir, "wk"), res: res, kernel: kernel, env: []string{
		"GEM5=" + gem5, "KERNEL=" + kernel, "INSTALLED_DISK=tiny", "EXEC_MODE=process", "SETUP_CPU=atomic",
		"FUNCTIONS=fibonacci-go", "WARMUP_INVOCATIONS=5", "ATOMIC_WARMING=2", "NUM_INVOCATIONS=3",
		"HANG_TIMEOUT=10m", "RESOURCES=" + res, "WORKING_DIR=" + filepath.Join(dir, "wk"), "JOBS=2",
	}}
	results := filepath.Join(run.work, "results", "fibonacci-go")

	r := run.mage(t, 40*time.Minute, nil, "simulate:all")
	if r.Code != 0 {
		log, _ := os.ReadFile(filepath.Join(run.work, "setup", "fibonacci-go", "gem5.log"))
		t.Fatalf(
			"simulate:all on the real gem5: exit %d\n%s\nsetup log tail:\n%s",
			r.Code,
			r.Output,
			tail(string(log), 3000),
		)
	}
	if strings.Count(r.Output, "▶ simulate:boot ") != 1 {
		t.Errorf("simulate:all did not boot once:\n%s", r.Output)
	}
	checkMeasuredRun(t, run, gem5, "fibonacci-go", "simple", "BaseTimingSimpleCPU")
	if r := run.mage(t, 5*time.Minute, nil, "report:check"); r.Code != 0 ||
		!strings.Contains(r.Output, "fibonacci-go") ||
		!strings.Contains(r.Output, "succeeded") {
		t.Fatalf("report:check: exit %d\n%s", r.Code, r.Output)
	}
	if r := run.mage(t, 5*time.Minute, nil, "simulate:all"); r.Code != 0 ||
		!strings.Contains(r.Output, "nothing to do") {
		t.Fatalf("second simulate:all: exit %d\n%s", r.Code, r.Output)
	}

	// The other system and core types restore the same checkpoint: only
	// the evaluation and the report run.
	for _, c := range []struct {
		env     []string
		runName string // kept apart from the default run's results
		system  string
		cpuType string
	}{
		{[]string{"SYSTEM=skylake"}, "fibonacci-go@skylake", "skylake", "BaseO3CPU"},
		{[]string{"SYSTEM=skylake", "DETAILED_CPU=timing"}, "fibonacci-go@skylake-timing", "skylake", "BaseTimingSimpleCPU"},
		{[]string{"SYSTEM=simple", "DETAILED_CPU=o3"}, "fibonacci-go@o3", "simple", "BaseO3CPU"},
	} {
		r := run.mage(t, 15*time.Minute, c.env, "simulate:all")
		if r.Code != 0 || strings.Contains(r.Output, "▶ simulate:setup") ||
			!strings.Contains(r.Output, "▶ simulate:fn:fibonacci-go") {
			t.Fatalf("%v: exit %d (want only the evaluation to run)\n%s", c.env, r.Code, r.Output)
		}
		checkMeasuredRun(
			t,
			realRun{
				dir:    run.dir,
				work:   run.work,
				res:    run.res,
				kernel: run.kernel,
				env:    append(append([]string(nil), run.env...), c.env...),
			},
			gem5,
			c.runName,
			c.system,
			c.cpuType,
		)
	}
	stats, _ := os.ReadFile(filepath.Join(results, "stats.txt"))
	if !strings.Contains(string(stats), "board.cache_hierarchy.l1icaches1.") ||
		!strings.Contains(string(stats), "board.cache_hierarchy.l2cache.") {
		t.Errorf("simple's stats lack its L1s or shared LLC")
	}

	t.Run("a second function's setup restores the boot checkpoint", func(t *testing.T) {
		secondSetupFromBoot(t, run)
	})
	t.Run("every system and core type instantiates and simulates (bounded)", func(t *testing.T) {
		boundedRuns(t, run, gem5)
	})
	t.Run("a two-point sweep restores the one checkpoint twice", func(t *testing.T) {
		realSweep(t, run)
	})
	t.Run("mage kill stops a real evaluation, reported as killed", func(t *testing.T) {
		killRealEvaluation(t, run)
	})
	t.Run("the same runs as Slurm jobs", func(t *testing.T) {
		realRunsOnSlurm(t, run, gem5)
	})
	t.Run("two machines: the client on a drive system of its own", func(t *testing.T) {
		realTwoMachines(t, run)
	})
}

// secondSetupFromBoot sets up aes-go from the boot checkpoint the main job
// made: no boot, and fewer simulated instructions than the boot's.
func secondSetupFromBoot(t *testing.T, run realRun) {
	r := run.mage(t, 20*time.Minute, []string{"FUNCTIONS=fibonacci-go,aes-go"}, "simulate:setup", "aes-go")
	if r.Code != 0 || strings.Contains(r.Output, "▶ simulate:boot") ||
		!strings.Contains(r.Output, "▶ simulate:setup:aes-go") {
		t.Fatalf("aes-go's setup: exit %d (want it alone, from the boot checkpoint)\n%s", r.Code, r.Output)
	}
	log, _ := os.ReadFile(filepath.Join(run.work, "setup", "aes-go", "gem5.log"))
	if !strings.Contains(string(log), "from the boot checkpoint") || strings.Contains(string(log), "m5 fail 5") ||
		!strings.Contains(string(log), "m5 fail 32") {
		t.Fatalf("aes-go's setup did not restore the boot checkpoint:\n%s", tail(string(log), 3000))
	}
	elapsed := func(dir string) float64 {
		var m results.RunMeta
		b, err := os.ReadFile(filepath.Join(dir, "vswarmu.json"))
		if err != nil || json.Unmarshal(b, &m) != nil || m.ElapsedSeconds <= 0 {
			t.Fatalf("%s: no elapsed time (%v)", dir, err)
		}
		return m.ElapsedSeconds
	}
	boot, fib, aes := elapsed(
		filepath.Join(run.work, "boot", "run"),
	), elapsed(
		filepath.Join(run.work, "setup", "fibonacci-go"),
	),
		elapsed(
			filepath.Join(run.work, "setup", "aes-go"),
		)
	t.Logf(
		"boot %.0f s; fibonacci-go setup from it %.0f s; aes-go setup from it %.0f s: the second function's setup is %.2f of boot + setup",
		boot,
		fib,
		aes,
		aes/(boot+fib),
	)
	// Simulated instructions, not host seconds (which move with the
	// machine's load): a setup from the checkpoint runs no boot.
	bootInsts, aesInsts := lastSimInsts(t, filepath.Join(run.work, "boot", "run")), lastSimInsts(t, filepath.Join(run.work, "setup", "aes-go"))
	t.Logf("boot %.1f M instructions, aes-go's setup from it %.1f M", bootInsts/1e6, aesInsts/1e6)
	if aesInsts >= bootInsts {
		t.Errorf("aes-go's setup (%.1f M instructions) ran as many as the boot (%.1f M)", aesInsts/1e6, bootInsts/1e6)
	}
}

// lastSimInsts is a run's simulated instructions at its last statistics
// dump.
func lastSimInsts(t *testing.T, dir string) float64 {
	t.Helper()
	st, err := results.ReadStats(filepath.Join(dir, "stats.txt"))
	if err != nil || len(st.Dumps) == 0 {
		t.Fatalf("%s: statistics %v", dir, err)
	}
	v, ok := st.Dumps[len(st.Dumps)-1].Value("simInsts")
	f, _ := v.Float()
	if !ok || f <= 0 {
		t.Fatalf("%s: no simInsts in its last dump", dir)
	}
	return f
}

// realSweep sweeps the shared L2 of the simple system over two sizes:
// two evaluations from the existing checkpoint, with different cycles.
func realSweep(t *testing.T, run realRun) {
	writeFile(t, filepath.Join(run.dir, "sweeps", "l2.yaml"), "matrix:\n  l2_size: [16kB, 4MB]\n")
	r := run.mage(t, 20*time.Minute, nil, "simulate:sweep", "l2")
	if r.Code != 0 || strings.Contains(r.Output, "▶ simulate:setup") ||
		strings.Count(r.Output, "▶ simulate:sweep:l2:") != 2 {
		t.Fatalf("sweep on the real gem5: exit %d (want two evaluations, no setup)\n%s", r.Code, r.Output)
	}
	var cycles []float64
	for _, point := range []string{"l2_size=16kB", "l2_size=4MB"} {
		res, err := results.LoadRun(filepath.Join(run.work, "sweeps", "l2", point, "fibonacci-go"))
		if err != nil {
			t.Fatal(err)
		}
		_, cpu, ok := res.Measured()
		c, _ := cpu.Cycles.Value.Float()
		if !ok || c <= 0 {
			t.Fatalf("%s: no measured cycles", point)
		}
		cycles = append(cycles, c)
		t.Logf("%s: %.0f cycles", point, c)
	}
	if cycles[0] == cycles[1] {
		t.Fatalf("both L2 sizes measured %.0f cycles", cycles[0])
	}
	md, _ := os.ReadFile(filepath.Join(run.work, "sweeps", "l2", "report.md"))
	if strings.Contains(string(md), "STAND-IN") || !strings.Contains(string(md), "## Speedup against the baseline") {
		t.Fatalf("sweep report:\n%s", md)
	}
}

// realRunsOnSlurm runs the tier's setup and evaluation again as jobs of a
// single-node Slurm cluster and checks the measured row.
func realRunsOnSlurm(t *testing.T, run realRun, gem5 string) {
	c := slurmtest.Start(t, 0)
	env := append(
		append([]string(nil), c.Env...),
		"EXECUTOR=slurm",
		"SLURM_SHARED=/",
		"FORCE=simulate:setup:fibonacci-go",
	)
	w := watchQueue(c)
	r := run.mage(t, 40*time.Minute, env, "simulate:all")
	seen, _ := w.end()
	if r.Code != 0 || seen != 2 {
		t.Fatalf("simulate:all on Slurm: exit %d, %d jobs (want a setup and an evaluation)\n%s", r.Code, seen, r.Output)
	}
	for _, dir := range []string{"setup", "results"} {
		if _, err := os.Stat(filepath.Join(run.work, dir, "fibonacci-go", "slurm.sh")); err != nil {
			t.Errorf("no job script in %s: %v", dir, err)
		}
	}
	checkMeasuredRun(t, run, gem5, "fibonacci-go", "simple", "BaseTimingSimpleCPU")
}

// checkMeasuredRun checks the report and the run's record after an
// evaluation: real numbers, exactly NUM_INVOCATIONS measured invocations,
// the provenance of every input, and no stand-in mark.
func checkMeasuredRun(t *testing.T, run realRun, gem5, runName, system, cpuType string) {
	t.Helper()
	dir := filepath.Join(run.work, "results", runName)
	recs, col := readReportCSV(t, filepath.Join(run.work, "results", "report.csv"))
	var row []string
	for _, rec := range recs {
		if rec[col["run"]] == runName && rec[col["measured"]] == "true" {
			row = rec
		}
	}
	if row == nil {
		t.Fatalf("report.csv has no measured row for fibonacci-go:\n%v", recs)
	}
	insts, _ := strconv.ParseFloat(row[col["instructions"]], 64)
	cycles, _ := strconv.ParseFloat(row[col["cycles"]], 64)
	ipc, _ := strconv.ParseFloat(row[col["ipc"]], 64)
	if insts <= 0 || cycles <= 0 || ipc < 0.01 || ipc > 4 || row[col["cpu"]] != "board.processor.switch1.core" ||
		row[col["cpu_type"]] != cpuType || row[col["gem5"]] != "24.0.0.1" || row[col["standin"]] != "false" {
		t.Fatalf("%s: measured row %v", system, row)
	}
	t.Logf(
		"%s (%s): %.0f instructions, %.0f cycles, IPC %.3f over %s invocations",
		system,
		cpuType,
		insts,
		cycles,
		ipc,
		"3",
	)
	if n := measuredInvocations(t, filepath.Join(dir, results.LogFile), 2); n != 3 {
		t.Fatalf("%s: %d measured invocations in gem5.log, want NUM_INVOCATIONS=3", system, n)
	}
	stats, _ := os.ReadFile(filepath.Join(dir, "stats.txt"))
	if n := strings.Count(string(stats), "Begin Simulation Statistics"); n != 1 {
		t.Fatalf("%s: stats.txt has %d dumps, want the one of the measured invocations", system, n)
	}
	if system == "skylake" && !strings.Contains(string(stats), "board.cache_hierarchy.l3cache.overallMisses::total") {
		t.Fatalf("skylake's stats show no L3")
	}
	var meta results.RunMeta
	b, _ := os.ReadFile(filepath.Join(dir, results.MetaFile))
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Standin || meta.Gem5Version != "24.0.0.1" || meta.Gem5SHA256 != sha256Of(t, gem5) || meta.ExecMode != "process" ||
		meta.System != system || meta.Kernel == nil || meta.Kernel.SHA256 == "" || meta.Disk == nil || meta.Disk.Size == 0 ||
		meta.Image != "vhiveease/fibonacci-go:latest (a reference image built here from functions/src, IMAGES=reference)" ||
		meta.Parameters["SETUP_CPU"] != "atomic" ||
		meta.SetupSeconds <= 0 {
		t.Fatalf("%s: run record %s", system, b)
	}
	// gem5 v24.0.0.1 as published: the probe found its misdecode.
	if p := meta.Gem5Probe; p == nil || p.Standin || p.Gem5SHA256 != meta.Gem5SHA256 ||
		!slices.Equal(p.Misdecodes, misdecode.Misdecodes()) {
		t.Fatalf("%s: the run record's probe %+v, want %v found on the published gem5", system, p, misdecode.Misdecodes())
	}
}

// measuredInvocations counts the invocations gem5 measured: those that
// ended after the atomic warming.
func measuredInvocations(t *testing.T, log string, warming int) int {
	t.Helper()
	f, err := os.Open(log)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`^End invokation (\d+)(?: at tick \d+)?$`)
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m := re.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			if i, _ := strconv.Atoi(m[1]); i >= warming {
				n++
			}
		}
	}
	return n
}

func sha256Of(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

// boundedRuns runs run_sim.py's --max-ticks check of every system and
// detailed core type from the run's setup checkpoint, and of the setup
// mode: each instantiates, restores, switches and simulates on the real
// gem5.
func boundedRuns(t *testing.T, run realRun, gem5 string) {
	config := filepath.Join(magetest.RepoRoot(t), "gem5-configs", "run_sim.py")
	// The main job's own kernel and tiny disk: no second build.
	disk := filepath.Join(run.res, "tiny-amd64.raw")
	common := []string{
		config,
		"--kernel",
		run.kernel,
		"--disk",
		disk,
		"--function",
		"fibonacci-go",
		"--root",
		"/dev/sda2",
		"--max-ticks",
		"100000000",
	}
	cases := [][]string{
		{"--mode", "setup", "--setup-cpu", "atomic", "--checkpoint-dir", filepath.Join(t.TempDir(), "unused")},
	}
	for _, system := range []string{"simple", "skylake"} {
		for _, cpu := range []string{"timing", "o3"} {
			cases = append(cases, []string{"--mode", "evaluation", "--system", system, "--detailed-cpu", cpu,
				"--checkpoint-dir", filepath.Join(run.work, "cpt", "fibonacci-go")})
		}
	}
	for _, c := range cases {
		out := t.TempDir()
		start := time.Now()
		b, err := exec.Command(gem5, append([]string{"--outdir=" + out}, append(common, c...)...)...).CombinedOutput()
		if err != nil || !strings.Contains(string(b), "Simulation done") {
			t.Fatalf("%v: %v\n%s", c, err, tail(string(b), 3000))
		}
		if c[1] == "evaluation" {
			stats, _ := os.ReadFile(filepath.Join(out, "stats.txt"))
			if !regexp.MustCompile(`board\.processor\.switch1\.core\.numCycles\s+[1-9]`).Match(stats) {
				t.Fatalf("%v: the detailed core ran no cycles:\n%s", c, tail(string(stats), 2000))
			}
		}
		t.Logf("%s: %v", strings.Join(c[:4], " "), time.Since(start).Round(100*time.Millisecond))
	}
}

// killRealEvaluation starts a longer evaluation, runs `mage kill` once
// gem5 measures on the detailed cores, and checks that the run reports the
// rule as killed and leaves nothing that looks up to date.
func killRealEvaluation(t *testing.T, run realRun) {
	env := append(append([]string(nil), run.env...), "NUM_INVOCATIONS=60")
	log := filepath.Join(run.work, "results", "fibonacci-go", results.LogFile)
	os.Remove(log) // the last evaluation's: wait for this one's
	r := magetest.Start(t, run.dir, env, "simulate:all")
	deadline := time.Now().Add(10 * time.Minute)
	for {
		b, _ := os.ReadFile(log)
		if strings.Contains(string(b), "Switched to the detailed cores") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the evaluation did not reach the detailed cores:\n%s", r.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
	k := magetest.Mage(t, run.dir, env, "kill")
	if k.Code != 0 || !strings.Contains(k.Output, "gem5") {
		t.Fatalf("mage kill: exit %d\n%s", k.Code, k.Output)
	}
	res := r.Wait(t, 2*time.Minute)
	if res.Code == 0 || !regexp.MustCompile(`simulate:fn:fibonacci-go (was )?killed`).MatchString(res.Output) {
		t.Fatalf("the killed run: exit %d, want simulate:fn:fibonacci-go reported as killed\n%s", res.Code, res.Output)
	}
	if s := magetest.Mage(t, run.dir, env, "status"); s.Code != 1 ||
		!strings.Contains(s.Output, "stale simulate:fn:fibonacci-go") {
		t.Fatalf("after the kill the evaluation looks up to date: exit %d\n%s", s.Code, s.Output)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// realTwoMachines runs the main job with TOPOLOGY=two-machine: the test
// system and a drive system (the drive disk functions:driveDisk makes)
// boot once, the drive system's client warms the function up over the
// simulated link and checkpoints, and the evaluation measures the test
// system's core while the work items come from the drive system. The
// single machine's checkpoints stay: going back reruns only the
// evaluation.
func realTwoMachines(t *testing.T, run realRun) {
	two := []string{"TOPOLOGY=two-machine", "LINK_DELAY=1us"}
	r := run.mage(t, 60*time.Minute, two, "simulate:all")
	setupDir := filepath.Join(run.work, "setup-two-machine", "fibonacci-go")
	if r.Code != 0 {
		log, _ := os.ReadFile(filepath.Join(setupDir, "gem5.log"))
		t.Fatalf("two machines: exit %d\n%s\nsetup log tail:\n%s", r.Code, r.Output, tail(string(log), 3000))
	}
	if strings.Count(r.Output, "▶ simulate:boot ") != 1 || !strings.Contains(r.Output, "▶ functions:driveDisk") {
		t.Errorf("two machines: want the drive disk made and one boot of both systems:\n%s", r.Output)
	}
	rows := reportRows(t, filepath.Join(run.work, "results", "report.csv"))
	if rows["board.processor.switch1.core"] != "test true" || rows[results.DriveCPU] != "drive false" {
		t.Fatalf("report.csv rows (machine measured): %v", rows)
	}
	res := filepath.Join(run.work, "results", "fibonacci-go@two-machine")
	if n := measuredInvocations(t, filepath.Join(res, results.LogFile), 2); n != 3 {
		t.Fatalf("%d measured invocations, want 3", n)
	}
	// The work items came from the drive system: only it exits on them,
	// and the test system's cores started none.
	stats, _ := os.ReadFile(filepath.Join(res, "stats.txt"))
	started := regexp.MustCompile(`(?m)^board\.processor\.\w+\.core\.numWorkItemsStarted\s+(\d+)`).
		FindAllSubmatch(stats, -1)
	if len(started) == 0 {
		t.Fatalf("stats.txt has no numWorkItemsStarted of the test system's cores")
	}
	for _, m := range started {
		if string(m[1]) != "0" {
			t.Errorf("a test system core started work items: %s", m[0])
		}
	}
	insts := func(cpu string) string {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cpu) + `\.commitStats0\.numInsts\s+(\d+)`).
			FindSubmatch(stats)
		if m == nil {
			return "?"
		}
		return string(m[1])
	}
	t.Logf(
		"measured interval: test system core 0 %s, core 1 (the function) %s, drive system (the client) %s instructions",
		insts("board.processor.switch0.core"),
		insts("board.processor.switch1.core"),
		insts(results.DriveCPU),
	)
	// The client ran on the drive system's console, not the test system's.
	drive, _ := os.ReadFile(filepath.Join(setupDir, gem5configs.DriveConsoleFile()))
	test, _ := os.ReadFile(filepath.Join(setupDir, gem5configs.ConsoleFile))
	if !strings.Contains(string(drive), "connecting to 10.0.2.17:") || strings.Contains(string(test), "connecting to") {
		t.Errorf(
			"the client did not run (only) on the drive system:\ndrive console:\n%s\ntest console:\n%s",
			tail(string(drive), 2000),
			tail(string(test), 2000),
		)
	}
	var meta results.RunMeta
	b, _ := os.ReadFile(filepath.Join(res, results.MetaFile))
	if json.Unmarshal(b, &meta) != nil || meta.Topology != "two-machine" || meta.Standin || meta.DriveDisk == nil {
		t.Errorf("run record: %s", b)
	}
	r = run.mage(t, 15*time.Minute, nil, "simulate:all")
	if r.Code != 0 || strings.Contains(r.Output, "▶ simulate:boot") || strings.Contains(r.Output, "▶ simulate:setup") ||
		strings.Contains(r.Output, "▶ simulate:fn") {
		t.Errorf(
			"back to a single machine: exit %d, want no simulation (its results are kept apart)\n%s",
			r.Code,
			r.Output,
		)
	}
	stats, _ = os.ReadFile(filepath.Join(run.work, "results", "fibonacci-go", "stats.txt"))
	t.Logf("single machine, measured interval: core 0 (the client) %s, core 1 (the function) %s instructions",
		insts("board.processor.switch0.core"), insts("board.processor.switch1.core"))
}
