package client

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
)

// Schedules of a lukewarm run: the measured function's invocations one
// after another, or each preceded by one invocation of every other
// function (round robin), so their code and data pass through the caches
// and branch predictors between the measured function's invocations.
const (
	BackToBack  = "back-to-back"
	Interleaved = "interleaved"
)

// Target is one function of a lukewarm run and where it listens.
type Target struct {
	Function string
	Addr     string // host:port
}

// ParseTargets reads -functions: name=host:port, separated by commas.
func ParseTargets(s string) ([]Target, error) {
	var out []Target
	for _, item := range strings.Split(s, ",") {
		name, addr, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("-functions: %q is not name=host:port", item)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("-functions: %s: %w", item, err)
		}
		if _, err := Lookup(name); err != nil {
			return nil, err
		}
		out = append(out, Target{Function: name, Addr: addr})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-functions names no function")
	}
	return out, nil
}

// ScheduleOptions are a lukewarm run's settings.
type ScheduleOptions struct {
	Schedule string   // BackToBack or Interleaved
	Measure  string   // the measured function (one of Targets)
	Targets  []Target // every function the run drives
	N        int      // the measured function's invocations, each between work items 100+i
	Input    string
	M5       M5
	Log      io.Writer
}

// conn is a connected target.
type conn struct {
	Target
	svc *Service
	cc  *grpc.ClientConn
	gen *Generator
}

// RunSchedule connects to every target and invokes them in the schedule's
// order: the measured function N times, each invocation between work
// items 100+i, and with Interleaved every other function once before each
// of them (outside the work items).
func RunSchedule(ctx context.Context, o ScheduleOptions) (*Result, error) {
	if o.Schedule != BackToBack && o.Schedule != Interleaved {
		return nil, fmt.Errorf("-schedule %q: use %s or %s", o.Schedule, BackToBack, Interleaved)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	conns, measured, err := connect(ctx, o)
	defer func() {
		for _, c := range conns {
			c.cc.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "lukewarm: %s, measuring %s over %d invocations with %d functions\n", o.Schedule, o.Measure, o.N, len(conns))
	res := &Result{Function: o.Measure}
	for i := range o.N {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if o.Schedule == Interleaved {
			for _, c := range conns {
				if c.Function != o.Measure {
					if err := c.invoke(ctx); err != nil {
						return res, fmt.Errorf("%s (interleaved before invocation %d): %w", c.Function, i, err)
					}
				}
			}
		}
		m := conns[measured]
		in := m.svc.Next(m.gen)
		if o.M5 != nil {
			o.M5.WorkBegin(uint64(WorkItemBase+i), 0)
		}
		_, err := m.svc.Invoke(ctx, m.cc, 0, in)
		if o.M5 != nil {
			o.M5.WorkEnd(uint64(WorkItemBase+i), 0)
		}
		res.Records = append(res.Records, Record{Phase: "measured", Index: i, OK: err == nil})
		if err != nil {
			res.Errors++
			fmt.Fprintf(o.Log, "warning: %s invocation %d failed: %v\n", o.Measure, i, err)
		}
	}
	fmt.Fprintf(o.Log, "SUCCESS: Calling functions for %d times\n", o.N)
	return res, nil
}

// connect dials every target; measured is the index of o.Measure.
func connect(ctx context.Context, o ScheduleOptions) ([]conn, int, error) {
	var conns []conn
	measured := -1
	for i, t := range o.Targets {
		svc, err := Lookup(t.Function)
		if err != nil {
			return conns, 0, err
		}
		cc, err := Dial(ctx, t.Addr, 2*time.Minute)
		if err != nil {
			return conns, 0, err
		}
		conns = append(conns, conn{Target: t, svc: svc, cc: cc, gen: NewGenerator(Unique, Input{Value: o.Input}, 1, 100, uint64(i+1))})
		if t.Function == o.Measure {
			measured = i
		}
	}
	if measured < 0 {
		return conns, 0, fmt.Errorf("-measure %s is not among -functions", o.Measure)
	}
	return conns, measured, nil
}

// invoke sends one request of the next input.
func (c conn) invoke(ctx context.Context) error {
	_, err := c.svc.Invoke(ctx, c.cc, 0, c.svc.Next(c.gen))
	return err
}
