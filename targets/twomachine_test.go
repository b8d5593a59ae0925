package targets_test

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/results"
)

// TestTwoMachinesWithTheStandin: TOPOLOGY=two-machine boots both systems
// once, sets the function up with the client on the drive system, and
// reports the test system's core as measured and the drive system's
// apart. Its checkpoints do not replace a single machine's: going back to
// TOPOLOGY=single reruns only the evaluation.
func TestTwoMachinesWithTheStandin(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go", "EXEC_MODE=process")
	// The drive system's disk: a copy of the placeholder disk (a
	// partition table, nothing to boot; the stand-in reads no disk).
	disk, _ := os.ReadFile(filepath.Join(dir, "placeholder-installed.raw"))
	drive := filepath.Join(dir, "drive.raw")
	writeFile(t, drive, string(disk))
	work := filepath.Join(dir, "wk")
	two := append(append([]string(nil), env...), "TOPOLOGY=two-machine", "DRIVE_DISK="+drive, "LINK_DELAY=2us")
	ran := func(r magetest.Result, rule string) int { return strings.Count(r.Output, "▶ "+rule+" ") }

	if r := magetest.Mage(t, dir, env, "simulate:all"); r.Code != 0 {
		t.Fatalf("single machine: exit %d\n%s", r.Code, r.Output)
	}
	r := magetest.Mage(t, dir, two, "simulate:all")
	if r.Code != 0 || ran(r, "simulate:boot") != 1 || ran(r, "simulate:setup:fibonacci-go") != 1 {
		t.Fatalf("two machines: exit %d, want their own boot and setup\n%s", r.Code, r.Output)
	}
	setup, _ := os.ReadFile(filepath.Join(work, "setup-two-machine", "fibonacci-go", "gem5.log"))
	if !strings.Contains(string(setup), "vswarmu: two machines") ||
		!strings.Contains(string(setup), "from the boot checkpoint "+filepath.Join(work, "boot-two-machine", "cpt")) {
		t.Errorf("setup log:\n%s", setup)
	}
	script, _ := os.ReadFile(filepath.Join(work, "scripts-two-machine", "fibonacci-go-drive.sh"))
	if !strings.Contains(string(script), "-url 10.0.2.17") {
		t.Errorf("the drive system's script does not drive the test system:\n%s", script)
	}
	eval, _ := os.ReadFile(filepath.Join(work, "results", "fibonacci-go@two-machine", "gem5.log"))
	if !strings.Contains(string(eval), "link 2us, 1Gbps") {
		t.Errorf("the evaluation does not run on LINK_DELAY's link:\n%s", eval)
	}
	var meta results.RunMeta
	b, _ := os.ReadFile(filepath.Join(work, "results", "fibonacci-go@two-machine", results.MetaFile))
	if json.Unmarshal(b, &meta) != nil || meta.Topology != "two-machine" || meta.DriveCPU != results.DriveCPU ||
		meta.DriveDisk == nil ||
		meta.Parameters["LINK_DELAY"] != "2us" {
		t.Errorf("run record: %s", b)
	}
	rows := reportRows(t, filepath.Join(work, "results", "report.csv"))
	if rows["board.processor.switch1.core"] != "test true" || rows[results.DriveCPU] != "drive false" {
		t.Errorf("report.csv rows (machine measured): %v", rows)
	}
	md, _ := os.ReadFile(filepath.Join(work, "results", "report.md"))
	if !strings.Contains(string(md), "## Drive systems") {
		t.Errorf("report.md does not list the drive system:\n%s", md)
	}

	// Both runs are in the report, side by side, each labelled.
	if !strings.Contains(string(md), "| fibonacci-go |") || !strings.Contains(string(md), "| fibonacci-go@two-machine |") ||
		!strings.Contains(string(md), "topology two-machine") ||
		!strings.Contains(string(md), "topology single") {
		t.Errorf("report.md does not show the single-machine and the two-machine run apart:\n%s", md)
	}

	// Going back to one machine finds its results kept apart: nothing to simulate.
	r = magetest.Mage(t, dir, env, "simulate:all")
	if r.Code != 0 || ran(r, "simulate:boot") != 0 || ran(r, "simulate:setup:fibonacci-go") != 0 ||
		ran(r, "simulate:fn:fibonacci-go") != 0 {
		t.Fatalf("back to a single machine: exit %d, want no simulation\n%s", r.Code, r.Output)
	}
	// Without DRIVE_DISK the drive system's disk is made: functions:driveDisk.
	g := magetest.Mage(t, dir, append(append([]string(nil), env...), "TOPOLOGY=two-machine"), "graph")
	if !strings.Contains(g.Output, `"functions:driveDisk" -> "simulate:boot";`) {
		t.Errorf("graph: simulate:boot does not depend on functions:driveDisk:\n%s", g.Output)
	}
}

// reportRows maps each CPU of report.csv to its machine and measured columns.
func reportRows(t *testing.T, path string) map[string]string {
	t.Helper()
	recs, col := readReportCSV(t, path)
	out := map[string]string{}
	for _, rec := range recs {
		out[rec[col["cpu"]]] = rec[col["machine"]] + " " + rec[col["measured"]]
	}
	return out
}

// readReportCSV reads report.csv: its rows and the index of each column.
func readReportCSV(t *testing.T, path string) (rows [][]string, col map[string]int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col = map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	return recs[1:], col
}

// TestTwoMachinesNeedX86: the topology refuses an arm64 guest (its drive
// system and link are X86 boards) before anything runs, and says what to
// use instead.
func TestTwoMachinesNeedX86(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go")
	r := magetest.Mage(t, dir, append(env, "ARCH=arm64", "GEM5_ARCH=ARM", "SETUP_CPU=atomic", "TOPOLOGY=two-machine"), "config")
	if r.Code == 0 || !strings.Contains(r.Output, "TOPOLOGY=two-machine is for ARCH=amd64") ||
		!strings.Contains(r.Output, "use TOPOLOGY=single with ARCH=arm64") {
		t.Fatalf(
			"TOPOLOGY=two-machine with ARCH=arm64: exit %d, want an error naming both settings\n%s",
			r.Code,
			r.Output,
		)
	}
}
