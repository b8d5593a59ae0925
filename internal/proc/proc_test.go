package proc

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readPIDs waits for a file of whitespace-separated PIDs to appear.
func readPIDs(t *testing.T, path string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		f := strings.Fields(string(b))
		if len(f) >= n {
			pids := make([]int, n)
			for i := range n {
				pids[i], _ = strconv.Atoi(f[i])
			}
			return pids
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not list %d pids", path, n)
	return nil
}

func alive(pid int) bool {
	st, err := ReadStat(pid)
	return err == nil && st.State != 'Z'
}

func waitDead(t *testing.T, pids []int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, p := range pids {
		for alive(p) {
			if time.Now().After(deadline) {
				t.Fatalf("pid %d still alive", p)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// grandchildren is a shell that starts two sleeps in the background (which
// ignore SIGINT, as a non-interactive shell's background jobs do) and one
// that traps SIGTERM, writes their pids and waits.
const grandchildren = `sleep 1000 & a=$!; sh -c 'trap "" TERM; sleep 1000' & b=$!; sleep 1000 & c=$!; echo $a $b $c > "$1"; wait`

func TestCancelStopsWholeGroup(t *testing.T) {
	dir := t.TempDir()
	reg, err := OpenRegistry(filepath.Join(dir, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "pids.txt")
	ctx, cancel := context.WithCancelCause(context.Background())
	c := Command("sh", "-c", grandchildren, "sh", pidFile)
	c.Registry, c.Owner = reg, Self()
	c.Grace = Grace{Interrupt: 200 * time.Millisecond, Terminate: 200 * time.Millisecond}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pids := readPIDs(t, pidFile, 3)
	if ents, _ := reg.List(); len(ents) != 1 || ents[0].PID != c.PID() {
		t.Fatalf("registry: %+v", ents)
	}
	cancel(errors.New("test cancel"))
	err = c.Wait()
	var se *StoppedError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "test cancel") {
		t.Fatalf("Wait after cancel: %v", err)
	}
	waitDead(t, append(pids, c.PID()), 5*time.Second)
	if ents, _ := reg.List(); len(ents) != 0 {
		t.Fatalf("registry not cleaned: %+v", ents)
	}
}

func TestLeftoversStoppedAfterExit(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pids.txt")
	// The shell exits at once, leaving a background sleep in its group.
	c := Command("sh", "-c", `sleep 1000 & echo $! > "$1"`, "sh", pidFile)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitDead(t, readPIDs(t, pidFile, 1), 3*time.Second)
}

func TestOutputThroughPipeDoesNotHang(t *testing.T) {
	var out strings.Builder
	c := Command("sh", "-c", `echo hello; echo oops >&2; sleep 1000 >/dev/null 2>&1 </dev/null & exit 3`)
	c.Stdout, c.Stderr = &out, &out
	start := time.Now()
	err := c.Run(context.Background())
	var ee *ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("want exit status 3, got %v", err)
	}
	if !strings.Contains(out.String(), "hello") || !strings.Contains(out.String(), "oops") {
		t.Fatalf("output %q", out.String())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestKillSparesDecoyAndMarksKilled(t *testing.T) {
	dir := t.TempDir()
	reg, err := OpenRegistry(filepath.Join(dir, "pids"))
	if err != nil {
		t.Fatal(err)
	}
	// A decoy with the same command name, not started by us.
	decoy := exec.Command("sleep", "1000")
	if err := decoy.Start(); err != nil {
		t.Fatal(err)
	}
	defer decoy.Process.Kill()

	c := Command("sleep", "1000")
	c.Registry, c.Owner, c.Kind = reg, Self(), "gem5"
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()

	stopped, err := reg.Kill(
		"mage kill (test)",
		Grace{Interrupt: 100 * time.Millisecond, Terminate: 100 * time.Millisecond},
		nil,
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(stopped) != 1 || stopped[0].PID != c.PID() || stopped[0].WasGone {
		t.Fatalf("stopped %+v", stopped)
	}
	if !strings.Contains(stopped[0].String(), "gem5 (pid") {
		t.Fatalf("report %q", stopped[0].String())
	}
	err = <-waited
	var ke *KilledError
	if !errors.As(err, &ke) || ke.By != "mage kill (test)" {
		t.Fatalf("owner sees %v, want KilledError", err)
	}
	if !alive(decoy.Process.Pid) {
		t.Fatal("the decoy with the same name was killed")
	}
}

func TestStaleEntryIsNotKilled(t *testing.T) {
	dir := t.TempDir()
	reg, _ := OpenRegistry(filepath.Join(dir, "pids"))
	// An entry for a live PID whose start time does not match: the PID
	// was reused by an unrelated process.
	decoy := exec.Command("sleep", "1000")
	if err := decoy.Start(); err != nil {
		t.Fatal(err)
	}
	defer decoy.Process.Kill()
	st, _ := ReadStat(decoy.Process.Pid)
	e := Entry{Ident: Ident{PID: decoy.Process.Pid, Start: st.Start - 5, Boot: BootID()}, SID: st.SID,
		Argv: []string{"sleep", "1000"}, Owner: Ident{PID: 1, Start: 1, Boot: BootID()}, Since: time.Now()}
	if err := reg.Add(e); err != nil {
		t.Fatal(err)
	}
	stopped, err := reg.Kill("test", DefaultGrace, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stopped) != 1 || !stopped[0].WasGone {
		t.Fatalf("stopped %+v", stopped)
	}
	if !alive(decoy.Process.Pid) {
		t.Fatal("a process whose start time did not match was killed")
	}
	if ents, _ := reg.List(); len(ents) != 0 {
		t.Fatalf("stale entry kept: %+v", ents)
	}
}

func TestReapStopsOrphans(t *testing.T) {
	dir := t.TempDir()
	reg, _ := OpenRegistry(filepath.Join(dir, "pids"))
	c := Command("sleep", "1000")
	c.Registry = reg
	c.Owner = Ident{PID: 999999, Start: 1, Boot: BootID()} // an owner that is gone
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	go c.Wait()
	stopped, err := reg.Reap(Grace{Interrupt: 100 * time.Millisecond, Terminate: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(stopped) != 1 || stopped[0].Signal != syscall.SIGINT {
		t.Fatalf("reaped %+v", stopped)
	}
	waitDead(t, []int{c.PID()}, 3*time.Second)
}

func TestParseStat(t *testing.T) {
	cases := []struct {
		in      string
		want    Stat
		wantErr bool
	}{
		{in: "42 (sleep) S 1 42 7 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 5000 100",
			want: Stat{PID: 42, State: 'S', PPID: 1, PGID: 42, SID: 7, Start: 123456, Comm: "sleep"}},
		{in: "43 (a (b) c) R 2 3 4 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0",
			want: Stat{PID: 43, State: 'R', PPID: 2, PGID: 3, SID: 4, Start: 99, Comm: "a (b) c"}},
		{in: "44 (x) S 1 2", wantErr: true},
		{in: "garbage", wantErr: true},
	}
	for _, c := range cases {
		got, err := parseStat(c.want.PID, []byte(c.in))
		if (err != nil) != c.wantErr {
			t.Errorf("parseStat(%q) error %v", c.in, err)
			continue
		}
		if !c.wantErr && got != c.want {
			t.Errorf("parseStat(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add("42 (sleep) S 1 42 7 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123456 5000 100")
	f.Add("1 ()) Z 0 0 0")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseStat(1, []byte(s))
	})
}

// A command that saves its state on SIGINT (as scons writes its signature
// database) gets the longer grace it asked for from `mage kill`; without
// it the kill escalates before the state is saved.
func TestKillGivesTheGraceACommandAskedFor(t *testing.T) {
	cases := []struct {
		name      string
		killGrace Grace
		saved     bool
		signal    syscall.Signal
	}{
		{"asked for time", Grace{Interrupt: 20 * time.Second}, true, syscall.SIGINT},
		{"default", Grace{}, false, syscall.SIGKILL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			reg, _ := OpenRegistry(filepath.Join(dir, "pids"))
			state := filepath.Join(dir, "state")
			// Saving takes a second; SIGTERM is ignored like a busy build's.
			script := `trap '' TERM; trap 'sleep 1; echo saved > ` + state + `; exit 130' INT; echo ready; while :; do sleep 0.05; done`
			c := Command("sh", "-c", script)
			c.Registry, c.Owner, c.KillGrace = reg, Self(), tc.killGrace
			ready := &lineWaiter{want: "ready", seen: make(chan struct{})}
			c.Stdout = ready
			if err := c.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			go c.Wait()
			<-ready.seen
			stopped, _ := reg.Kill("test", Grace{Interrupt: 200 * time.Millisecond, Terminate: 200 * time.Millisecond}, nil)
			_, err := os.Stat(state)
			if (err == nil) != tc.saved || len(stopped) != 1 || stopped[0].Signal != tc.signal {
				t.Fatalf("state saved: %v (want %v); stopped %+v (want %s)", err == nil, tc.saved, stopped, tc.signal)
			}
		})
	}
}

// lineWaiter closes seen once a write contains want.
type lineWaiter struct {
	want string
	seen chan struct{}
	once sync.Once
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}
