package sweeps

import (
	"strings"
	"testing"
)

var knowledge = Knowledge{
	Systems: map[string]System{
		"simple":  {Levels: []string{"l1i", "l1d", "l2"}},
		"skylake": {Levels: []string{"l1i", "l1d", "l2", "l3"}},
	},
	DetailedCPUs: []string{"timing", "o3"}, Functions: []string{"fibonacci-go", "aes-go", "auth-go"},
	MemoryModels:      []string{"simple", "DDR4_2400"},
	ClientInvocations: 100, System: "simple", AtomicWarming: 10, Invocations: 10,
}

func TestParseExpandsTheMatrix(t *testing.T) {
	s, err := Parse("sweeps/caches.yaml", []byte(`
functions: [fibonacci-go, aes-go]
matrix:
  system: [simple, skylake]
  detailed_cpu: [timing, o3]
  l2_size: [256kB, 1MB]
exclude:
  - {system: simple, detailed_cpu: o3, l2_size: 1MB}
baseline: {system: skylake, detailed_cpu: o3, l2_size: 1MB}
`), knowledge)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 7 || s.Name != "caches" || strings.Join(s.Functions, " ") != "fibonacci-go aes-go" {
		t.Fatalf("%d points, name %q, functions %v", len(s.Points), s.Name, s.Functions)
	}
	if s.Points[0].Name() != "system=simple,detailed_cpu=timing,l2_size=256kB" {
		t.Errorf("first point %s", s.Points[0].Name())
	}
	if s.Baseline.Name() != "system=skylake,detailed_cpu=o3,l2_size=1MB" {
		t.Errorf("baseline %s", s.Baseline.Name())
	}
	if v, _ := s.Points[6].Get("l2_size"); v != "1MB" || ArgOf("l2_size") != "--l2-size" || ArgOf("nope") != "" {
		t.Errorf("point 6's l2_size %q, its option %q", v, ArgOf("l2_size"))
	}
}

func TestParseErrorsNameLineAndField(t *testing.T) {
	cases := []struct{ text, want string }{
		{
			"matrix:\n  system: [simple, haswell]\n",
			`x.yaml:2: matrix.system: "haswell": no system "haswell" in gem5-configs/systems.json (simple, skylake)`,
		},
		{"matrix:\n  l2_size: [96kB]\n", `x.yaml:2: matrix.l2_size: "96kB": a cache size is a power of two`},
		{"matrix:\n  l2_assoc: [3]\n", `x.yaml:2: matrix.l2_assoc: "3": associativity is a power of two`},
		{"matrix:\n  clock: [fast]\n", `matrix.clock: "fast": a clock is written like 3GHz`},
		{"matrix:\n  memory_model: [simple, DDR9]\n", `x.yaml:2: matrix.memory_model: "DDR9": no memory model "DDR9" (simple, DDR4_2400)`},
		{"matrix:\n  memory: [2GB, 3GB]\n", "x.yaml:2: matrix.memory: cannot be swept from one checkpoint"},
		{
			"matrix:\n  l4_size: [1MB]\n",
			"x.yaml:2: matrix.l4_size: not a parameter a sweep varies (system, detailed_cpu",
		},
		{"matrix:\n  l3_size: [4MB, 8MB]\n", "point l3_size=4MB: system simple has no l3 (its levels: l1i, l1d, l2)"},
		{
			"matrix:\n  l1d_size: [64B]\n  l1d_assoc: [2]\n",
			"l1d of 64B with 2 ways has no power-of-two number of 64-byte sets",
		},
		{
			"matrix:\n  num_invocations: [10, 95]\n",
			"point num_invocations=95: 10 warming and 95 measured invocations: the checkpoint's client runs 100",
		},
		{
			"matrix:\n  system: [simple]\nexclude:\n  - {system: skylake}\n",
			`x.yaml:4: exclude[0].system: "skylake" is not one of the matrix's values (simple)`,
		},
		{"matrix:\n  system: [simple]\nexclude:\n  - {system: simple}\n", "exclude removes every point"},
		{
			"matrix:\n  system: [simple, skylake]\nbaseline: {system: skylake, clock: 3GHz}\n",
			"baseline.clock: not a parameter of the matrix",
		},
		{
			"matrix:\n  system: [simple, skylake]\n  clock: [2GHz]\nbaseline: {system: skylake}\n",
			"x.yaml:4: baseline: names no point of the sweep",
		},
		{
			"functions: [fibonacci-go, rust-fib]\nmatrix:\n  system: [simple]\n",
			"x.yaml:1: functions: rust-fib is not in the function list",
		},
		{"matrix:\n  system: [simple, simple]\n", "x.yaml:2: matrix.system: simple is listed twice"},
		{
			"matrixx:\n  system: [simple]\n",
			"x.yaml:1: matrixx: not a field of a sweep (functions, matrix, exclude, baseline)",
		},
		{"functions: [aes-go]\n", "matrix: missing"},
		{"- a\n- b\n", "a sweep file is a mapping"},
		{"matrix: [\n", "x.yaml: yaml:"},
	}
	for _, c := range cases {
		_, err := Parse("x.yaml", []byte(c.text), knowledge)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n  error %v\n  want  %q", c.text, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(
		"matrix:\n  system: [simple, skylake]\n  l2_size: [256kB, 1MB]\nexclude:\n  - {system: simple}\nbaseline: {system: skylake, l2_size: 1MB}\n",
	)
	f.Add("functions: [aes-go]\nmatrix: {l1d_size: [32kB], l1d_assoc: [8]}\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := Parse("f.yaml", []byte(text), knowledge)
		if err != nil {
			return
		}
		if len(s.Points) == 0 || len(s.Baseline) != len(s.Axes) {
			t.Fatalf("accepted a sweep without points or with a partial baseline: %q", text)
		}
		for _, p := range s.Points {
			if pointProblem(p, knowledge) != "" {
				t.Fatalf("accepted a point with a problem: %s", p.Name())
			}
		}
	})
}
