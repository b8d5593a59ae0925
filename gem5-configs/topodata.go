package gem5configs

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/vswarmu/vswarmu-mage/internal/config"
)

// TopologiesFile holds the arrangements' data both languages read:
// run_sim.py (topologies.py) for the systems it builds, Go for the
// addresses in the run scripts it writes and the drive system's memory
// and object name.
const TopologiesFile = "topologies.json"

// TopologySpec is one entry of topologies.json.
type TopologySpec struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Systems     int        `json:"systems"`
	TestIP      string     `json:"test_ip"`
	DriveIP     string     `json:"drive_ip"`
	Drive       *DriveSpec `json:"drive"`
	Link        *LinkSpec  `json:"link"`
}

// DriveSpec is a topology's drive system: its object under gem5's Root,
// clock, cores and memory.
type DriveSpec struct {
	Object string `json:"object"`
	Clock  string `json:"clock"`
	Cores  int    `json:"cores"`
	Memory string `json:"memory"`
}

// LinkSpec is a topology's Ethernet link: its object and defaults.
type LinkSpec struct {
	Object    string `json:"object"`
	Delay     string `json:"delay"`
	Bandwidth string `json:"bandwidth"`
}

// topologySpecs parses the built-in topologies.json once (it is part of
// the binary: a test keeps it valid).
var topologySpecs = sync.OnceValues(func() (map[string]TopologySpec, error) {
	b, err := files.ReadFile(TopologiesFile)
	if err != nil {
		return nil, err
	}
	return ParseTopologies(b)
})

// ParseTopologies reads a topologies.json: its entries by name.
func ParseTopologies(b []byte) (map[string]TopologySpec, error) {
	var f struct {
		Topologies []TopologySpec `json:"topologies"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", TopologiesFile, err)
	}
	out := map[string]TopologySpec{}
	for i, t := range f.Topologies {
		if t.Name == "" || t.Systems < 1 {
			return nil, fmt.Errorf("%s: topologies[%d]: needs a name and systems >= 1", TopologiesFile, i)
		}
		if t.Systems > 1 && (t.Drive == nil || t.Link == nil || t.TestIP == "" || t.DriveIP == "") {
			return nil, fmt.Errorf("%s: topology %q: more than one system needs drive, link, test_ip and drive_ip",
				TopologiesFile, t.Name)
		}
		out[t.Name] = t
	}
	return out, nil
}

// specOf is the built-in topologies.json's entry name (zero when it has
// none: TestTopologiesAgree keeps every registered topology in it).
func specOf(name string) TopologySpec {
	specs, err := topologySpecs()
	if err != nil {
		return TopologySpec{}
	}
	return specs[name]
}

// MemoryMiB is the drive system's memory in MiB (0 when it has none or
// its size does not parse), read as the settings read sizes.
func (d *DriveSpec) MemoryMiB() int64 {
	if d == nil {
		return 0
	}
	size, err := config.ParseSize(d.Memory)
	if err != nil {
		return 0
	}
	return size.MiB()
}
