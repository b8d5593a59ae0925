package gem5configs

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/results"
)

// The run script's CPU time dumps, run by sh on this host's /proc, are
// what results reads: every CPU, every process (this test's sh among
// them), and the script's labels in order.
func TestRunScriptCPUTimesAreRead(t *testing.T) {
	script := Simulation{Workload: Workload{Function: "aes-go", GuestDir: "/root/vswarmu", CPUTimes: true}}.singleScript()
	for _, want := range []string{"vswarmu_cpu start\n$M5 fail 1\n", "vswarmu_cpu client\n$M5 fail 10\n"} {
		if !strings.Contains(script, want) {
			t.Fatalf("the run script lacks %q:\n%s", want, script)
		}
	}
	out, err := exec.Command("sh", "-c", twoSnapshots).Output()
	if err != nil {
		t.Fatal(err)
	}
	checkCPUTimes(t, out)
}

// The snapshots cost a setup about 25 M instructions, so a run script takes
// them only with GUEST_CPU_TIMES (CPUTimes), which its run's parameters
// then name; without, vswarmu_cpu does nothing and the shell prints none.
func TestCPUTimesOnlyWhenAsked(t *testing.T) {
	for _, on := range []bool{false, true} {
		s := Simulation{Workload: Workload{Function: "aes-go", GuestDir: "/root/vswarmu", CPUTimes: on}}
		script := s.singleScript()
		if strings.Contains(script, "/proc/stat") != on {
			t.Errorf("CPUTimes %v: the run script reads /proc/stat: %v\n%s", on, !on, script)
		}
		if _, named := s.parameters("atomic")["GUEST_CPU_TIMES"]; named != on {
			t.Errorf("CPUTimes %v: the run's parameters name GUEST_CPU_TIMES: %v", on, named)
		}
		defs := script[strings.Index(script, "vswarmu_cpu()"):strings.Index(script, "vswarmu_cpu start")]
		out, err := exec.Command("sh", "-c", defs+"vswarmu_cpu start\necho done").Output()
		if err != nil {
			t.Fatalf("CPUTimes %v: %v", on, err)
		}
		if printed := strings.Contains(string(out), results.CPULine); printed != on {
			t.Errorf("CPUTimes %v: snapshot printed: %v\n%s", on, printed, out)
		}
	}
}

// twoSnapshots defines vswarmu_cpu and takes the run script's two
// snapshots with 200,000 shell loop iterations between them, then prints
// its sh's pid.
var twoSnapshots = cpuTimes + "\nvswarmu_cpu start\nbusy=0; while [ $busy -lt 200000 ]; do busy=$((busy+1)); done\nvswarmu_cpu client\necho sh=$$"

// The tiny disk's sed is busybox's.
func TestRunScriptCPUTimesWithBusyboxSed(t *testing.T) {
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Skip("needs busybox (apt-get install busybox-static), the tiny disk's sed")
	}
	bin := t.TempDir()
	if err := os.Symlink(busybox, filepath.Join(bin, "sed")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", twoSnapshots)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	checkCPUTimes(t, out)
}

// checkCPUTimes checks two snapshots, start and client, of every CPU and
// process, the script's sh among them, with ticks between them.
func checkCPUTimes(t *testing.T, out []byte) {
	t.Helper()
	snaps, err := results.ParseCPUTimes(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[0].Label != "start" || snaps[1].Label != "client" {
		t.Fatalf("snapshots %+v", snaps)
	}
	if len(snaps[0].CPUs) == 0 || len(snaps[0].Procs) < 2 {
		t.Fatalf("the start snapshot has %d CPUs and %d processes:\n%s", len(snaps[0].CPUs), len(snaps[0].Procs), out)
	}
	shares := snaps[1].Since(snaps[0])
	if busy, _ := snaps[1].Busy(snaps[0]); busy == 0 || len(shares) == 0 {
		t.Errorf("200,000 shell loop iterations took no ticks: busy %d, shares %+v", busy, shares)
	}
	var sh string
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "sh="); ok {
			sh = v
		}
	}
	found := false
	for _, p := range snaps[1].Procs {
		found = found || strings.TrimSpace(sh) == strconv.Itoa(p.PID) && p.Comm == "sh"
	}
	if !found {
		t.Errorf("the script's own sh (pid %s) is not among the processes", sh)
	}
}
