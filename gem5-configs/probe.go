package gem5configs

// The misdecode probe on a gem5 binary: internal/misdecode's probe program
// run by probe.py in gem5's syscall-emulation mode, its exit status and
// line decoded, and the answer kept per gem5 binary (by its sha256) and probe
// version, so each gem5 is probed once.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
	"github.com/vswarmu/vswarmu-mage/results"
)

// Prober probes gem5 binaries for the known misdecodes.
type Prober struct {
	Configs string // the materialized gem5-configs (probe.py, compat.py)
	Cache   string // where answers are kept, one file per gem5 sha256
	Standin bool   // the gem5 is the stand-in (it runs the probe natively)
	Files   *Files // hashes the binary (shared, nil-safe)
}

// ProbeCPU is the CPU model the probe runs on: every model shares the
// decoder, and the atomic one is the fastest.
const ProbeCPU = "atomic"

// Probe returns what the probe finds on gem5: the kept answer for this
// binary, else a new one (a run of well under a second on gem5 v24). Only
// a failure to run gem5 at all is an error; a probe that cannot tell says
// why in its Error.
func (p Prober) Probe(ctx context.Context, j job.Job, gem5 string) (*results.Gem5Probe, error) {
	id := p.Files.ID(gem5)
	if id == nil || id.SHA256 == "" {
		return nil, fmt.Errorf("gem5 %s: cannot read it to probe it", gem5)
	}
	if err := os.MkdirAll(p.Cache, 0o755); err != nil {
		return nil, fmt.Errorf("gem5 probe: %w", err)
	}
	kept := filepath.Join(p.Cache, id.SHA256+".json")
	if r, err := readProbe(kept); err == nil && r.Probe == misdecode.ProbeVersion() {
		return r, nil
	}
	r, err := p.run(ctx, j, gem5)
	if err != nil {
		return nil, err
	}
	r.Gem5SHA256 = id.SHA256
	if r.Error != "" {
		return r, nil // not kept: the next run asks again (a library installed, say)
	}
	return r, writeJSONAtomically(kept, r)
}

// statusLine is probe.py's last line.
var statusLine = regexp.MustCompile(`(?m)^vswarmu probe: status (\d+) \((.*)\)$`)

// run runs the probe program on gem5 in a scratch directory.
func (p Prober) run(ctx context.Context, j job.Job, gem5 string) (*results.Gem5Probe, error) {
	dir, err := os.MkdirTemp(p.Cache, "probe-")
	if err != nil {
		return nil, fmt.Errorf("gem5 probe: %w", err)
	}
	defer os.RemoveAll(dir)
	prog := filepath.Join(dir, "probe")
	if err := os.WriteFile(prog, misdecode.ProbeProgram(), 0o755); err != nil {
		return nil, err
	}
	c := j.Command(gem5, "--outdir="+filepath.Join(dir, "m5out"), filepath.Join(p.Configs, "probe.py"), prog, ProbeCPU)
	var out bytes.Buffer // the probe prints a few dozen lines
	c.Stdout = io.MultiWriter(&out, j.Log())
	c.Stderr = c.Stdout
	start := time.Now()
	runErr := j.RunCmd(ctx, c)
	r := &results.Gem5Probe{Probe: misdecode.ProbeVersion(), CPU: ProbeCPU, Standin: p.Standin,
		Seconds: time.Since(start).Seconds(), Misdecodes: []string{}}
	m := statusLine.FindStringSubmatch(out.String())
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case m == nil && runErr != nil:
		r.Error = fmt.Sprintf("gem5 did not run the probe: %v: %s", runErr, lastLine(out.String()))
		return r, nil
	case m == nil:
		r.Error = "gem5 ended without the probe's status: " + lastLine(out.String())
		return r, nil
	}
	r.Status, _ = strconv.Atoi(m[1])
	outcomes, found, err := misdecode.ReadProbe(r.Status, out.String())
	for _, o := range outcomes {
		r.Cases = append(r.Cases, results.ProbeCase{Encoding: o.Encoding, Asm: o.Asm, Right: o.Right, Misdecode: o.Misdecode})
	}
	if err != nil {
		r.Error = err.Error()
	}
	r.Misdecodes = append(r.Misdecodes, found...)
	return r, nil
}

func readProbe(path string) (*results.Gem5Probe, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r results.Gem5Probe
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// writeJSONAtomically writes v as indented JSON to path through a
// temporary file renamed into place, so a reader never sees half of it
// (the probe's kept answers, the patch stamp).
func writeJSONAtomically(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// lastLine is the last line of text that is not blank.
func lastLine(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// DescribeProbe says what the probe found, in a line for the terminal.
func DescribeProbe(r *results.Gem5Probe) string {
	var b strings.Builder
	switch {
	case r.Error != "" && r.Probe == "":
		b.WriteString(r.Error)
	case r.Error != "":
		fmt.Fprintf(&b, "the probe could not tell: %s", r.Error)
	case len(r.Misdecodes) == 0:
		b.WriteString("no known misdecode: every probed encoding ran as on a real CPU")
	default:
		var wrong []string
		for _, c := range r.Cases {
			if !c.Right {
				wrong = append(wrong, c.Encoding+" ("+c.Asm+")")
			}
		}
		descs := make([]string, len(r.Misdecodes))
		for i, m := range r.Misdecodes {
			descs[i] = misdecode.MisdecodeDescription(m)
		}
		fmt.Fprintf(&b, "MISEXECUTES %s: %s ran wrongly", strings.Join(descs, "; "), strings.Join(wrong, ", "))
	}
	if r.Probe != "" { // the probe ran
		fmt.Fprintf(&b, " (probe %s on %s cores, %.1f s, gem5 sha256 %.16s…)", r.Probe, r.CPU, r.Seconds, r.Gem5SHA256)
	}
	if r.Standin {
		b.WriteString(" [stand-in: the program ran natively, no gem5 was probed]")
	}
	return b.String()
}

// probe asks the Runner's Prober about the run's gem5 (nil when there is
// none, or on a failure, which is said and not fatal: the run's record
// then has no probe).
func (s Simulation) probe(ctx context.Context, j job.Job) *results.Gem5Probe {
	if s.Prober == nil {
		return nil
	}
	r, err := s.Prober.Probe(ctx, j, s.Gem5)
	if err != nil {
		j.Warnf("gem5 probe: %v", err)
		return nil
	}
	if len(r.Misdecodes) > 0 {
		j.Warnf("%s %s", s.Gem5, DescribeProbe(r))
	}
	return r
}
