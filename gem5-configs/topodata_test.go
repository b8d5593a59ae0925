package gem5configs

import (
	"slices"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/results"
)

// TestTopologiesAgree: every topology Go registers has its entry in
// topologies.json and the other way round, and what Go takes from the
// file is what the statistics and the cluster jobs need.
func TestTopologiesAgree(t *testing.T) {
	specs, err := topologySpecs()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range specs {
		names = append(names, n)
	}
	slices.Sort(names)
	if !slices.Equal(names, TopologyNames()) {
		t.Fatalf("topologies.json has %v, Go registers %v", names, TopologyNames())
	}
	if DriveCPU() != results.DriveCPU {
		t.Errorf("the drive system's core is %q, the statistics look for %q", DriveCPU(), results.DriveCPU)
	}
	if DriveConsoleFile() != "drive.pc.com_1.device" || (twoMachine{}).ExtraMemoryMiB() != 256 {
		t.Errorf("drive console %q, memory %d MiB", DriveConsoleFile(), (twoMachine{}).ExtraMemoryMiB())
	}
}

// TestParseTopologiesErrors: a broken topologies.json names the file
// and the entry.
func TestParseTopologiesErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"not json", `{`, "topologies.json"},
		{"no name", `{"topologies": [{"systems": 1}]}`, "topologies[0]"},
		{"no systems", `{"topologies": [{"name": "x"}]}`, "topologies[0]"},
		{"two without a drive", `{"topologies": [{"name": "two", "systems": 2}]}`, `"two"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTopologies([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %s", err, c.want)
			}
		})
	}
}

// TestDriveMemory reads the drive system's memory in MiB.
func TestDriveMemory(t *testing.T) {
	cases := map[string]int64{"256MB": 256, "1GB": 1024, "512kB": 0, "": 0}
	for in, want := range cases {
		if got := (&DriveSpec{Memory: in}).MemoryMiB(); got != want {
			t.Errorf("%q: %d MiB, want %d", in, got, want)
		}
	}
}

// FuzzParseTopologies: any input parses or errors, never panics, and
// what parses has named entries of at least one system.
func FuzzParseTopologies(f *testing.F) {
	b, _ := files.ReadFile(TopologiesFile)
	f.Add(b)
	f.Add([]byte(`{"topologies": [{"name": "x", "systems": 2, "drive": {}, "link": {}}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		specs, err := ParseTopologies(in)
		if err != nil {
			return
		}
		for n, s := range specs {
			if n == "" || s.Systems < 1 {
				t.Fatalf("parsed an entry %q of %d systems", n, s.Systems)
			}
		}
	})
}
