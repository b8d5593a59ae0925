package client

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
)

// m5 fail codes and work item ids of vSwarm-u's protocol.
const (
	CodeClientInit = 20 // connected, about to invoke
	CodeWarmStart  = 31
	CodeWarmEnd    = 32 // setup mode takes its checkpoint here
	WorkItemBase   = 100
)

// M5 is what a run needs of gem5's m5 ops (*m5.Ops is one).
type M5 interface {
	Fail(delay, code uint64)
	WorkBegin(id, thread uint64)
	WorkEnd(id, thread uint64)
}

// Options are a run's settings (the command's flags).
type Options struct {
	Function     string
	Addr         string // host:port
	Input        string // -input
	Method       string // -function-method
	Gen          GenType
	Lower, Upper int
	N, W         int
	Delay        time.Duration // after each request, warm-up included
	Timeout      time.Duration // to connect
	M5           M5            // nil: no m5 ops
	Log          io.Writer
	Verbose      bool
	Seed         uint64
}

// Record is one invocation.
type Record struct {
	Phase    string        `json:"phase"` // first, warm or measured
	Index    int           `json:"index"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration_ns"`
	OK       bool          `json:"ok"`
	Error    string        `json:"error,omitempty"`
	Wrong    string        `json:"wrong_reply,omitempty"` // what is wrong with the reply
}

// Result is a run's invocations.
type Result struct {
	Function string
	Records  []Record
	Errors   int
	Wrong    int // replies whose content is wrong (WrongReplyLine says each)
}

// WrongReplyLine starts the log line of a wrong reply, which the console
// of a gem5 run keeps and report:check reads:
// "VSWARMU-WRONG-REPLY <function> <phase> <index>: <what is wrong>".
const WrongReplyLine = "VSWARMU-WRONG-REPLY"

// Dial connects to addr, waiting at most timeout for the connection to be
// ready (the original client waited forever).
func Dial(ctx context.Context, addr string, timeout time.Duration) (*grpc.ClientConn, error) {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cc.Connect()
	for {
		s := cc.GetState()
		if s == connectivity.Ready {
			return cc, nil
		}
		if !cc.WaitForStateChange(wctx, s) {
			cc.Close()
			return nil, fmt.Errorf("cannot reach the function at %s within %v (connection %s)", addr, timeout, s)
		}
	}
}

// Run invokes the function: one untimed request, W warm-up requests
// between m5 fail codes 31 and 32, then N measured requests, each between
// work items 100+i.
func Run(ctx context.Context, o Options) (*Result, error) {
	svc, err := Lookup(o.Function)
	if err != nil {
		return nil, err
	}
	method, err := svc.MethodIndex(o.Method)
	if err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(o.Log, "%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
	}
	logf("connecting to %s (%s, service %s)", o.Addr, o.Function, svc.Name)
	cc, err := Dial(ctx, o.Addr, o.Timeout)
	if err != nil {
		return nil, err
	}
	defer cc.Close()
	if o.M5 != nil {
		o.M5.Fail(0, CodeClientInit)
	}
	gen := NewGenerator(o.Gen, Input{Value: o.Input, Method: o.Method}, o.Lower, o.Upper, o.Seed)
	res := &Result{Function: o.Function}
	replies := svc.Replies()
	invoke := func(phase string, i int, in Input, measured bool) {
		if measured && o.M5 != nil {
			o.M5.WorkBegin(uint64(WorkItemBase+i), 0)
		}
		start := time.Now()
		reply, err := svc.Invoke(ctx, cc, method, in)
		text, wrong := "", error(nil)
		if err == nil {
			text = fmt.Sprint(reply) // part of the measured window, as in the original
			// Checked before the work item ends: gem5 ends an evaluation at
			// its last one. After an input's first reply, a map look-up.
			if wrong = replies.Check(in, ReplyText(reply)); wrong != nil {
				// Said before the work item ends, which may end the run.
				fmt.Fprintf(o.Log, "%s %s %s %d: %v\n", WrongReplyLine, o.Function, phase, i, wrong)
			}
		}
		d := time.Since(start)
		if measured && o.M5 != nil {
			o.M5.WorkEnd(uint64(WorkItemBase+i), 0)
		}
		r := Record{Phase: phase, Index: i, Start: start, Duration: d, OK: err == nil}
		switch {
		case err != nil:
			r.Error = err.Error()
			res.Errors++
			logf("warning: %s invocation %d failed: %v", phase, i, err)
		case wrong != nil:
			r.Wrong = wrong.Error()
			res.Wrong++
		case o.Verbose:
			logf("%s %d (%v): %s", phase, i, d, text)
		}
		res.Records = append(res.Records, r)
		if o.Delay > 0 && phase != "first" {
			time.Sleep(o.Delay)
		}
	}
	invoke("first", 0, svc.Next(gen), false)
	if o.W > 0 {
		if o.M5 != nil {
			o.M5.Fail(0, CodeWarmStart)
		}
		logf("warming up with %d invocations", o.W)
		for i := range o.W {
			invoke("warm", i, svc.Next(gen), false)
		}
		if o.M5 != nil {
			o.M5.Fail(0, CodeWarmEnd)
		}
	}
	logf("invoking %d times", o.N)
	for i := range o.N {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		in := svc.Next(gen) // outside the measured window
		invoke("measured", i, in, true)
		if o.N > 10 && (i+1)%(o.N/5) == 0 {
			logf("%d of %d invocations done", i+1, o.N)
		}
	}
	if res.Wrong > 0 {
		return res, fmt.Errorf("%d of %d replies of %s were wrong (the %s lines above say how)",
			res.Wrong, len(res.Records), o.Function, WrongReplyLine)
	}
	fmt.Fprintf(o.Log, "SUCCESS: Calling functions for %d times\n", o.N)
	return res, nil
}

// Summary is the latency of a run's measured invocations.
type Summary struct {
	First              time.Duration // the untimed first (cold) invocation
	Measured, Failed   int
	P50, P90, P99, Avg time.Duration
}

// Summarize computes the latency percentiles (nearest rank) of the
// successful measured invocations.
func (r *Result) Summarize() Summary {
	var s Summary
	var d []time.Duration
	for _, rec := range r.Records {
		switch {
		case rec.Phase == "first":
			s.First = rec.Duration
		case rec.Phase == "measured" && rec.OK:
			d = append(d, rec.Duration)
		case rec.Phase == "measured":
			s.Failed++
		}
	}
	s.Measured = len(d)
	if len(d) == 0 {
		return s
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	rank := func(p float64) time.Duration { return d[int(math.Ceil(p*float64(len(d))))-1] }
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	s.P50, s.P90, s.P99, s.Avg = rank(0.50), rank(0.90), rank(0.99), sum/time.Duration(len(d))
	return s
}

// String renders the summary on one line.
func (s Summary) String() string {
	return fmt.Sprintf("latency: first (cold) %v; measured %d ok, %d failed: p50 %v p90 %v p99 %v mean %v",
		s.First, s.Measured, s.Failed, s.P50, s.P90, s.P99, s.Avg)
}

// CheckLatencyPath rejects a -latency-out path the run could not write.
func CheckLatencyPath(path string) error {
	switch filepath.Ext(path) {
	case ".csv", ".json":
		return nil
	}
	return fmt.Errorf("-latency-out %s: the file must end in .csv or .json", path)
}

// WriteLatency writes one row per invocation to path (.csv or .json).
func (r *Result) WriteLatency(path string) error {
	if err := CheckLatencyPath(path); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-latency-out: %w", err)
	}
	if filepath.Ext(path) == ".json" {
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		err = enc.Encode(r.Records)
	} else {
		w := csv.NewWriter(f)
		_ = w.Write([]string{"phase", "index", "start", "duration_us", "ok", "error"})
		for _, rec := range r.Records {
			_ = w.Write([]string{rec.Phase, strconv.Itoa(rec.Index), rec.Start.Format(time.RFC3339Nano),
				strconv.FormatFloat(float64(rec.Duration.Nanoseconds())/1000, 'f', 3, 64), strconv.FormatBool(rec.OK), rec.Error})
		}
		w.Flush()
		err = w.Error()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
