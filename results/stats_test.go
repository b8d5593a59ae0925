package results

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// expected is the shape of testdata/gem5-stats/*/expected.json: values
// extracted with awk, independently of this parser.
type expected struct {
	Dumps int `json:"dumps"`
	Dump  []struct {
		Index     int               `json:"index"`
		BeginLine int               `json:"begin_line"`
		EndLine   int               `json:"end_line"`
		CPUs      []json.RawMessage `json:"cpus"`
		Globals   map[string]string `json:"-"`
	} `json:"dump"`
}

type expectedCPU struct {
	Name            string            `json:"name"`
	NumCycles       string            `json:"numCycles"`
	Instructions    string            `json:"instructions"`
	InstructionsKey string            `json:"instructions_key"`
	Present         map[string]string `json:"instruction_like_stats_present"`
	IPC             string            `json:"ipc"`
	CPI             string            `json:"cpi"`
}

func TestRealGem5Outputs(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/gem5-stats/*")
	n := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want expected
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			var generic struct {
				Dump []map[string]any `json:"dump"`
			}
			json.Unmarshal(raw, &generic)

			run, err := LoadRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(run.Stats.Problems) > 0 {
				t.Errorf("problems reading a real file: %v", run.Stats.Problems)
			}
			if len(run.Stats.Dumps) != want.Dumps {
				t.Fatalf("%d dumps, want %d", len(run.Stats.Dumps), want.Dumps)
			}
			for i, wd := range want.Dump {
				d := run.Stats.Dumps[i]
				m := run.Dumps[i]
				if d.Index != wd.Index || d.BeginLine != wd.BeginLine || d.EndLine != wd.EndLine {
					t.Errorf(
						"dump %d: index/lines %d %d-%d, want %d %d-%d",
						i,
						d.Index,
						d.BeginLine,
						d.EndLine,
						wd.Index,
						wd.BeginLine,
						wd.EndLine,
					)
				}
				globals := map[string]Field{
					"simSeconds":   m.SimSeconds,
					"sim_seconds":  m.SimSeconds,
					"simInsts":     m.SimInsts,
					"sim_insts":    m.SimInsts,
					"simTicks":     m.SimTicks,
					"sim_ticks":    m.SimTicks,
					"hostSeconds":  m.HostSeconds,
					"host_seconds": m.HostSeconds,
				}
				for k, f := range globals {
					w, ok := generic.Dump[i][k].(string)
					if !ok {
						continue
					}
					if string(f.Value) != w || f.Key != k {
						t.Errorf("dump %d: %s = %q (key %s), want %q", i, k, f.Value, f.Key, w)
					}
				}
				if len(m.CPUs) != len(wd.CPUs) {
					t.Fatalf("dump %d: %d CPU-like objects, want %d: %+v", i, len(m.CPUs), len(wd.CPUs), m.CPUs)
				}
				for j, rc := range wd.CPUs {
					var wc expectedCPU
					json.Unmarshal(rc, &wc)
					c := m.CPUs[j]
					if c.Name != wc.Name || string(c.Cycles.Value) != wc.NumCycles ||
						string(c.Instructions.Value) != wc.Instructions ||
						c.InstructionKey != wc.InstructionsKey {
						t.Errorf(
							"dump %d cpu %d: %s cycles %s insts %s (%s); want %s %s %s (%s)",
							i,
							j,
							c.Name,
							c.Cycles.Value,
							c.Instructions.Value,
							c.InstructionKey,
							wc.Name,
							wc.NumCycles,
							wc.Instructions,
							wc.InstructionsKey,
						)
					}
					if len(c.Present) != len(wc.Present) {
						t.Errorf("dump %d cpu %s: present %v, want %v", i, c.Name, c.Present, wc.Present)
					}
					for k, v := range wc.Present {
						if string(c.Present[k]) != v {
							t.Errorf("dump %d cpu %s: %s = %q, want %q", i, c.Name, k, c.Present[k], v)
						}
					}
					if string(c.IPC.Value) != wc.IPC || string(c.CPI.Value) != wc.CPI {
						t.Errorf(
							"dump %d cpu %s: ipc/cpi %q/%q, want %q/%q",
							i,
							c.Name,
							c.IPC.Value,
							c.CPI.Value,
							wc.IPC,
							wc.CPI,
						)
					}
				}
			}
			if _, _, ok := run.Measured(); !ok {
				t.Errorf("no measured CPU: %s", run.Why)
			}
		})
	}
	if n < 6 {
		t.Fatalf("only %d test cases found", n)
	}
}

func TestFormatQuirks(t *testing.T) {
	in := `
---------- Begin Simulation Statistics ----------
simInsts                                 18446744073709551557                       # Number of instructions simulated (Count)
board.processor.cores0.core.numCycles        100                       # Number of cpu cycles simulated (Cycle)
board.processor.cores0.core.commitStats0.numInsts        40                       # Number of instructions committed (Count)
board.processor.cores0.core.numInsts         55                       # executed
testsys.cpu.lat::1.67772e+07-1.84549e+07            3     75.00%     75.00% # latency (Tick)
testsys.cpu.lat::total                              4                       # latency (Tick)
system.mem.bytes_read::cpu.inst                  20864                      
system.cpu.old                         no_value                       # before 2012
system.cpu.rate                              inf                       # ((Count/Second))
system.cpu.bad                             nan
---------- End Simulation Statistics   ----------

---------- Begin Simulation Statistics ----------
board.processor.cores0.core.numCycles        7                       # Number of cpu cycles simulated (Cycle)
board.processor.cores0.core.commitStats0.numInsts        3                       # (Count)
---------- End Simulation Statistics   ----------
`
	st, err := ParseStats(strings.NewReader(in), "quirks.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Problems) != 0 || len(st.Dumps) != 2 {
		t.Fatalf("problems %v, dumps %d", st.Problems, len(st.Dumps))
	}
	d := st.Dumps[0]
	big, _ := d.Stats[0].Value.Int()
	if big.String() != "18446744073709551557" {
		t.Errorf("big integer %s", big)
	}
	lat, _ := d.Get("testsys.cpu.lat::1.67772e+07-1.84549e+07")
	if lat.Base() != "testsys.cpu.lat" || lat.Sub() != "1.67772e+07-1.84549e+07" || lat.Value != "3" ||
		strings.Join(lat.Extra, " ") != "75.00% 75.00%" || lat.Unit != "Tick" {
		t.Errorf("bucket: %+v", lat)
	}
	rd, _ := d.Get("system.mem.bytes_read::cpu.inst")
	if rd.Sub() != "cpu.inst" || rd.Desc != "" {
		t.Errorf("dotted sub-name: %+v", rd)
	}
	for name, check := range map[string]func(float64) bool{
		"system.cpu.old":  math.IsNaN,
		"system.cpu.rate": func(f float64) bool { return math.IsInf(f, 1) },
		"system.cpu.bad":  math.IsNaN,
	} {
		s, _ := d.Get(name)
		if f, ok := s.Value.Float(); !ok || !check(f) {
			t.Errorf("%s = %q → %v %v", name, s.Value, f, ok)
		}
	}
	rate, _ := d.Get("system.cpu.rate")
	if rate.Unit != "(Count/Second)" {
		t.Errorf("unit %q", rate.Unit)
	}
	m := analyze(d, nil)
	if len(m.CPUs) != 1 || m.CPUs[0].Name != "board.processor.cores0.core" ||
		m.CPUs[0].InstructionKey != "commitStats0.numInsts" ||
		m.CPUs[0].Instructions.Value != "40" {
		t.Fatalf("CPUs %+v", m.CPUs)
	}
	if _, ok := st.Dumps[1].Get("system.cpu.old"); ok {
		t.Error("a key from the first dump leaked into the second")
	}
}

func TestMalformedLinesAreReported(t *testing.T) {
	in := "sim_seconds 1\n---------- Begin Simulation Statistics ----------\nsystem.cpu.x 12\njust_a_name\nsystem.cpu.y twelve # words\n# orphan description\n"
	st, err := ParseStats(strings.NewReader(in), "bad.txt")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range st.Problems {
		got = append(got, p.Error())
	}
	want := []string{
		`bad.txt:1: statistic outside a dump: "sim_seconds 1"`,
		`bad.txt:4: a statistic without a value: "just_a_name"`,
		`bad.txt:5: value is not a number: "system.cpu.y twelve # words"`,
		`bad.txt:6: a description without a statistic: "# orphan description"`,
		`bad.txt:6: the last dump has no end marker (gem5 stopped while writing?): ""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if v, _ := st.Dumps[0].Value("system.cpu.x"); v != "12" {
		t.Fatal("good lines around bad ones are kept")
	}
}

func FuzzParseStats(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/gem5-stats/*/stats.txt")
	for _, s := range seeds {
		b, _ := os.ReadFile(s)
		if len(b) > 4096 {
			b = b[:4096]
		}
		f.Add(string(b))
	}
	f.Add("---------- Begin Simulation Statistics ----------\nx::1e+07-2e+07 1 2% 3% # d ((a))\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStats(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		lines := strings.Count(s, "\n") + 1
		for _, p := range st.Problems {
			if p.Line < 0 || p.Line > lines {
				t.Fatalf("problem at line %d of %d", p.Line, lines)
			}
		}
		for _, d := range st.Dumps {
			analyze(d, nil)
		}
	})
}
