package gem5configs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Go's reading of systems.json agrees with systems.py's (run on the
// stand-in's m5 library, so no gem5 is needed).
func TestParseSystemsAgreesWithPython(t *testing.T) {
	script := `import json
import systems
print(json.dumps({"systems": [[k, v.description, v.detailed, " ".join(v.caches().levels()), v.memory_name] for k, v in systems.SYSTEMS.items()],
                  "detailed": list(systems.DETAILED_CPUS), "dram": list(systems.DRAM)}))`
	out, err := standinPython(t, "-c", script).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var want struct {
		Systems  [][5]string
		Detailed []string
		DRAM     []string
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	got, err := Systems(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Systems) != len(want.Systems) {
		t.Fatalf("Go reads %v, Python %v", got.Names(), want.Systems)
	}
	for i, s := range got.Systems {
		if w := want.Systems[i]; s.Name != w[0] || s.Description != w[1] || s.Detailed != w[2] ||
			strings.Join(s.Levels, " ") != w[3] || s.Memory.String() != w[4] {
			t.Errorf("system %d: Go %+v, Python %v", i, s, w)
		}
	}
	if strings.Join(MemoryKinds(), ",") != strings.Join(append([]string{"simple"}, want.DRAM...), ",") {
		t.Errorf("memory kinds: Go %v, Python simple and %v", MemoryKinds(), want.DRAM)
	}
	if strings.Join(got.DetailedCPUs, ",") != strings.Join(want.Detailed, ",") {
		t.Errorf("DETAILED_CPUS: Go %v, Python %v", got.DetailedCPUs, want.Detailed)
	}
}

func TestParseSystemsSaysWhatIsMissing(t *testing.T) {
	const entry = `{"name": "small", "description": "one core", "clock": "2GHz", "detailed": "%s",
	  "memory": {"kind": "simple", "latency": "30ns", "latency_var": "0ns", "bandwidth": "12.8GiB/s"},
	  "caches": {"l1i": {"size": "8kB", "assoc": 2, "latency": 1, "response_latency": 1},
	             "l1d": {"size": "8kB", "assoc": 2, "latency": 1, "response_latency": 1},
	             "llc": {"size": "64kB", "assoc": 4, "latency": 10, "response_latency": 10}}}`
	file := func(detailed, setup, systems string) string {
		return fmt.Sprintf(`{"detailed_cpus": [%s], "setup": %q, "systems": [%s]}`, detailed, setup, systems)
	}
	ok := strings.Replace(entry, "%s", "o3", 1)
	cases := []struct {
		name, text, want string
	}{
		{"no systems", file(`"timing"`, "small", ""), "no systems"},
		{
			"no detailed cpus",
			file("", "small", strings.Replace(entry, "%s", "timing", 1)),
			`detailed "timing" is not one of detailed_cpus ()`,
		},
		{
			"detailed not listed",
			file(`"timing", "o3"`, "small", strings.Replace(entry, "%s", "minor", 1)),
			`systems[0] "small": detailed "minor" is not one of detailed_cpus (timing, o3)`,
		},
		{
			"no description",
			file(`"o3"`, "small", strings.Replace(ok, `"description": "one core", `, "", 1)),
			`systems[0] "small": give "description"`,
		},
		{"no llc", file(`"o3"`, "small", strings.Replace(ok, `"llc"`, `"l3"`, 1)), `caches has no "llc"`},
		{
			"unknown level",
			file(
				`"o3"`,
				"small",
				strings.Replace(ok, `"l1d": {"size": "8kB"`, `"l1d": {"size": "8kB"}, "l4": {"size": "8kB"`, 1),
			),
			`caches.l4: levels are`,
		},
		{"twice", file(`"o3"`, "small", ok+", "+ok), `systems[1]: "small" is declared twice`},
		{"no memory", file(`"o3"`, "small", memory(ok, "")), `systems[0] "small": give "memory"`},
		{"unknown memory", file(`"o3"`, "small", memory(ok, `{"kind": "DDR9"}`)), `memory.kind "DDR9" is not one of simple, DDR3_1600`},
		{"dram with a latency", file(`"o3"`, "small", memory(ok, `{"kind": "DDR4_2400", "latency": "30ns"}`)), `memory.kind DDR4_2400 is a DRAM model`},
		{"simple without bandwidth", file(`"o3"`, "small", memory(ok, `{"kind": "simple", "latency": "30ns"}`)), `SimpleMemory's bandwidth is a rate`},
		{"simple with a bad latency", file(`"o3"`, "small", memory(ok, `{"kind": "simple", "latency": "30", "bandwidth": "1GiB/s"}`)), `latency and latency_var are times`},
		{"dram", file(`"o3"`, "small", memory(ok, `{"kind": "DDR4_2400"}`)), ""},
		{"setup unknown", file(`"o3"`, "big", ok), `setup "big" is not one of the systems (small)`},
		{"unknown field", strings.Replace(file(`"o3"`, "small", ok), `"clock"`, `"clok"`, 1), `unknown field "clok"`},
		{"not json", "SYSTEMS = {}", "not a systems catalogue"},
		{"good", file(`"timing", "o3"`, "small", ok), ""},
	}
	for _, c := range cases {
		got, err := ParseSystems([]byte(c.text))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && (len(got.Systems) != 1 || got.Systems[0].Name != "small" || got.Systems[0].Detailed != "o3" ||
			strings.Join(got.Systems[0].Levels, " ") != "l1i l1d l2" || got.Systems[0].Memory.Kind == ""):
			t.Errorf("%s: read %+v", c.name, got)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// memory replaces an entry's memory ("" removes it).
func memory(entry, with string) string {
	old := `"memory": {"kind": "simple", "latency": "30ns", "latency_var": "0ns", "bandwidth": "12.8GiB/s"},`
	if with == "" {
		return strings.Replace(entry, old, "", 1)
	}
	return strings.Replace(entry, old, `"memory": `+with+`,`, 1)
}

// The project's own systems.json wins over the built-in one, and its
// errors name it.
func TestSystemsReadsTheProjectsFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "gem5-configs"), 0o755)
	path := filepath.Join(dir, "gem5-configs", SystemsFile)
	os.WriteFile(path, []byte(`{"detailed_cpus": ["o3"], "setup": "x", "systems": []}`), 0o644)
	if _, err := Systems(dir); err == nil || !strings.Contains(err.Error(), path+": no systems") {
		t.Fatalf("broken project systems.json: %v", err)
	}
}

func FuzzParseSystems(f *testing.F) {
	b, _ := files.ReadFile(SystemsFile)
	f.Add(b)
	f.Add(
		[]byte(
			`{"detailed_cpus": ["o3"], "setup": "a", "systems": [{"name": "a", "description": "x", "detailed": "o3"}]}`,
		),
	)
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ParseSystems(text)
		if err != nil {
			return
		}
		for _, s := range c.Systems {
			if s.Name == "" || s.Description == "" || s.Detailed == "" || len(s.Levels) < 3 || s.Memory.check() != nil {
				t.Fatalf("accepted an incomplete system %+v from %q", s, text)
			}
		}
	})
}
