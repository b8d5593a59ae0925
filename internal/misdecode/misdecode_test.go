package misdecode

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/misdecode/misdecodetest"
)

func TestScanCodeFindsTheShortXchgWithREXB(t *testing.T) {
	cases := []struct {
		name string
		code []byte
		want []string // the findings' encodings
	}{
		{"xchg %rax,%r8", []byte{0x49, 0x90}, []string{"49 90"}},
		{"xchg %eax,%r8d", []byte{0x41, 0x90}, []string{"41 90"}},
		{"xchg %rax,%r15", []byte{0x49, 0x97}, nil}, // 0x97 is decoded right by gem5
		{"xchg %rax,%r9", []byte{0x49, 0x91}, nil},
		{"nop with REX.W", []byte{0x48, 0x90}, nil},
		{"nop", []byte{0x90}, nil},
		{"pause with REX.B", []byte{0xf3, 0x41, 0x90}, nil},
		{"xchg %ax,%r8w", []byte{0x66, 0x41, 0x90}, []string{"66 41 90"}},
		{"modrm xchg %r8,%rax", []byte{0x4c, 0x87, 0xc0}, nil},
		{"REX.B byte inside an immediate", []byte{0x48, 0xb8, 0x41, 0x90, 0, 0, 0, 0, 0, 0}, nil},
		{
			"Go 1.19's gcWriteBarrierR8",
			[]byte{0x49, 0x90, 0xe8, 0x79, 0xfe, 0xff, 0xff, 0x49, 0x90, 0xc3},
			[]string{"49 90", "49 90"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, f := range scanCode(c.code, 0x1000) {
				got = append(got, hexBytes(f.Bytes))
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("% x: findings %q, want %q", c.code, got, c.want)
			}
		})
	}
}

func hexBytes(b []byte) string { return fmt.Sprintf("% x", b) }

// flaggedEncodings are the encodings Scan finds in the program at path.
func flaggedEncodings(t *testing.T, path string) []string {
	t.Helper()
	r, err := ScanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var flagged []string
	for _, f := range r.Findings {
		flagged = append(flagged, hexBytes(f.Bytes))
	}
	return flagged
}

func TestSummarySaysTheReleaseAndTheFirstFinding(t *testing.T) {
	f := Finding{Addr: 0xcd1540, Bytes: []byte{0x49, 0x90}, Asm: "xchg %rax,%r8", Func: "runtime.gcWriteBarrierR8"}
	cases := []struct {
		r    Report
		want string
	}{
		{Report{}, ""},
		{Report{GoVersion: "go1.26.8"}, ""},
		{
			Report{GoVersion: "go1.19.8", Findings: []Finding{f, f}},
			"(built with go1.19.8) holds 2 instruction(s) gem5 v24 misexecutes, first 0xcd1540 49 90 xchg %rax,%r8 (gem5: nop) in runtime.gcWriteBarrierR8",
		},
		{Report{Findings: []Finding{f}}, "holds 1 instruction(s) gem5 v24 misexecutes, first " + f.String()},
	}
	for _, c := range cases {
		if got := c.r.Summary(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
}

func TestScanRefusesWhatIsNotAnX86Program(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("#!/bin/sh\n"), bytes.Repeat([]byte{0x7f, 'E', 'L', 'F'}, 4)} {
		if _, err := Scan(bytes.NewReader(data)); !errors.Is(err, ErrNotX86) {
			t.Errorf("Scan(%q): %v, want ErrNotX86", data, err)
		}
	}
}

func TestScanNamesTheGoFunctions(t *testing.T) {
	r, err := ScanFile(misdecodetest.Probe(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Func+": "+f.Asm)
	}
	want := []string{"main.xchg4990: xchg %rax,%r8", "main.xchg4190: xchg %eax,%r8d"}
	if !slices.Equal(got, want) || !strings.HasPrefix(r.GoVersion, "go1.") {
		t.Fatalf("findings %q (Go %q), want %q", got, r.GoVersion, want)
	}
}

// TestGem5ExecutesTheFindingsAsNops runs the probe natively and on the
// real gem5 (VSWARMU_GEM5) in syscall-emulation mode: the forms gem5
// leaves unswapped must be exactly the ones Scan reports, and the host CPU
// must swap them all. Atomic cores only: gem5 v24's SE mode does not run a
// Go program's threads to the end on timing and O3 cores (an assertion in
// TimingSimpleCPU::suspendContext, a futex gone wrong), and every CPU
// model shares the decoder (Debian's containerd failed alike on timing
// cores in full-system runs).
func TestGem5ExecutesTheFindingsAsNops(t *testing.T) {
	prog := misdecodetest.Probe(t)
	native, err := exec.Command(prog).Output()
	if err != nil || strings.Contains(string(native), "not swapped") {
		t.Fatalf("the probe natively: %v\n%s", err, native)
	}
	gem5 := os.Getenv("VSWARMU_GEM5")
	if gem5 == "" {
		t.Skip("set VSWARMU_GEM5=<gem5.opt> (X86) to run the probe on the real gem5")
	}
	flagged := flaggedEncodings(t, prog)
	re := regexp.MustCompile(`(?m)^probe ([0-9a-f ]+): not swapped`)
	for _, cpu := range []string{"atomic"} {
		t.Run(cpu, func(t *testing.T) {
			out, err := exec.Command(gem5, "--outdir="+t.TempDir(), filepath.Join("testdata", "se.py"), prog, cpu).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "probe 48 91: swapped") {
				t.Fatalf("gem5 %s: %v\n%s", cpu, err, out)
			}
			var wrong []string
			for _, m := range re.FindAllStringSubmatch(string(out), -1) {
				wrong = append(wrong, m[1])
			}
			if !slices.Equal(wrong, flagged) {
				t.Fatalf("gem5 (%s) left %q unswapped, Scan reports %q: the check is out of date for this gem5\n%s",
					cpu, wrong, flagged, out)
			}
		})
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	f.Add([]byte{0x49, 0x90})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Scan(bytes.NewReader(data))
		if err == nil && r.Findings == nil && r.GoVersion == "" {
			return
		}
		for _, fd := range r.Findings {
			if len(fd.Bytes) < 2 || fd.Misdecode == XchgREXB && fd.Bytes[len(fd.Bytes)-1] != 0x90 ||
				fd.Misdecode == XchgSameReg && !sameRegModRM(fd.Bytes[len(fd.Bytes)-1]) {
				t.Fatalf("finding %v is not a form of %s", fd, fd.Misdecode)
			}
		}
	})
}

func FuzzScanCode(f *testing.F) {
	f.Add([]byte{0x49, 0x90, 0xe8, 0x79, 0xfe, 0xff, 0xff, 0x49, 0x90, 0xc3})
	f.Add([]byte{0x48, 0xc1, 0xc7, 0x33, 0x48, 0x87, 0xdb, 0x48, 0x89, 0x55, 0xc8})
	f.Fuzz(func(t *testing.T, code []byte) {
		for _, fd := range scanCode(code, 0) {
			enc := fd.Bytes
			switch fd.Misdecode {
			case XchgREXB:
				if !isREXB(enc[len(enc)-2]) || enc[len(enc)-1] != 0x90 {
					t.Fatalf("finding %v is not a short XCHG with REX.B", fd)
				}
			case XchgSameReg:
				if enc[len(enc)-2]&0xfe != 0x86 || !sameRegModRM(enc[len(enc)-1]) {
					t.Fatalf("finding %v is not an XCHG of a register with itself", fd)
				}
			default:
				t.Fatalf("finding %v names no known misdecode", fd)
			}
		}
	})
}

// TestProbeProgramRunsRightOnThisCPU: the probe, run natively on an x86-64
// Linux host, finds nothing wrong: every case leaves what a real CPU
// leaves, its line marks none, and the exit status has only its end bit.
func TestProbeProgramRunsRightOnThisCPU(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the probe is an x86-64 Linux program")
	}
	prog := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(prog, ProbeProgram(), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(prog).Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != probeEnd {
		t.Fatalf("the probe natively: %v, want exit status %d", err, probeEnd)
	}
	outcomes, found, err := ReadProbe(exit.ExitCode(), string(out))
	if err != nil || len(found) != 0 || len(outcomes) != len(ProbeCases()) {
		t.Fatalf("ReadProbe(%d, %q) = %v, %v, %v", exit.ExitCode(), out, outcomes, found, err)
	}
	// The scanner finds in the probe exactly the cases of the known misdecodes.
	flagged := flaggedEncodings(t, prog)
	var want []string
	for _, c := range ProbeCases() {
		if c.Misdecode != "" {
			want = append(want, c.Encoding)
		}
	}
	if !slices.Equal(flagged, want) {
		t.Errorf("Scan finds %q in the probe, want the cases of the known misdecodes %q", flagged, want)
	}
}

func TestReadProbe(t *testing.T) {
	line := func(marks string) string { return "gem5 says hello\n" + ProbeLine + marks + "\nExiting\n" }
	cases := []struct {
		status int
		output string
		found  []string
		err    string
	}{
		{0x80, line("000000000000"), nil, ""},
		{0x81, line("110000000000"), []string{XchgREXB}, ""},
		{0x81, line("010000000000"), []string{XchgREXB}, ""},
		{0x81, line("111111000000"), []string{XchgREXB, XchgSameReg}, ""},
		{0x81, line("001000000000"), []string{XchgSameReg}, ""},
		{0x81, line("000000100000"), nil, "control 49 91 (xchg %rax,%r9) ran wrongly"},
		{0x81, line("000000000001"), nil, "control 90 (nop) ran wrongly"},
		{0x80, line("110000000000"), nil, "disagree"},
		{0x81, line("000000000000"), nil, "disagree"},
		{0x80, line("0000"), nil, "no line"},
		{0x80, "no line at all", nil, "no line"},
		{0x80, line("000000000000") + line("000000000000"), nil, "no line"},
		{0x03, line("000000000000"), nil, "did not reach its end"},
		{0x180, line("000000000000"), nil, "did not reach its end"},
		{0, "", nil, "did not reach its end"},
	}
	for _, c := range cases {
		_, found, err := ReadProbe(c.status, c.output)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("status %#x, %q: error %v, want %q", c.status, c.output, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(found, c.found) {
			t.Errorf("status %#x, %q: %v, %v; want %v", c.status, c.output, found, err, c.found)
		}
	}
}

func FuzzReadProbe(f *testing.F) {
	f.Add(0x81, ProbeLine+"111111000000\n")
	f.Fuzz(func(t *testing.T, status int, output string) {
		outcomes, found, err := ReadProbe(status, output)
		if err == nil && len(outcomes) != len(ProbeCases()) {
			t.Fatalf("status %#x: %d outcomes", status, len(outcomes))
		}
		for _, m := range found {
			if !slices.Contains(Misdecodes(), m) {
				t.Fatalf("status %#x: unknown misdecode %q", status, m)
			}
		}
	})
}
