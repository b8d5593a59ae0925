// Command m5 is the guest's m5 utility: it issues gem5's m5 ops from a
// shell (the run scripts' fail codes, readfile, exit, statistics,
// checkpoints, work items), with gem5's util/m5 command line, through the
// memory-mapped interface of package client/m5. It is a static Go binary,
// so one build serves every guest of an architecture without gem5's
// source or a cross compiler, and it reads an address given with --addr
// (gem5 v24's util/m5 prints its usage instead).
//
//	m5 [--addr[=ADDRESS]] COMMAND [ARGS]
package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/vswarmu/vswarmu-mage/client/m5"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, open)) }

// opener maps the m5 op region at base.
type opener func(base uintptr) (*m5.Ops, error)

func open(base uintptr) (*m5.Ops, error) { return m5.OpenAt(base) }

// command is one of the utility's commands.
type command struct {
	name     string
	min, max int // numbers of arguments
	usage    string
	run      func(o *m5.Ops, args []string, stdin io.Reader, stdout io.Writer) error
}

var commands = []command{
	{"exit", 0, 1, "[delay]", delayPeriod(func(o *m5.Ops, delay, _ uint64) { o.Exit(delay) })},
	{"fail", 1, 2, "<code> [delay]", delayPeriod(func(o *m5.Ops, code, delay uint64) { o.Fail(delay, code) })},
	{"readfile", 0, 0, "", func(o *m5.Ops, _ []string, _ io.Reader, w io.Writer) error {
		_, err := o.ReadFile(w)
		return err
	}},
	{"writefile", 1, 2, "<file> [host file name]", writeFile},
	{"checkpoint", 0, 2, "[delay [period]]", delayPeriod((*m5.Ops).Checkpoint)},
	{"resetstats", 0, 2, "[delay [period]]", delayPeriod((*m5.Ops).ResetStats)},
	{"dumpstats", 0, 2, "[delay [period]]", delayPeriod((*m5.Ops).DumpStats)},
	{"dumpresetstats", 0, 2, "[delay [period]]", delayPeriod((*m5.Ops).DumpResetStats)},
	{"workbegin", 0, 2, "[workid [threadid]]", delayPeriod((*m5.Ops).WorkBegin)},
	{"workend", 0, 2, "[workid [threadid]]", delayPeriod((*m5.Ops).WorkEnd)},
}

// delayPeriod runs an op that takes up to two numbers.
func delayPeriod(op func(*m5.Ops, uint64, uint64)) func(*m5.Ops, []string, io.Reader, io.Writer) error {
	return func(o *m5.Ops, a []string, _ io.Reader, _ io.Writer) error {
		d, err := nums(a, 2)
		if err == nil {
			op(o, d[0], d[1])
		}
		return err
	}
}

func writeFile(o *m5.Ops, a []string, _ io.Reader, w io.Writer) error {
	host := a[0]
	if len(a) == 2 {
		host = a[1]
	}
	f, err := os.Open(a[0])
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := o.WriteFile(f, host)
	if err == nil {
		fmt.Fprintf(w, "Wrote %d bytes.\n", n)
	}
	return err
}

// nums parses up to n numbers (decimal or 0x hexadecimal); missing ones
// are 0.
func nums(args []string, n int) ([]uint64, error) {
	out := make([]uint64, n)
	for i, a := range args {
		v, err := strconv.ParseUint(a, 0, 64)
		if err != nil {
			// fail codes are signed in the run scripts (fail -1).
			s, serr := strconv.ParseInt(a, 0, 64)
			if serr != nil {
				return nil, fmt.Errorf("%q is not a number", a)
			}
			v = uint64(s)
		}
		out[i] = v
	}
	return out, nil
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: m5 [--addr[=ADDRESS]] COMMAND [ARGS]\n\nADDRESS defaults to %#x on %s (gem5's m5ops_base).\ncommands:\n",
		m5.Base(runtime.GOARCH), runtime.GOARCH)
	for _, c := range commands {
		fmt.Fprintf(w, "  %s %s\n", c.name, c.usage)
	}
}

// parseAddr reads the interface options before the command: --addr,
// --addr=N or --addr N select the memory-mapped interface (the only one
// this utility has) at N or at the architecture's default.
func parseAddr(args []string) (base uintptr, rest []string, err error) {
	base = m5.Base(runtime.GOARCH)
	for len(args) > 0 && strings.HasPrefix(args[0], "--") {
		a := args[0]
		args = args[1:]
		switch {
		case a == "--addr":
			if len(args) > 0 {
				if v, perr := strconv.ParseUint(args[0], 0, 64); perr == nil {
					base, args = uintptr(v), args[1:]
				}
			}
		case strings.HasPrefix(a, "--addr="):
			v, perr := strconv.ParseUint(strings.TrimPrefix(a, "--addr="), 0, 64)
			if perr != nil {
				return 0, nil, fmt.Errorf("--addr: %q is not an address", strings.TrimPrefix(a, "--addr="))
			}
			base = uintptr(v)
		default:
			return 0, nil, fmt.Errorf("%s: only the address interface (--addr) is supported", a)
		}
	}
	return base, args, nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, openOps opener) int {
	base, args, err := parseAddr(args)
	if err != nil {
		fmt.Fprintf(stderr, "m5: %v\n", err)
		usage(stderr)
		return 1
	}
	if len(args) == 0 {
		usage(stderr)
		return 1
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		if n := len(args) - 1; n < c.min || n > c.max {
			fmt.Fprintf(stderr, "m5: %s takes %s\n", c.name, cmp.Or(c.usage, "no arguments"))
			return 1
		}
		o, err := openOps(base)
		if err != nil {
			fmt.Fprintf(stderr, "m5: %v\n", err)
			return 1
		}
		defer o.Close()
		if err := c.run(o, args[1:], stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "m5 %s: %v\n", c.name, err)
			return 2
		}
		return 0
	}
	fmt.Fprintf(stderr, "m5: unknown command %q\n", args[0])
	usage(stderr)
	return 1
}
