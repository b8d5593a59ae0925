package gem5configs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
	"github.com/vswarmu/vswarmu-mage/results"
)

// probeOn runs the Prober on gem5 with a fresh cache; log holds what it ran.
func probeOn(t *testing.T, gem5 string, standin bool, cache string) (*results.Gem5Probe, string) {
	t.Helper()
	var log bytes.Buffer
	p := Prober{Configs: ".", Cache: cache, Standin: standin}
	r, err := p.Probe(context.Background(), job.Local{W: &log}, gem5)
	if err != nil {
		t.Fatalf("probe %s: %v\n%s", gem5, err, log.String())
	}
	return r, log.String()
}

// TestProbeOnTheStandin: the stand-in runs the probe natively (its double
// of SE mode, said as such): no misdecode, marked stand-in; the answer is
// kept by the binary's sha256 and a second probe runs nothing.
func TestProbeOnTheStandin(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("python3 not installed (apt-get install python3)")
	}
	cache := t.TempDir()
	r, log := probeOn(t, filepath.Join("standin", "gem5.opt"), true, cache)
	if r.Error != "" || len(r.Misdecodes) != 0 || !r.Standin || r.Status != 0x80 || r.Probe != misdecode.ProbeVersion() {
		t.Fatalf("probe on the stand-in: %+v\n%s", r, log)
	}
	if !strings.Contains(log, "running") || !strings.Contains(log, "natively (not simulated)") {
		t.Errorf("the stand-in does not say it ran the probe natively:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(cache, r.Gem5SHA256+".json")); err != nil {
		t.Errorf("the answer is not kept by sha256: %v", err)
	}
	again, log := probeOn(t, filepath.Join("standin", "gem5.opt"), true, cache)
	if strings.Contains(log, "gem5.opt") || again.Status != r.Status {
		t.Errorf("a second probe of the same binary ran again:\n%s", log)
	}
	if d := DescribeProbe(r); !strings.Contains(d, "no known misdecode") || !strings.Contains(d, "stand-in") {
		t.Errorf("DescribeProbe: %q", d)
	}
}

// TestProbeFindsTheMisdecodeOnTheRealGem5: on gem5 v24.0.0.1 as published
// (VSWARMU_GEM5) the probe finds both known misdecodes (0x90 with REX.B run
// as a NOP, xchg of a register with itself zeroing it) and every control
// right; on a gem5 built with the project's patches
// (VSWARMU_GEM5_PATCHED) it finds nothing.
func TestProbeFindsTheMisdecodeOnTheRealGem5(t *testing.T) {
	cases := []struct {
		env  string
		want []string
	}{
		{"VSWARMU_GEM5", misdecode.Misdecodes()},
		{"VSWARMU_GEM5_PATCHED", []string{}},
	}
	ran := 0
	for _, c := range cases {
		gem5 := os.Getenv(c.env)
		if gem5 == "" {
			continue
		}
		ran++
		t.Run(c.env, func(t *testing.T) {
			r, log := probeOn(t, gem5, false, t.TempDir())
			if r.Error != "" || !slices.Equal(r.Misdecodes, c.want) || r.Standin {
				t.Fatalf("probe: %+v, want misdecodes %v\n%s", r, c.want, log)
			}
			for _, pc := range r.Cases {
				if pc.Right == (pc.Misdecode != "" && len(c.want) > 0) {
					t.Errorf("case %s (%s): right=%v", pc.Encoding, pc.Asm, pc.Right)
				}
			}
		})
	}
	if ran == 0 {
		t.Skip("set VSWARMU_GEM5=<gem5.opt> (X86, as published) and/or VSWARMU_GEM5_PATCHED=<gem5.opt built by gem5:build with the patches>")
	}
}

// TestConsoleFilesAreWhatReportsRead: report:check reads the consoles the
// boards write.
func TestConsoleFilesAreWhatReportsRead(t *testing.T) {
	if results.ConsoleFiles != [...]string{ConsoleFile, ArmConsoleFile} {
		t.Fatalf("results reads %v, the boards write %s and %s", results.ConsoleFiles, ConsoleFile, ArmConsoleFile)
	}
}
