package client_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"

	"github.com/vswarmu/vswarmu-mage/client"
)

// counting counts the requests a server handles.
func counting(n *atomic.Int64) grpc.ServerOption {
	return grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		n.Add(1)
		return h(ctx, req)
	})
}

// TestSchedulesOfALukewarmRun: both schedules put work items around the
// measured function's invocations only; interleaved invokes every other
// function once before each of them, back-to-back never.
func TestSchedulesOfALukewarmRun(t *testing.T) {
	for _, sched := range []string{client.BackToBack, client.Interleaved} {
		t.Run(sched, func(t *testing.T) {
			var fib, aes, auth atomic.Int64
			a, _ := client.ParseTargets("fibonacci-go=" + serveReference(t, "fibonacci", &fib) + ",aes-go=" +
				serveReference(t, "aes", &aes) + ",auth-go=" + serveReference(t, "auth", &auth))
			rec := &recorder{}
			var log strings.Builder
			res, err := client.RunSchedule(context.Background(), client.ScheduleOptions{Schedule: sched, Measure: "aes-go", Targets: a,
				N: 4, Input: "10", M5: rec, Log: &log})
			if err != nil || res.Errors != 0 {
				t.Fatalf("%v (%d errors)\n%s", err, res.Errors, log.String())
			}
			if got := strings.Join(rec.ops, ","); got != "begin 100,end 100,begin 101,end 101,begin 102,end 102,begin 103,end 103" {
				t.Errorf("m5 ops: %s", got)
			}
			others := int64(0)
			if sched == client.Interleaved {
				others = 4
			}
			if aes.Load() != 4 || fib.Load() != others || auth.Load() != others {
				t.Errorf("requests: aes %d, fibonacci %d, auth %d; want 4, %d, %d", aes.Load(), fib.Load(), auth.Load(), others, others)
			}
		})
	}
}

func TestScheduleErrors(t *testing.T) {
	cases := []struct{ targets, want string }{
		{"fibonacci-go", "is not name=host:port"},
		{"fibonacci-go=localhost", "missing port"},
		{"no-such-function=localhost:1", "unknown function"},
	}
	for _, c := range cases {
		if _, err := client.ParseTargets(c.targets); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseTargets(%q): %v, want %q", c.targets, err, c.want)
		}
	}
	ts, _ := client.ParseTargets("fibonacci-go=127.0.0.1:1")
	if _, err := client.RunSchedule(context.Background(), client.ScheduleOptions{Schedule: "sideways", Measure: "fibonacci-go", Targets: ts, N: 1}); err == nil ||
		!strings.Contains(err.Error(), "use back-to-back or interleaved") {
		t.Errorf("bad schedule: %v", err)
	}
}
