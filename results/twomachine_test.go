package results

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// twoMachineStats is a dump of a two-machine run: the drive system's
// client core executed more instructions than the function's core.
const twoMachineStats = `
---------- Begin Simulation Statistics ----------
simSeconds                                   0.002000                       # Number of seconds simulated (Second)
simInsts                                      9000000                       # Number of instructions simulated (Count)
board.processor.switch0.core.numCycles        5000000                       # Number of cpu cycles simulated (Cycle)
board.processor.switch0.core.commitStats0.numInsts   300000                 # Number of instructions committed (thread level) (Count)
board.processor.switch1.core.numCycles        5000000                       # Number of cpu cycles simulated (Cycle)
board.processor.switch1.core.commitStats0.numInsts  2000000                 # Number of instructions committed (thread level) (Count)
drive.processor.cores.core.numCycles          7000000                       # Number of cpu cycles simulated (Cycle)
drive.processor.cores.core.commitStats0.numInsts    6700000                 # Number of instructions committed (thread level) (Count)

---------- End Simulation Statistics   ----------
`

// The drive system's numbers are listed apart and never measured, even
// when it executed the most instructions and no record names the CPU.
func TestDriveSystemIsNeverMeasured(t *testing.T) {
	for _, meta := range []string{"", `{"function":"fibonacci-go","status":"ok","measured_cpu":"board.processor.switch1.core","topology":"two-machine","drive_cpu":"drive.processor.cores.core"}`} {
		dir := t.TempDir()
		run := filepath.Join(dir, "fibonacci-go")
		os.MkdirAll(run, 0o755)
		os.WriteFile(filepath.Join(run, "stats.txt"), []byte(twoMachineStats), 0o644)
		os.WriteFile(filepath.Join(run, LogFile), []byte(logWith(5, true)), 0o644)
		if meta != "" {
			os.WriteFile(filepath.Join(run, MetaFile), []byte(meta), 0o644)
		}
		rep := Build(dir, nil, 3)
		_, cpu, ok := rep.Runs[0].Measured()
		if !ok || cpu.Name != "board.processor.switch1.core" {
			t.Fatalf("record %q: measured %q, want the test system's core 1", meta, cpu.Name)
		}
		var md, out, html bytes.Buffer
		rep.WriteMarkdown(&md)
		rep.WriteCSV(&out)
		if err := rep.WriteHTML(&html); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(
			html.String(),
			`<tr><td>fibonacci-go</td><td class="t">drive.processor.cores.core</td><td>6700000</td>`,
		) {
			t.Errorf("report.html does not list the drive system apart")
		}
		if !strings.Contains(md.String(), "## Drive systems (the client's machine; not measured)") ||
			!strings.Contains(md.String(), "| fibonacci-go | drive.processor.cores.core | 6700000 | 7000000 |") {
			t.Errorf("report.md does not list the drive system apart:\n%s", md.String())
		}
		recs, _ := csv.NewReader(&out).ReadAll()
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		for _, rec := range recs[1:] {
			drive := strings.HasPrefix(rec[col["cpu"]], "drive.")
			if want := map[bool]string{true: "drive", false: "test"}[drive]; rec[col["machine"]] != want {
				t.Errorf("CSV row %v: machine %q, want %s", rec, rec[col["machine"]], want)
			}
			if drive && rec[col["measured"]] != "false" {
				t.Errorf("the drive system's row is measured: %v", rec)
			}
		}
	}
}

func TestMachine(t *testing.T) {
	for cpu, want := range map[string]string{
		"board.processor.switch1.core": "test", "drive.processor.cores.core": "drive", "system.cpu": "test", "driver.cpu": "test",
	} {
		if got := Machine(cpu); got != want {
			t.Errorf("Machine(%q) = %q, want %q", cpu, got, want)
		}
	}
}
