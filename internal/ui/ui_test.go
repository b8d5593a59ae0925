package ui

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

func TestFormatDuration(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{850 * time.Millisecond, "850ms"}, {4200 * time.Millisecond, "4.2s"}, {187 * time.Second, "3m07s"},
		{3720 * time.Second, "1h02m"},
	}
	for _, c := range cases {
		if got := FormatDuration(c.d); got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestNoColourOffATerminal(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, false)
	p.Begin("kernel:build", "input changed")
	p.End("kernel:build", Failed, 3*time.Second, errors.New("make: error"), "/wk/logs/kernel-build.log")
	if strings.Contains(b.String(), "\x1b[") {
		t.Fatalf("colour codes off a terminal: %q", b.String())
	}
	want := "▶ kernel:build — input changed\n✘ kernel:build failed after 3.0s: make: error (log: /wk/logs/kernel-build.log)\n"
	if b.String() != want {
		t.Fatalf("output %q\nwant    %q", b.String(), want)
	}
}

// On a terminal a status line ticks with the running steps' elapsed time,
// and is cleared before each printed line.
func TestTickingStatusLine(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, false)
	p.tty = true
	p.SetColor(true)
	p.Begin("gem5:build", "")
	p.Progress("gem5:build", "120 steps")
	time.Sleep(2200 * time.Millisecond)
	p.Printf("a line")
	p.Close()
	s := b.String()
	if !strings.Contains(s, "… gem5:build 2.") || !strings.Contains(s, "(120 steps)") ||
		!strings.Contains(s, "\r\x1b[K") {
		t.Fatalf("no ticking status line: %q", s)
	}
	if !strings.Contains(s, "\x1b[") {
		t.Fatal("no colour on a terminal")
	}
}

// Off a terminal, a long silent step gets a plain line saying what runs
// each heartbeat (a minute by default), and none once nothing runs.
func TestHeartbeatOffATerminal(t *testing.T) {
	var b magetest.Buffer
	p := New(&b, false)
	p.SetHeartbeat(100 * time.Millisecond)
	p.Begin("kernel:build", "")
	p.Progress("kernel:build", "CC kernel/fork.o")
	time.Sleep(450 * time.Millisecond)
	p.End("kernel:build", OK, time.Second, nil, "")
	n := strings.Count(b.String(), "… kernel:build ")
	time.Sleep(300 * time.Millisecond)
	p.Close()
	s := b.String()
	if n < 2 || !strings.Contains(s, "(CC kernel/fork.o)") || strings.Contains(s, "\x1b[") || strings.Contains(s, "\r") {
		t.Fatalf("heartbeat lines: %d in %q", n, s)
	}
	if strings.Count(s, "… kernel:build ") != n {
		t.Fatalf("a heartbeat after the step ended: %q", s)
	}
	if New(&b, false).heartbeat != time.Minute {
		t.Fatal("the default heartbeat is not a minute")
	}
}
