package targets_test

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/results"
)

// standinEnv runs the pipeline with the stand-in gem5 and placeholders for
// the artifacts the simulate stage only passes on (kernel, disks, client).
func standinEnv(t *testing.T, extra ...string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	env := append(
		magetest.Placeholders(t, dir),
		"WORKING_DIR="+filepath.Join(dir, "wk"),
		"RESOURCES="+filepath.Join(dir, "res"),
		"GEM5=standin",
		"SETUP_CPU=kvm",
		"JOBS=2",
	)
	return dir, append(env, extra...)
}

func TestMainJobWithTheStandin(t *testing.T) {
	dir, env := standinEnv(t, "STANDIN_BEHAVIOR=slow:0.05")
	work := filepath.Join(dir, "wk")
	r := magetest.Mage(t, dir, env, "simulate:all")
	if r.Code != 0 {
		t.Fatalf("simulate:all: exit %d\n%s", r.Code, r.Output)
	}
	if !strings.Contains(r.Output, "8 run, 0 up to date") {
		t.Fatalf("first run:\n%s", r.Output)
	}
	f, err := os.Open(filepath.Join(work, "results", "report.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(f).ReadAll()
	f.Close()
	measured := map[string]string{}
	for _, rec := range recs[1:] {
		if rec[3] == "true" {
			measured[rec[0]] = rec[2] + " " + rec[4]
		}
	}
	for _, fn := range []string{"fibonacci-go", "fibonacci-nodejs", "fibonacci-python"} {
		if measured[fn] != "board.processor.switch1.core 49540000" {
			t.Errorf("%s measured %q", fn, measured[fn])
		}
	}
	// The gem5 was probed before it measured, and its record says so (the
	// stand-in's answer labelled as such); the built-in patches are named.
	var meta results.RunMeta
	b, _ := os.ReadFile(filepath.Join(work, "results", "fibonacci-go", results.MetaFile))
	if err := json.Unmarshal(b, &meta); err != nil || meta.Gem5Probe == nil || !meta.Gem5Probe.Standin ||
		len(meta.Gem5Probe.Misdecodes) != 0 || meta.Gem5Probe.Error != "" {
		t.Errorf("fibonacci-go's record has no stand-in probe (%v):\n%s", err, b)
	}
	if meta.Memory != "SimpleMemory 30ns (±0ns), 12.8GiB/s" {
		t.Errorf("fibonacci-go's record names the memory %q, want simple's SimpleMemory", meta.Memory)
	}
	if report, _ := os.ReadFile(filepath.Join(work, "results", "report.md")); !strings.Contains(string(report), "probed: no known misdecode") ||
		!strings.Contains(string(report), "memory SimpleMemory 30ns") {
		t.Errorf("report.md does not say what the probe found")
	}
	if r := magetest.Mage(t, dir, env, "simulate:all"); r.Code != 0 ||
		!strings.Contains(r.Output, "nothing to do: 8 rules up to date") {
		t.Fatalf("second run:\n%s", r.Output)
	}
	if r := magetest.Mage(t, dir, env, "status"); r.Code != 0 {
		t.Fatalf("status:\n%s", r.Output)
	}
	if r := magetest.Mage(t, dir, env, "report:check"); r.Code != 0 ||
		!strings.Contains(r.Output, "all 3 simulations succeeded") {
		t.Fatalf("report:check:\n%s", r.Output)
	}
	// More measured invocations: only the evaluation runs and the report.
	r = magetest.Mage(t, dir, append(env, "NUM_INVOCATIONS=12"), "simulate:all")
	if r.Code != 0 || !strings.Contains(r.Output, "4 run, 4 up to date") ||
		strings.Contains(r.Output, "▶ simulate:setup") {
		t.Fatalf("NUM_INVOCATIONS=12:\n%s", r.Output)
	}
	// A changed result reruns the report, and only the report.
	stats := filepath.Join(work, "results", "fibonacci-go", "stats.txt")
	later := time.Now().Add(time.Second)
	os.Chtimes(stats, later, later)
	r = magetest.Mage(t, dir, append(env, "NUM_INVOCATIONS=12"), "simulate:all")
	if r.Code != 0 || !strings.Contains(r.Output, "▶ report:write — input "+stats) ||
		!strings.Contains(r.Output, "1 run, 7 up to date") {
		t.Fatalf("after touching one stats.txt:\n%s", r.Output)
	}
	if peak := peakConcurrency(t, filepath.Join(work, ".vswarmu", "build.log"), "simulate:"); peak > 2 {
		t.Fatalf("%d simulations ran at once with JOBS=2", peak)
	}
}

// peakConcurrency reads the build log and returns the most rules with the
// prefix that ran at the same time.
func peakConcurrency(t *testing.T, path, prefix string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type ev struct {
		at    int64
		delta int
	}
	var evs []ev
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Split(sc.Text(), "\t")
		if len(fl) >= 8 && fl[0] == "D" && strings.HasPrefix(fl[1], prefix) {
			start, _ := strconv.ParseInt(fl[4], 10, 64)
			end, _ := strconv.ParseInt(fl[5], 10, 64)
			evs = append(evs, ev{start, 1}, ev{end, -1})
		}
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].at != evs[j].at {
			return evs[i].at < evs[j].at
		}
		return evs[i].delta < evs[j].delta
	})
	peak, cur := 0, 0
	for _, e := range evs {
		cur += e.delta
		peak = max(peak, cur)
	}
	if len(evs) == 0 {
		t.Fatal("no simulation in the build log")
	}
	return peak
}

func TestHungSimulationIsRetriedOnce(t *testing.T) {
	// The timeout leaves the stand-in's Python time to start on a loaded
	// machine: a hang is a run that printed nothing for that long.
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go", "STANDIN_BEHAVIOR=hang-once", "HANG_TIMEOUT=8s")
	r := magetest.Mage(t, dir, env, "simulate:fn", "fibonacci-go")
	// The setup (restored from the boot checkpoint) and the evaluation
	// each hang once in their output directory.
	if r.Code != 0 || strings.Count(r.Output, "no output from gem5 for 8s: killed it; trying once more") != 2 {
		t.Fatalf("exit %d:\n%s", r.Code, r.Output)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "wk", "results", "fibonacci-go", "vswarmu.json"))
	var meta map[string]any
	json.Unmarshal(b, &meta)
	if meta["status"] != "ok" || meta["attempts"] != 2.0 {
		t.Fatalf("record %s", b)
	}
}

func TestHungAndCrashedSimulations(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go aes-go", "HANG_TIMEOUT=8s", "KEEP_GOING=1")
	// Both set up fine; then the evaluation of every function hangs.
	for _, fn := range []string{"fibonacci-go", "aes-go"} {
		if r := magetest.Mage(t, dir, env, "simulate:setup", fn); r.Code != 0 {
			t.Fatalf("setup:\n%s", r.Output)
		}
	}
	start := time.Now()
	r := magetest.Mage(t, dir, append(env, "STANDIN_BEHAVIOR=hang"), "simulate:all")
	if r.Code == 0 || !strings.Contains(r.Output, "✘ simulate:fn:fibonacci-go failed") {
		t.Fatalf("hanging simulate:all: exit %d\n%s", r.Code, r.Output)
	}
	if d := time.Since(start); d > 2*time.Minute {
		t.Fatalf("hung runs took %v to end", d)
	}
	r = magetest.Mage(t, dir, env, "report:check")
	for _, want := range []string{"fibonacci-go", "hung", "no output for 8s: killed (attempt 2 of 2)", "mage simulate:fn fibonacci-go"} {
		if r.Code != 1 || !strings.Contains(r.Output, want) {
			t.Fatalf("report:check lacks %q (exit %d):\n%s", want, r.Code, r.Output)
		}
	}
	// Nothing the tool started is left running.
	ents, _ := os.ReadDir(filepath.Join(dir, "wk", ".vswarmu", "pids"))
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".json") {
			t.Errorf("still registered: %s", e.Name())
		}
	}
	r = magetest.Mage(
		t,
		dir,
		append(env, "STANDIN_BEHAVIOR=crash", "FORCE=simulate:fn:aes-go"),
		"simulate:fn",
		"aes-go",
	)
	if r.Code == 0 || !strings.Contains(r.Output, "killed by signal segmentation fault") {
		t.Fatalf("crash: exit %d\n%s", r.Code, r.Output)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "wk", "results", "aes-go", "vswarmu.json"))
	if !strings.Contains(string(b), `"status": "failed"`) {
		t.Fatalf("crash record: %s", b)
	}
}

// goAndRust is a catalogue of fibonacci-go and a new function,
// fibonacci-rust, that the client drives by the fibonacci protocol.
const goAndRust = `version: "3.3"
services:
  fibonacci-go:
    image: vhiveease/fibonacci-go:latest
    container_name: function
    entrypoint: ["/app/server", "-addr=0.0.0.0:50051"]
    ports: ["50000:50051"]
  fibonacci-rust:
    image: example/fibonacci-rust:1.0
    container_name: function
    ports: ["50000:50051"]
    labels:
      vswarmu.client: fibonacci
`

// A contributor adds a function: one compose service (here a fibonacci in
// a new language, driven by the client's fibonacci protocol through the
// vswarmu.client label) and its name in the list.
func TestAddingAFunctionIsOneServiceAndOneLine(t *testing.T) {
	dir, env := standinEnv(t)
	writeFile(t, filepath.Join(dir, "functions", "functions.yaml"), goAndRust)
	writeFile(t, filepath.Join(dir, "functions", "functions.list"), "fibonacci-go\nfibonacci-rust\n")
	r := magetest.Mage(t, dir, env, "functions:list")
	if r.Code != 0 || !strings.Contains(r.Output, "fibonacci-rust") ||
		!strings.Contains(r.Output, "example/fibonacci-rust:1.0") {
		t.Fatalf("functions:list: exit %d\n%s", r.Code, r.Output)
	}
	if r = magetest.Mage(t, dir, env, "simulate:all"); r.Code != 0 {
		t.Fatalf("simulate:all: exit %d\n%s", r.Code, r.Output)
	}
	script, _ := os.ReadFile(filepath.Join(dir, "wk", "scripts", "fibonacci-rust.sh"))
	if !strings.Contains(string(script), "up -d fibonacci-rust 2>&1;") ||
		!strings.Contains(string(script), "test-client -function-name fibonacci -url") {
		t.Fatalf("run script:\n%s", script)
	}
	if r := magetest.Mage(t, dir, env, "report:check"); r.Code != 0 ||
		!strings.Contains(r.Output, "all 2 simulations succeeded") {
		t.Fatalf("report:check: exit %d\n%s", r.Code, r.Output)
	}

	// The same catalogue elsewhere, through FUNCTIONS_YAML, is what the
	// list is checked against; it has no reference function to build.
	other := filepath.Join(t.TempDir(), "mine.yaml")
	b, _ := os.ReadFile(filepath.Join(dir, "functions", "functions.yaml"))
	os.WriteFile(other, []byte(strings.Replace(string(b), "  fibonacci-go:", "  fibonacci-go-old:", 1)), 0o644)
	yamlEnv := append(env, "FUNCTIONS_YAML="+other, "FUNCTIONS=fibonacci-rust")
	if r := magetest.Mage(t, dir, yamlEnv, "functions:list"); r.Code != 0 ||
		!strings.Contains(r.Output, "images (from "+other+")") ||
		!strings.Contains(r.Output, "reference: none (docker save it into a directory and set IMAGES to it)") {
		t.Fatalf("FUNCTIONS_YAML: exit %d\n%s", r.Code, r.Output)
	}
	r = magetest.Mage(t, dir, append(yamlEnv, "INSTALLED_DISK=", "IMAGES=reference"), "functions:list")
	if r.Code == 0 ||
		!strings.Contains(
			r.Output,
			"IMAGES=reference: no reference function (aes-go, auth-go, fibonacci-go) to build",
		) ||
		!strings.Contains(r.Output, other+" defines none of them") {
		t.Fatalf("IMAGES=reference without reference functions: exit %d\n%s", r.Code, r.Output)
	}

	// Without the label the client cannot know the protocol: the error
	// names the function, the file and the fix, before any work.
	writeFile(t, filepath.Join(dir, "functions", "functions.yaml"), `version: "3.3"
services:
  fibonacci-rust:
    image: example/fibonacci-rust:1.0
    container_name: function
    ports: ["50000:50051"]
`)
	writeFile(t, filepath.Join(dir, "functions", "functions.list"), "fibonacci-rust\n")
	r = magetest.Mage(t, dir, env, "simulate:all")
	want := "fibonacci-rust (" + filepath.Join(
		dir,
		"functions",
		"functions.yaml",
	) + "): the client cannot drive it: name the protocol it speaks with the label vswarmu.client"
	if r.Code == 0 || !strings.Contains(r.Output, want) || strings.Contains(r.Output, "▶") {
		t.Fatalf("unlabelled function: exit %d\n%s", r.Code, r.Output)
	}
}

// The catalogue says which image serves each function under each IMAGES,
// and which target builds the reference ones.
func TestListSaysWhereEachImageComesFrom(t *testing.T) {
	dir, env := standinEnv(t, "IMAGES=reference", "INSTALLED_DISK=", "FUNCTIONS=fibonacci-go aes-nodejs auth-python geo")
	r := magetest.Mage(t, dir, env, "functions:list")
	if r.Code != 0 {
		t.Fatalf("functions:list: exit %d\n%s", r.Code, r.Output)
	}
	for _, want := range []string{
		"under IMAGES (now reference)",
		"reference: functions:reference builds it (Go, functions/src)",
		"reference: functions:referenceNodejs builds it (nodejs on Debian bookworm)",
		"reference: functions:referencePython builds it (python on Debian bookworm)",
		"vhiveease/hotel-app-geo:latest vhiveease/mongodb",
	} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("functions:list lacks %q:\n%s", want, r.Output)
		}
	}
	// The install needs the images of the listed functions' languages only.
	r = magetest.Mage(t, dir, append(env, "DRY_RUN=1"), "functions:install")
	for _, want := range []string{"would run functions:referenceNodejs", "would run functions:referencePython"} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("the install's plan lacks %q:\n%s", want, r.Output)
		}
	}
	r = magetest.Mage(t, dir, append(env, "DRY_RUN=1", "FUNCTIONS=fibonacci-go"), "functions:install")
	if strings.Contains(r.Output, "functions:referenceNodejs") || strings.Contains(r.Output, "functions:referencePython") {
		t.Errorf("fibonacci-go alone builds interpreted images:\n%s", r.Output)
	}
}

// TestReportWriteSimulatesNothing: results copied from another machine
// are reported as they are; report:write builds no gem5 and runs no
// simulation, and the report tells the current list's runs from others.
func TestReportWriteSimulatesNothing(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go aes-go auth-go")
	if r := magetest.Mage(t, dir, env, "simulate:all"); r.Code != 0 {
		t.Fatalf("simulate:all: exit %d\n%s", r.Code, r.Output)
	}
	// Another machine: no GEM5, no kernel, nothing built; the results
	// directory is copied in.
	other := t.TempDir()
	work := filepath.Join(other, "wk")
	os.MkdirAll(work, 0o755)
	if out, err := exec.Command("cp", "-a", filepath.Join(dir, "wk", "results"), work).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	oenv := []string{
		"WORKING_DIR=" + work,
		"RESOURCES=" + filepath.Join(other, "res"),
		"FUNCTIONS=fibonacci-go",
		"JOBS=2",
	}
	r := magetest.Mage(t, other, oenv, "report:write")
	if r.Code != 0 || strings.Contains(r.Output, "gem5:") || strings.Contains(r.Output, "simulate:") ||
		!strings.Contains(r.Output, "▶ report:write") {
		t.Fatalf("report:write on copied results: exit %d\n%s", r.Code, r.Output)
	}
	md, _ := os.ReadFile(filepath.Join(work, "results", "report.md"))
	if !strings.Contains(
		string(md),
		"from 3 runs: 1 of the current function list, 2 from earlier lists (aes-go, auth-go;",
	) {
		t.Fatalf("report.md does not tell the current list's runs from the others:\n%.600s", md)
	}
	if !strings.Contains(r.Output, "(and 2 runs of functions not in the current list; the report has them too)") {
		t.Fatalf("summary:\n%s", r.Output)
	}
	if r := magetest.Mage(t, other, oenv, "report:write"); r.Code != 0 || !strings.Contains(r.Output, "nothing to do") {
		t.Fatalf("second report:write: exit %d\n%s", r.Code, r.Output)
	}
}

// TestKilledSimulationIsReportedAsKilled: `mage kill` stops the gem5 of a
// running simulation; the run that started it says the rule was killed
// (the simulate stage's errors keep the process's KilledError), and the
// evaluation is left stale.
func TestKilledSimulationIsReportedAsKilled(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go")
	if r := magetest.Mage(t, dir, env, "simulate:setup", "fibonacci-go"); r.Code != 0 {
		t.Fatalf("setup: exit %d\n%s", r.Code, r.Output)
	}
	log := filepath.Join(dir, "wk", "results", "fibonacci-go", "gem5.log")
	run := magetest.Start(t, dir, append(env, "STANDIN_BEHAVIOR=hang"), "simulate:fn", "fibonacci-go")
	deadline := time.Now().Add(time.Minute)
	for {
		if b, _ := os.ReadFile(log); strings.Contains(string(b), "stopped making progress") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the evaluation did not start:\n%s", run.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if k := magetest.Mage(t, dir, env, "kill"); k.Code != 0 {
		t.Fatalf("mage kill: exit %d\n%s", k.Code, k.Output)
	}
	res := run.Wait(t, time.Minute)
	if res.Code == 0 || !strings.Contains(res.Output, "simulate:fn:fibonacci-go killed") {
		t.Fatalf("exit %d, want simulate:fn:fibonacci-go reported as killed:\n%s", res.Code, res.Output)
	}
	if s := magetest.Mage(t, dir, env, "status"); s.Code != 1 ||
		!strings.Contains(s.Output, "stale simulate:fn:fibonacci-go") {
		t.Fatalf("status after the kill: exit %d\n%s", s.Code, s.Output)
	}
}

// TestNetworkFailuresSayWhatToDo: an unreachable gem5 repository or
// kernel mirror is reported as a network failure, found before anything
// runs, with the network's reason and the settings that avoid that server.
func TestNetworkFailuresSayWhatToDo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed (apt-get install git)")
	}
	dir := t.TempDir()
	env := []string{"WORKING_DIR=" + filepath.Join(dir, "wk"), "RESOURCES=" + filepath.Join(dir, "res"), "JOBS=2"}
	cases := []struct {
		env        []string
		target     string
		want, also string
	}{
		{[]string{"GEM5_REPO=http://127.0.0.1:1/gem5.git"}, "gem5:source",
			"cannot reach 127.0.0.1:1 to download http://127.0.0.1:1/gem5.git: dial tcp 127.0.0.1:1: connect: connection refused",
			"set GEM5_REPO to a mirror or a local clone of gem5, or GEM5 to a gem5.opt you have"},
		{[]string{"KERNEL_MIRROR=http://127.0.0.1:1/pub/linux/kernel", "GEM5=/bin/true"}, "kernel:source",
			"cannot reach 127.0.0.1:1 to download http://127.0.0.1:1/pub/linux/kernel/v5.x/linux-5.4.84.tar.xz", "KERNEL_SOURCE to a local tarball"},
	}
	for _, c := range cases {
		r := magetest.Mage(t, dir, append(append([]string(nil), env...), c.env...), c.target)
		if r.Code == 0 || !strings.Contains(r.Output, c.want) || !strings.Contains(r.Output, c.also) ||
			strings.Contains(r.Output, "invalid checksum") {
			t.Errorf("%s: exit %d, want %q and %q:\n%s", c.target, r.Code, c.want, c.also, r.Output)
		}
	}
}

// TestReadOnlyResourcesIsNamed: a RESOURCES that cannot be written is
// named, with the setting to change, before any work.
func TestReadOnlyResourcesIsNamed(t *testing.T) {
	dir := t.TempDir()
	ro := filepath.Join(dir, "res")
	os.MkdirAll(ro, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", ro).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a read-only file system here (needs root): %v %s", err, out)
	}
	defer exec.Command("umount", ro).Run()
	env := []string{"WORKING_DIR=" + filepath.Join(dir, "wk"), "RESOURCES=" + ro, "GEM5=/bin/true", "JOBS=2"}
	r := magetest.Mage(t, dir, env, "client:build")
	want := "RESOURCES=" + ro + " is not writable (read-only file system): point RESOURCES to a directory you can write"
	if r.Code == 0 || !strings.Contains(r.Output, want) || strings.Contains(r.Output, "▶") {
		t.Fatalf("exit %d, want %q before any rule:\n%s", r.Code, want, r.Output)
	}
}

// A contributor adds a gem5 system: one entry in gem5-configs/systems.json
// (here the simple system with a 2 MB LLC), and SYSTEM= accepts it.
func TestAddingASystemIsOneEntry(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go")
	configs := filepath.Join(dir, "gem5-configs")
	os.MkdirAll(configs, 0o755)
	mods, _ := filepath.Glob(filepath.Join(magetest.RepoRoot(t), "gem5-configs", "*.py"))
	data, _ := filepath.Glob(filepath.Join(magetest.RepoRoot(t), "gem5-configs", "*.json"))
	for _, m := range append(mods, data...) {
		b, _ := os.ReadFile(m)
		writeFile(t, filepath.Join(configs, filepath.Base(m)), string(b))
	}
	b, _ := os.ReadFile(filepath.Join(configs, "systems.json"))
	entry := `{
      "name": "big-llc",
      "description": "2.5 GHz, 16 kB L1s, shared 2 MB LLC, TimingSimpleCPU",
      "clock": "2.5GHz",
      "detailed": "timing",
      "memory": {"kind": "DDR4_2400"},
      "caches": {
        "l1i": {"size": "16kB", "assoc": 8, "latency": 1, "response_latency": 2},
        "l1d": {"size": "16kB", "assoc": 8, "latency": 1, "response_latency": 2},
        "llc": {"size": "2MB", "assoc": 16, "latency": 20, "response_latency": 20}
      }
    }
  ]
}
`
	text := strings.Replace(string(b), "\n  ]\n}\n", ",\n    "+entry, 1)
	writeFile(t, filepath.Join(configs, "systems.json"), text)

	r := magetest.Mage(t, dir, append(env, "SYSTEM=nosuch"), "config")
	if r.Code == 0 || !strings.Contains(r.Output, "allowed values are simple, simple-ddr4, skylake, big-llc") {
		t.Fatalf("SYSTEM=nosuch: exit %d\n%s", r.Code, r.Output)
	}
	env = append(env, "SYSTEM=big-llc")
	if r = magetest.Mage(t, dir, env, "simulate:all"); r.Code != 0 {
		t.Fatalf("simulate:all: exit %d\n%s", r.Code, r.Output)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "wk", "results", "fibonacci-go@big-llc", "config.ini"))
	if !strings.Contains(string(cfg), "size=2097152") {
		t.Fatalf("the evaluation did not build the 2 MB LLC:\n%.2000s", cfg)
	}
	meta, _ := os.ReadFile(filepath.Join(dir, "wk", "results", "fibonacci-go@big-llc", "vswarmu.json"))
	if !strings.Contains(string(meta), `"system": "big-llc"`) || !strings.Contains(string(meta), `"memory": "SingleChannelDDR4_2400"`) {
		t.Fatalf("run record: %s", meta)
	}
	if r := magetest.Mage(t, dir, env, "report:check"); r.Code != 0 ||
		!strings.Contains(r.Output, "all 1 simulations succeeded") {
		t.Fatalf("report:check: exit %d\n%s", r.Code, r.Output)
	}
}

// The settings' declared SYSTEM and DETAILED_CPU choices (README's table,
// `mage config` without a project systems.json) are the built-in
// systems.json's.
func TestDeclaredSystemsAreTheBuiltInOnes(t *testing.T) {
	cat, err := gem5configs.Systems(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"SYSTEM": cat.Names(), "DETAILED_CPU": append([]string{"auto"}, cat.DetailedCPUs...)}
	for _, s := range config.Settings() {
		if w, ok := want[s.Name]; ok && fmt.Sprint(s.Kind) != fmt.Sprint(config.Choice(w)) {
			t.Errorf("%s is declared with %v; systems.json has %v", s.Name, s.Kind, w)
		}
	}
}

// A 2 × 2 × 2 sweep over 3 functions: 3 setups and 24 evaluations; one
// more cache size runs only its 12 evaluations; a second run does nothing.
func TestSweepFromOneCheckpoint(t *testing.T) {
	dir, env := standinEnv(t)
	writeFile(t, filepath.Join(dir, "sweeps", "grid.yaml"), `matrix:
  system: [simple, skylake]
  detailed_cpu: [timing, o3]
  l2_size: [256kB, 1MB]
baseline: {system: simple, detailed_cpu: timing, l2_size: 256kB}
`)
	r := magetest.Mage(t, dir, append(env, "DRY_RUN=1"), "simulate:sweep", "grid")
	if r.Code != 0 ||
		!strings.Contains(r.Output, "sweep grid: 24 of 24 evaluations to run (8 points × 3 functions) and 3 setups") {
		t.Fatalf("dry run: exit %d\n%s", r.Code, r.Output)
	}
	r = magetest.Mage(t, dir, env, "simulate:sweep", "grid")
	if r.Code != 0 || strings.Count(r.Output, "▶ simulate:setup:") != 3 ||
		strings.Count(r.Output, "▶ simulate:sweep:grid:") != 24 {
		t.Fatalf("sweep: exit %d, %d setups, %d evaluations\n%s", r.Code, strings.Count(r.Output, "▶ simulate:setup:"),
			strings.Count(r.Output, "▶ simulate:sweep:grid:"), r.Output)
	}
	sweepDir := filepath.Join(dir, "wk", "sweeps", "grid")
	cfg, _ := os.ReadFile(
		filepath.Join(sweepDir, "system=skylake,detailed_cpu=o3,l2_size=256kB", "fibonacci-go", "config.ini"),
	)
	if !strings.Contains(string(cfg), "size=262144") || !strings.Contains(string(cfg), "BaseO3CPU") {
		t.Errorf("the skylake/o3/256kB point did not build its L2 or cores:\n%.1500s", cfg)
	}
	md, _ := os.ReadFile(filepath.Join(sweepDir, "report.md"))
	for _, want := range []string{"8 points × 3 functions; baseline system=simple,detailed_cpu=timing,l2_size=256kB", "STAND-IN",
		"| P8 | skylake | o3 | 1MB |", "## Speedup against the baseline", "| fibonacci-go | 1.000× |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q:\n%s", want, md)
		}
	}

	writeFile(t, filepath.Join(dir, "sweeps", "grid.yaml"), `matrix:
  system: [simple, skylake]
  detailed_cpu: [timing, o3]
  l2_size: [256kB, 1MB, 2MB]
baseline: {system: simple, detailed_cpu: timing, l2_size: 256kB}
`)
	r = magetest.Mage(t, dir, append(env, "DRY_RUN=1"), "simulate:sweep", "grid")
	if r.Code != 0 ||
		!regexp.MustCompile(`sweep grid: 12 of 36 evaluations to run \(12 points × 3 functions\) and 0 setups; about \S+ by earlier runs\n`).
			MatchString(r.Output) {
		t.Fatalf("dry run after one more L2 size: exit %d\n%s", r.Code, r.Output)
	}
	r = magetest.Mage(t, dir, env, "simulate:sweep", "grid")
	if r.Code != 0 || strings.Contains(r.Output, "▶ simulate:setup:") ||
		strings.Count(r.Output, "▶ simulate:sweep:grid:") != 12 {
		t.Fatalf("one more L2 size: exit %d, want only 12 evaluations\n%s", r.Code, r.Output)
	}
	if r = magetest.Mage(t, dir, env, "simulate:sweep", "grid"); r.Code != 0 ||
		!strings.Contains(r.Output, "nothing to do") {
		t.Fatalf("second run: exit %d\n%s", r.Code, r.Output)
	}
	a := filepath.Join(sweepDir, "system=simple,detailed_cpu=timing,l2_size=256kB")
	b := filepath.Join(sweepDir, "system=skylake,detailed_cpu=o3,l2_size=2MB")
	if r = magetest.Mage(t, dir, env, "report:compare", a, b); r.Code != 0 ||
		!regexp.MustCompile(`fibonacci-go\s+cycles\s+123850000`).MatchString(r.Output) {
		t.Fatalf("report:compare of two points: exit %d\n%s", r.Code, r.Output)
	}

	// A point gem5 could not build is named before anything runs.
	writeFile(t, filepath.Join(dir, "sweeps", "bad.yaml"), "matrix:\n  l3_size: [4MB]\n")
	r = magetest.Mage(t, dir, env, "simulate:sweep", "bad")
	if r.Code == 0 || !strings.Contains(r.Output, "point l3_size=4MB: system simple has no l3") ||
		strings.Contains(r.Output, "▶") {
		t.Fatalf("bad sweep: exit %d\n%s", r.Code, r.Output)
	}
	if r = magetest.Mage(t, dir, env, "simulate:sweep", "nosuch"); r.Code == 0 ||
		!strings.Contains(r.Output, "sweeps here: bad, grid") {
		t.Fatalf("missing sweep: exit %d\n%s", r.Code, r.Output)
	}
}

// Docker that does not start in the guest ends the setup at once with
// m5 fail 7, and the failure says so (instead of a run that waits until
// the hang watch kills it).
func TestDockerThatDoesNotStartEndsTheSetup(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go", "STANDIN_BEHAVIOR=no-docker")
	r := magetest.Mage(t, dir, env, "simulate:all")
	if r.Code == 0 || !strings.Contains(r.Output, "m5 fail 7: Docker did not start in the guest") {
		t.Fatalf("no Docker: exit %d\n%s", r.Code, r.Output)
	}
	if r := magetest.Mage(t, dir, append(env, "EXEC_MODE=process"), "simulate:all"); r.Code != 0 {
		t.Fatalf("a plain process needs no Docker: exit %d\n%s", r.Code, r.Output)
	}
}

// TestBootCheckpointIsOneRuleForEverySetup: every function's setup
// restores one boot checkpoint; a new kernel reruns the boot and every
// setup, a changed function only its own setup.
func TestBootCheckpointIsOneRuleForEverySetup(t *testing.T) {
	dir, env := standinEnv(t)
	kernel := filepath.Join(dir, "vmlinux")
	writeFile(t, kernel, "\x7fELF a kernel")
	env = append(env, "KERNEL="+kernel)
	catalogue := goAndRust
	writeFile(t, filepath.Join(dir, "functions", "functions.yaml"), catalogue)
	writeFile(t, filepath.Join(dir, "functions", "functions.list"), "fibonacci-go\nfibonacci-rust\n")
	r := magetest.Mage(t, dir, env, "graph")
	for _, fn := range []string{"fibonacci-go", "fibonacci-rust"} {
		if !strings.Contains(r.Output, `"simulate:boot" -> "simulate:setup:`+fn+`";`) {
			t.Errorf("graph: simulate:setup:%s does not depend on simulate:boot:\n%s", fn, r.Output)
		}
	}
	ran := func(r magetest.Result, rule string) int { return strings.Count(r.Output, "▶ "+rule+" ") }
	r = magetest.Mage(t, dir, env, "simulate:all")
	if r.Code != 0 || ran(r, "simulate:boot") != 1 || ran(r, "simulate:setup:fibonacci-go") != 1 ||
		ran(r, "simulate:setup:fibonacci-rust") != 1 {
		t.Fatalf("simulate:all: exit %d, want one boot and two setups:\n%s", r.Code, r.Output)
	}
	boot, _ := os.ReadFile(filepath.Join(dir, "wk", "boot", "run", "gem5.log"))
	if !strings.Contains(string(boot), "vswarmu: boot mode") || !strings.Contains(string(boot), "m5 fail 5") {
		t.Errorf("boot run's log:\n%s", boot)
	}
	for _, fn := range []string{"fibonacci-go", "fibonacci-rust"} {
		log, _ := os.ReadFile(filepath.Join(dir, "wk", "setup", fn, "gem5.log"))
		if !strings.Contains(string(log), "from the boot checkpoint "+filepath.Join(dir, "wk", "boot", "cpt")) ||
			strings.Contains(string(log), "m5 fail 5") {
			t.Errorf("%s's setup did not start from the boot checkpoint:\n%s", fn, log)
		}
	}

	// A new kernel: the boot and every setup and evaluation again.
	now := time.Now()
	os.Chtimes(kernel, now, now)
	r = magetest.Mage(t, dir, env, "simulate:all")
	if r.Code != 0 || ran(r, "simulate:boot") != 1 || ran(r, "simulate:setup:fibonacci-go") != 1 ||
		ran(r, "simulate:setup:fibonacci-rust") != 1 {
		t.Fatalf("after a new kernel: exit %d\n%s", r.Code, r.Output)
	}

	// KERNEL names another file, older than every output: the boot and
	// every setup again, the reason in the user's words.
	older := filepath.Join(dir, "vmlinux-older")
	writeFile(t, older, "\x7fELF an older kernel")
	then := time.Now().Add(-30 * 24 * time.Hour)
	os.Chtimes(older, then, then)
	olderEnv := append(slices.Clone(env), "KERNEL="+older)
	r = magetest.Mage(t, dir, olderEnv, "simulate:all")
	if r.Code != 0 || ran(r, "simulate:boot") != 1 || ran(r, "simulate:setup:fibonacci-go") != 1 ||
		ran(r, "simulate:setup:fibonacci-rust") != 1 ||
		!strings.Contains(r.Output, "reads "+older+" instead of "+kernel) {
		t.Fatalf("KERNEL set to an older file: exit %d, want the boot and both setups\n%s", r.Code, r.Output)
	}
	// The same path, replaced by an older file of other content.
	writeFile(t, older, "\x7fELF yet another kernel")
	then = then.Add(-time.Hour)
	os.Chtimes(older, then, then)
	if r = magetest.Mage(t, dir, olderEnv, "simulate:all"); r.Code != 0 || ran(r, "simulate:boot") != 1 ||
		!strings.Contains(r.Output, "input "+older+" changed since the last run") {
		t.Fatalf("KERNEL replaced by an older file: exit %d\n%s", r.Code, r.Output)
	}
	// A file that is plainly not a kernel is refused before gem5 runs.
	text := filepath.Join(dir, "hostname")
	writeFile(t, text, "debian\n")
	r = magetest.Mage(t, dir, append(slices.Clone(env), "KERNEL="+text), "simulate:all")
	if r.Code == 0 || ran(r, "simulate:boot") != 0 ||
		!strings.Contains(r.Output, "KERNEL="+text+": "+text+" is a text file, not an ELF executable") {
		t.Fatalf("KERNEL set to a text file: exit %d\n%s", r.Code, r.Output)
	}
	if r = magetest.Mage(t, dir, env, "simulate:all"); r.Code != 0 || ran(r, "simulate:boot") != 1 {
		t.Fatalf("back to the first kernel: exit %d\n%s", r.Code, r.Output)
	}

	// One function changed (the protocol its client speaks): only its setup.
	writeFile(
		t,
		filepath.Join(dir, "functions", "functions.yaml"),
		strings.Replace(catalogue, "vswarmu.client: fibonacci", "vswarmu.client: aes", 1),
	)
	r = magetest.Mage(t, dir, env, "simulate:all")
	if r.Code != 0 || ran(r, "simulate:boot") != 0 || ran(r, "simulate:setup:fibonacci-go") != 0 ||
		ran(r, "simulate:setup:fibonacci-rust") != 1 {
		t.Fatalf("after changing fibonacci-rust: exit %d, want only its setup:\n%s", r.Code, r.Output)
	}

	// BOOT_CHECKPOINT=0: every setup boots by itself, and no boot rule.
	r = magetest.Mage(t, dir, append(env, "BOOT_CHECKPOINT=0"), "simulate:all")
	if r.Code != 0 || ran(r, "simulate:boot") != 0 || ran(r, "simulate:setup:fibonacci-go") != 1 ||
		ran(r, "simulate:setup:fibonacci-rust") != 1 {
		t.Fatalf("BOOT_CHECKPOINT=0: exit %d\n%s", r.Code, r.Output)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "wk", "setup", "fibonacci-go", "gem5.log"))
	if strings.Contains(string(log), "from the boot checkpoint") || !strings.Contains(string(log), "m5 fail 5") {
		t.Errorf("BOOT_CHECKPOINT=0: the setup should boot:\n%s", log)
	}
}

// The gem5 runs of a four-function main job start longest chain first:
// with JOBS=1 and every rule forced, the setups start in the order of
// their recorded setup plus evaluation times (the build log of the first
// run), the longest first, whatever order FUNCTIONS lists them in.
func TestMainJobStartsLongestChainFirst(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go,fibonacci-nodejs,fibonacci-python,aes-go", "JOBS=1")
	if r := magetest.Mage(t, dir, env, "simulate:all"); r.Code != 0 {
		t.Fatalf("simulate:all: exit %d\n%s", r.Code, r.Output)
	}
	logPath := filepath.Join(dir, "wk", ".vswarmu", "build.log")
	chain := map[string]time.Duration{}
	for _, l := range buildLogLines(t, logPath, "D") {
		for _, kind := range []string{"simulate:setup:", "simulate:fn:"} {
			if fn, ok := strings.CutPrefix(l[1], kind); ok {
				start, _ := strconv.ParseInt(l[4], 10, 64)
				end, _ := strconv.ParseInt(l[5], 10, 64)
				chain[fn] += time.Duration(end - start)
			}
		}
	}
	want := slices.SortedFunc(maps.Keys(chain), func(a, b string) int { return cmp.Compare(chain[b], chain[a]) })
	if len(want) != 4 {
		t.Fatalf("recorded chains %v, want four functions", chain)
	}
	if r := magetest.Mage(t, dir, append(env, "FORCE=all"), "simulate:all"); r.Code != 0 {
		t.Fatalf("simulate:all with FORCE=all: exit %d\n%s", r.Code, r.Output)
	}
	var started []string
	for _, l := range buildLogLines(t, logPath, "S") {
		if fn, ok := strings.CutPrefix(l[1], "simulate:setup:"); ok {
			started = append(started, fn)
		}
	}
	if len(started) != 8 {
		t.Fatalf("the build log has %d starts of setups, want 8 (two runs of four)", len(started))
	}
	if got := started[4:]; !slices.Equal(got, want) {
		t.Errorf("the forced setups started in order %v; the recorded chains %v give %v", got, chain, want)
	}
}

// buildLogLines are the build log's lines of one kind (S or D), split,
// each keyed by its rule's target.
func buildLogLines(t *testing.T, path, kind string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Split(line, "\t"); len(f) >= 5 && f[0] == kind {
			f[1], _, _ = strings.Cut(f[1], " @") // the record's target (keys end in their outputs' digest)
			out = append(out, f)
		}
	}
	return out
}

// TestWrongRepliesFailTheSimulation: a function that answers wrongly (the
// stand-in's guest prints the client's wrong-reply lines) is a failed run
// in report:check, naming the invocation and what came back.
func TestWrongRepliesFailTheSimulation(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go", "STANDIN_BEHAVIOR=wrong-reply")
	magetest.Mage(t, dir, env, "simulate:all")
	r := magetest.Mage(t, dir, env, "report:check")
	if r.Code == 0 || !strings.Contains(r.Output, "wrong replies: 20") ||
		!strings.Contains(r.Output, "the first: stand-in measured 0: fibonacci of 10: y is 56, fib(10) is 55") {
		t.Fatalf("report:check of a function that answers wrongly: exit %d\n%s", r.Code, r.Output)
	}
}

// TestSuspectRunsFailTheCheck: a run whose image holds an instruction its
// gem5 was probed to misexecute (the stand-in answers the probe as gem5
// v24.0 does; the install's scan record names a Go 1.18 program) is marked
// suspect with the reason, report:check fails it, and ACCEPT_SUSPECT=1
// accepts it. With a gem5 that runs the probe right it is not suspect.
func TestSuspectRunsFailTheCheck(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go")
	scan := `{"fibonacci-go": {"image": "vhiveease/fibonacci-go:latest", "where": "guest", "programs": [{"path": "/app/server",
	  "go_version": "go1.18.4", "count": 2, "misdecodes": ["xchg-rex-b"], "first": "0x45de40 49 90 xchg %rax,%r8 (gem5: nop)"}]}}`
	writeFile(t, filepath.Join(dir, "wk", "disk", "scan.json"), scan)

	r := magetest.Mage(t, dir, append(env, "STANDIN_BEHAVIOR=misdecode"), "simulate:all")
	if r.Code != 0 {
		t.Fatalf("simulate:all: exit %d\n%s", r.Code, r.Output)
	}
	// The setup and the evaluation say so before gem5 runs.
	if n := strings.Count(r.Output, "fibonacci-go: this gem5 (xchg-rex-b, xchg-same-register) misexecutes what the function's image holds: /app/server"); n != 2 {
		t.Errorf("%d warnings before the setup and the evaluation, want 2:\n%s", n, r.Output)
	}
	r = magetest.Mage(t, dir, env, "report:check")
	rerunHint := r.Output
	if r.Code == 0 || !strings.Contains(r.Output, "suspect: its gem5 was probed to misexecute what the image's programs hold (guest scan): /app/server (built with go1.18.4)") {
		t.Fatalf("report:check of a suspect run: exit %d\n%s", r.Code, r.Output)
	}
	if strings.Contains(r.Output, "mage simulate:fn fibonacci-go") {
		t.Errorf("a rerun is offered for a suspect run, which would be as suspect:\n%s", r.Output)
	}
	if r := magetest.Mage(t, dir, append(env, "ACCEPT_SUSPECT=1"), "report:check"); r.Code != 0 {
		t.Fatalf("ACCEPT_SUSPECT=1: exit %d\n%s", r.Code, r.Output)
	}
	if !strings.Contains(rerunHint, "suspect runs: run them on a gem5 with the fix") {
		t.Errorf("report:check does not say what to do with a suspect run:\n%s", rerunHint)
	}
	// The same run on a gem5 that runs the probe right is not suspect. The
	// probe's answer is kept per gem5 binary, and the stand-in is one
	// binary with two behaviours: its kept answer goes.
	os.RemoveAll(filepath.Join(dir, "res", "gem5-probes"))
	if r := magetest.Mage(t, dir, append(env, "FORCE=simulate:fn:fibonacci-go"), "simulate:all"); r.Code != 0 ||
		strings.Contains(r.Output, "misexecutes what the function's image holds") {
		t.Fatalf("simulate:all again: exit %d\n%s", r.Code, r.Output)
	}
	if r := magetest.Mage(t, dir, env, "report:check"); r.Code != 0 || strings.Contains(r.Output, "suspect") {
		t.Fatalf("report:check on a fixed gem5: exit %d\n%s", r.Code, r.Output)
	}
}
