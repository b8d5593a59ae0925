package gem5configs

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The Go reading of systems.py agrees with Python's (run on the stand-in's
// m5 library, so no gem5 is needed).
func TestParseSystemsAgreesWithPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: apt-get install python3")
	}
	script := `import json, sys
sys.path[:0] = [".", "standin/lib"]
import systems
print(json.dumps({"systems": [[k, v.description, v.detailed, " ".join(v.caches().levels())] for k, v in systems.SYSTEMS.items()],
                  "detailed": list(systems.DETAILED_CPUS)}))`
	out, err := exec.Command(py, "-c", script).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var want struct {
		Systems  [][4]string
		Detailed []string
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
		if w := want.Systems[i]; s.Name != w[0] || s.Description != w[1] || s.Detailed != w[2] || strings.Join(s.Levels, " ") != w[3] {
			t.Errorf("system %d: Go %+v, Python %v", i, s, w)
		}
	}
	if strings.Join(got.DetailedCPUs, ",") != strings.Join(want.Detailed, ",") {
		t.Errorf("DETAILED_CPUS: Go %v, Python %v", got.DetailedCPUs, want.Detailed)
	}
}

func TestParseSystemsSaysWhatIsMissing(t *testing.T) {
	const entry = `SYSTEMS = {
    "small": System(
        description="one core",
        detailed="%s",
        caches=lambda: ClassicHierarchy(l1i=Level("8kB", 2), l1d=Level("8kB", 2), llc=Level("64kB", 4)),
    ),
}
`
	cases := []struct {
		text, want string
	}{
		{"DETAILED_CPUS = (\"timing\",)\n", "no systems found"},
		{strings.Replace(entry, "%s", "timing", 1), "no DETAILED_CPUS"},
		{"DETAILED_CPUS = (\"timing\", \"o3\")\n" + strings.Replace(entry, "%s", "minor", 1), `system "small": detailed="minor" is not one of DETAILED_CPUS (timing, o3)`},
		{"DETAILED_CPUS = (\"o3\",)\n" + strings.Replace(entry, "        detailed=\"%s\",\n", "", 1), `system "small": give description="..." and detailed="..."`},
		{"DETAILED_CPUS = (\"timing\", \"o3\")\n" + strings.Replace(entry, "%s", "o3", 1), ""},
	}
	for _, c := range cases {
		got, err := ParseSystems(c.text)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.text, err)
		case c.want == "" && (len(got.Systems) != 1 || fmt.Sprint(got.Systems[0]) != fmt.Sprint(System{"small", "one core", "o3", []string{"l1i", "l1d", "l2"}})):
			t.Errorf("%q: read %+v", c.text, got)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
}

// The project's own systems.py wins over the built-in one, and its errors
// name it.
func TestSystemsReadsTheProjectsFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "gem5-configs"), 0o755)
	path := filepath.Join(dir, "gem5-configs", "systems.py")
	os.WriteFile(path, []byte("SYSTEMS = {\n}\n"), 0o644)
	if _, err := Systems(dir); err == nil || !strings.Contains(err.Error(), path+": no systems found") {
		t.Fatalf("broken project systems.py: %v", err)
	}
}

func FuzzParseSystems(f *testing.F) {
	b, _ := files.ReadFile("systems.py")
	f.Add(string(b))
	f.Add("SYSTEMS = {\n    \"a\": System(\n        description=\"x\",\n        detailed=\"o3\",\n}\nDETAILED_CPUS = (\"o3\")\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseSystems(text)
		if err != nil {
			return
		}
		for _, s := range c.Systems {
			if s.Name == "" || s.Description == "" || s.Detailed == "" {
				t.Fatalf("accepted an incomplete system %+v from %q", s, text)
			}
		}
	})
}
