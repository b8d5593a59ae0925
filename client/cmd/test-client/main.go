// Command test-client invokes a vSwarm-u function over gRPC, with the
// original vSwarm-u client's flags and gem5 m5-op protocol, inside a gem5
// guest or natively. See package client for what changed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/vswarmu/vswarmu-mage/client"
	"github.com/vswarmu/vswarmu-mage/client/m5"
)

// version is set at build time (-ldflags -X main.version=...).
var version = "dev"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test-client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		name    = fs.String("function-name", "helloworld", "function to invoke (see -function-name list)")
		url     = fs.String("url", "0.0.0.0", "host of the function")
		port    = fs.String("port", "50051", "port of the function")
		input   = fs.String("input", "1", "input value of the unique generator")
		genType = fs.String("genType", "unique", "input generator: unique, linear or random")
		lower   = fs.Int("lowerBound", 1, "lower bound of the linear and random generators")
		upper   = fs.Int("upperBound", 100, "upper bound of the linear and random generators")
		method  = fs.String("function-method", "0", "method of multi-method services: its index or name")
		n       = fs.Int("n", 10, "measured invocations")
		w       = fs.Int("w", 0, "warm-up invocations (between m5 fail codes 31 and 32)")
		delay   = fs.Int("delay", 0, "sleep after each request, in microseconds")
		logging = fs.String("logging", "", "also append the log to this file")
		m5ops   = fs.Bool("m5ops", false, "issue gem5 m5 ops (fail codes, work items 100+i)")
		verbose = fs.Bool("v", false, "log every reply")
		showVer = fs.Bool("version", false, "print the version and exit")
		timeout = fs.Duration("timeout", 2*time.Minute, "give up connecting after this long")
		latency = fs.String("latency-out", "", "write one row per invocation to this .csv or .json file")
		seed    = fs.Uint64("seed", 0, "seed of the random generator (0: a random seed)")
		sched   = fs.String("schedule", "", "lukewarm run: back-to-back or interleaved invocations of -measure among -functions")
		measure = fs.String("measure", "", "lukewarm run: the measured function")
		targets = fs.String("functions", "", "lukewarm run: every function, name=host:port separated by commas")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *showVer {
		fmt.Fprintf(stdout, "vswarmu-mage test-client %s (%s/%s)\n", version, runtime.GOOS, runtime.GOARCH)
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return 2
	}
	if *sched != "" {
		return runSchedule(*sched, *measure, *targets, *input, *n, *m5ops, stdout, stderr)
	}
	gen, err := client.ParseGenType(*genType)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	if *latency != "" {
		if err := client.CheckLatencyPath(*latency); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 2
		}
	}
	var log io.Writer = stdout
	if *logging != "" {
		f, err := os.OpenFile(*logging, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintln(stderr, "error: -logging:", err)
			return 1
		}
		defer f.Close()
		log = io.MultiWriter(stdout, f)
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	opts := client.Options{Function: *name, Addr: net.JoinHostPort(*url, *port), Input: *input, Method: *method, Gen: gen,
		Lower: *lower, Upper: *upper, N: *n, W: *w, Delay: time.Duration(*delay) * time.Microsecond,
		Timeout: *timeout, Log: log, Verbose: *verbose, Seed: *seed}
	if _, err := client.Lookup(*name); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	if *m5ops {
		ops := m5.Open(log)
		defer ops.Close()
		opts.M5 = ops
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := client.Run(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	fmt.Fprintln(log, res.Summarize())
	if *latency != "" {
		if err := res.WriteLatency(*latency); err != nil {
			fmt.Fprintln(stderr, "error:", err)
			return 1
		}
	}
	return 0
}

// runSchedule is a lukewarm run: -schedule, -measure and -functions.
func runSchedule(sched, measure, targets, input string, n int, m5ops bool, stdout, stderr io.Writer) int {
	ts, err := client.ParseTargets(targets)
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 2
	}
	opts := client.ScheduleOptions{Schedule: sched, Measure: measure, Targets: ts, N: n, Input: input, Log: stdout}
	if m5ops {
		ops := m5.Open(stdout)
		defer ops.Close()
		opts.M5 = ops
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := client.RunSchedule(ctx, opts); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}
