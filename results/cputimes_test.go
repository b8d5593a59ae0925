package results

import (
	"strings"
	"testing"
)

const cpuConsole = `[    5.1] some kernel line
VSWARMU-CPU start cpu0 100 0 50 900 10 1 4 0 0 0
VSWARMU-CPU start cpu1 20 0 5 1000 0 0 1 0 0 0
VSWARMU-CPU start 1 (vswarmu-init) S 0 1 1 0 -1 4194560 1000 2000 3 4 2 3 10 20 20 0 1 0 5 1000 100
VSWARMU-CPU start 300 (containerd) S 1 300 300 0 -1 4194560 1000 0 3 0 80 12 0 0 20 0 9 0 50 1000 100
VSWARMU-CPU start 400 (dockerd) S 1 400 400 0 -1 4194560 1000 0 3 0 60 9 0 0 20 0 9 0 60 1000 100
m5 fail 1
VSWARMU-CPU client cpu0 130 0 70 950 10 1 6 0 0 0
VSWARMU-CPU client cpu1 25 0 6 1040 0 0 1 0 0 0
VSWARMU-CPU client 1 (vswarmu-init) S 0 1 1 0 -1 4194560 1000 2000 3 4 2 3 10 20 20 0 1 0 5 1000 100
VSWARMU-CPU client 300 (containerd) S 1 300 300 0 -1 4194560 1000 0 3 0 85 13 0 0 20 0 9 0 50 1000 100
VSWARMU-CPU client 400 (dockerd) S 1 400 400 0 -1 4194560 1000 0 3 0 70 12 0 0 20 0 9 0 60 1000 100
VSWARMU-CPU client 500 (containerd-shim) S 1 500 500 0 -1 4194560 1000 0 3 0 3 2 4 3 20 0 9 0 70 1000 100
VSWARMU-CPU client 501 (docker-proxy) S 400 501 400 0 -1 4194560 1000 0 3 0 2 1 0 0 20 0 9 0 71 1000 100
VSWARMU-CPU client 502 (a (b) c) R 1 502 1 0 -1 4194560 1000 0 3 0 1 0 0 0 20 0 9 0 72 1000 100
`

func TestParseCPUTimes(t *testing.T) {
	snaps, err := ParseCPUTimes(strings.NewReader(cpuConsole))
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[0].Label != "start" || snaps[1].Label != "client" {
		t.Fatalf("snapshots: %+v", snaps)
	}
	if c := snaps[0].CPUs["cpu0"]; c != (CPUTime{User: 100, System: 50, Idle: 910, IRQ: 1, SoftIRQ: 4}) {
		t.Errorf("cpu0 at the start: %+v", c)
	}
	if p := snaps[1].Procs[502]; p.Comm != "a (b) c" || p.User != 1 {
		t.Errorf("a comm with parentheses: %+v", p)
	}
	want := []Share{{"dockerd", 1, 13}, {"containerd-shim", 1, 12}, {"containerd", 1, 6}, {"docker-proxy", 1, 3},
		{"a (b) c", 1, 1}}
	got := snaps[1].Since(snaps[0])
	if len(got) != len(want) {
		t.Fatalf("shares %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("share %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if busy, kernel := snaps[1].Busy(snaps[0]); busy != 58 || kernel != 23 {
		t.Errorf("busy %d, kernel %d; want 58, 23", busy, kernel)
	}
}

func TestParseCPUTimesErrors(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"VSWARMU-CPU start cpu0 1 2", "2 fields, want at least 7"},
		{"VSWARMU-CPU start 12 no-comm S 1", "not a /proc/<pid>/stat line"},
		{"VSWARMU-CPU start 12 (sh) S 1 2", "process 12: 0 fields"},
		{"VSWARMU-CPU start x1 (sh) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", ""},
		{"VSWARMU-CPU start 1x (sh) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", "pid of"},
	} {
		_, err := ParseCPUTimes(strings.NewReader("boot\n" + c.line + "\n"))
		if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) ||
			err != nil && !strings.Contains(err.Error(), "console line 2") {
			t.Errorf("%q: %v, want %q", c.line, err, c.want)
		}
	}
}

func FuzzParseCPUTimes(f *testing.F) {
	f.Add(cpuConsole)
	f.Add("VSWARMU-CPU a 1 () S")
	f.Fuzz(func(t *testing.T, s string) {
		snaps, err := ParseCPUTimes(strings.NewReader(s))
		if err != nil {
			return
		}
		for i := 1; i < len(snaps); i++ {
			snaps[i].Since(snaps[i-1])
			snaps[i].Busy(snaps[i-1])
		}
	})
}
