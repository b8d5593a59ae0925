package gem5configs

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// System is one entry of systems.json: a simulated system SYSTEM= can name.
type System struct {
	Name        string // SYSTEM= value
	Description string // one line for README and `mage config`
	Detailed    string // detailed core type it is measured on by default
	// Levels are its cache levels as the statistics name them: l1i, l1d,
	// l2 and, with private L2s under a shared one, l3.
	Levels []string
	Memory Memory // its main memory's model
}

// Memory is a system's main memory model: gem5's fixed-latency
// SimpleMemory ("simple", with its latency, variance and bandwidth) or one
// of the standard library's DRAM channels (MemoryKinds).
type Memory struct {
	Kind       string `json:"kind"`
	Latency    string `json:"latency,omitempty"`
	LatencyVar string `json:"latency_var,omitempty"`
	Bandwidth  string `json:"bandwidth,omitempty"`
}

// MemoryKinds are the memory models a system can name: SimpleMemory, and
// the gem5 v24 standard library's memory systems by their names less the
// SingleChannel/DualChannel prefix gem5 gives them.
func MemoryKinds() []string {
	return []string{"simple", "DDR3_1600", "DDR3_2133", "DDR4_2400", "LPDDR3_1600", "HBM",
		"DualChannelDDR3_1600", "DualChannelDDR3_2133", "DualChannelDDR4_2400", "DualChannelLPDDR3_1600"}
}

// OverriddenMemory is the memory a sweep point's memory_model names:
// SimpleMemory with gem5's defaults for "simple", else that DRAM channel.
func OverriddenMemory(kind string) Memory {
	if kind == "simple" {
		return Memory{Kind: kind, Latency: "30ns", LatencyVar: "0ns", Bandwidth: "12.8GiB/s"}
	}
	return Memory{Kind: kind}
}

// String names the memory for a run's provenance.
func (m Memory) String() string {
	if m.Kind == "simple" {
		return fmt.Sprintf("SimpleMemory %s (±%s), %s", m.Latency, cmp.Or(m.LatencyVar, "0ns"), m.Bandwidth)
	}
	if strings.HasPrefix(m.Kind, "DualChannel") {
		return m.Kind
	}
	return "SingleChannel" + m.Kind
}

// check says what a memory entry lacks.
func (m Memory) check() error {
	if !slices.Contains(MemoryKinds(), m.Kind) {
		return fmt.Errorf("memory.kind %q is not one of %s", m.Kind, strings.Join(MemoryKinds(), ", "))
	}
	if m.Kind != "simple" {
		if m.Latency != "" || m.LatencyVar != "" || m.Bandwidth != "" {
			return fmt.Errorf("memory.kind %s is a DRAM model: latency, latency_var and bandwidth are SimpleMemory's (kind simple)", m.Kind)
		}
		return nil
	}
	if !memLatency.MatchString(m.Latency) || m.LatencyVar != "" && !memLatency.MatchString(m.LatencyVar) {
		return fmt.Errorf("memory: SimpleMemory's latency and latency_var are times such as \"30ns\" (got %q, %q)", m.Latency, m.LatencyVar)
	}
	if !memBandwidth.MatchString(m.Bandwidth) {
		return fmt.Errorf("memory: SimpleMemory's bandwidth is a rate such as \"12.8GiB/s\" (got %q)", m.Bandwidth)
	}
	return nil
}

var (
	memLatency   = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(ps|ns|us|ms)$`)
	memBandwidth = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([kMGT]i?B/s)$`)
)

// Catalogue is what systems.json declares: its systems, in file order,
// and the detailed core types an evaluation can switch to.
type Catalogue struct {
	Systems      []System
	DetailedCPUs []string
	Setup        string // the system every boot and setup runs on
}

// Memories names each system's memory, by system name (for run records).
func (c Catalogue) Memories() map[string]string {
	m := make(map[string]string, len(c.Systems))
	for _, s := range c.Systems {
		m[s.Name] = s.Memory.String()
	}
	return m
}

// Names returns the systems' names.
func (c Catalogue) Names() []string {
	names := make([]string, len(c.Systems))
	for i, s := range c.Systems {
		names[i] = s.Name
	}
	return names
}

// SystemsFile is the catalogue both run_sim.py (systems.py) and Go read.
const SystemsFile = "systems.json"

// Systems reads the systems.json run_sim.py will use: the project's own
// when it has gem5-configs/systems.json, else the built-in one.
func Systems(projectDir string) (Catalogue, error) {
	path := filepath.Join(projectDir, "gem5-configs", SystemsFile)
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		path = SystemsFile + " (built in)"
		b, err = files.ReadFile(SystemsFile)
	}
	if err != nil {
		return Catalogue{}, fmt.Errorf("reading the simulated systems: %w", err)
	}
	c, err := ParseSystems(b)
	if err != nil {
		return Catalogue{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// catalogueFile is systems.json's layout; the notes are for its readers.
type catalogueFile struct {
	DetailedCPUs     []string      `json:"detailed_cpus"`
	DetailedCPUsNote string        `json:"detailed_cpus_note"`
	Setup            string        `json:"setup"`
	SetupNote        string        `json:"setup_note"`
	Systems          []systemEntry `json:"systems"`
}

// systemEntry is one system of systems.json; the caches' and O3 cores'
// parameters are gem5's business (caches.py's Level), read by Python.
type systemEntry struct {
	Name        string                     `json:"name"`
	Note        string                     `json:"note"`
	Description string                     `json:"description"`
	Clock       string                     `json:"clock"`
	Detailed    string                     `json:"detailed"`
	Memory      *Memory                    `json:"memory"`
	Caches      map[string]json.RawMessage `json:"caches"`
	O3          map[string]json.RawMessage `json:"o3"`
}

// ParseSystems reads a systems.json: unknown fields, a system without a
// name, description, clock, detailed core type or L1/LLC, and a setup
// system not in the list are errors naming the system and field.
func ParseSystems(data []byte) (Catalogue, error) {
	var f catalogueFile
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&f); err != nil {
		return Catalogue{}, fmt.Errorf("not a systems catalogue: %w", err)
	}
	c := Catalogue{DetailedCPUs: f.DetailedCPUs, Setup: f.Setup}
	for i, e := range f.Systems {
		if err := e.check(f.DetailedCPUs); err != nil {
			return Catalogue{}, fmt.Errorf("systems[%d] %q: %w", i, e.Name, err)
		}
		if slices.Contains(c.Names(), e.Name) {
			return Catalogue{}, fmt.Errorf("systems[%d]: %q is declared twice", i, e.Name)
		}
		c.Systems = append(
			c.Systems,
			System{Name: e.Name, Description: e.Description, Detailed: e.Detailed, Levels: e.levels(), Memory: *e.Memory},
		)
	}
	return c, c.check(f.Setup)
}

// levels are the entry's cache levels as the statistics name them.
func (e systemEntry) levels() []string {
	if _, private := e.Caches["l2"]; private {
		return []string{"l1i", "l1d", "l2", "l3"}
	}
	return []string{"l1i", "l1d", "l2"}
}

// check says what an entry lacks.
func (e systemEntry) check(detailed []string) error {
	for _, f := range []struct{ name, value string }{{"name", e.Name}, {"description", e.Description}, {"clock", e.Clock}, {"detailed", e.Detailed}} {
		if f.value == "" {
			return fmt.Errorf("give %q", f.name)
		}
	}
	if e.Memory == nil {
		return fmt.Errorf(`give "memory" (kind simple with latency, latency_var and bandwidth, or a DRAM model: %s)`,
			strings.Join(MemoryKinds()[1:], ", "))
	}
	if err := e.Memory.check(); err != nil {
		return err
	}
	if !slices.Contains(detailed, e.Detailed) {
		return fmt.Errorf("detailed %q is not one of detailed_cpus (%s)", e.Detailed, strings.Join(detailed, ", "))
	}
	for _, l := range []string{"l1i", "l1d", "llc"} {
		if _, ok := e.Caches[l]; !ok {
			return fmt.Errorf("caches has no %q (every system has l1i, l1d and llc; l2 adds private L2s)", l)
		}
	}
	for l := range e.Caches {
		if !slices.Contains([]string{"l1i", "l1d", "l2", "llc"}, l) {
			return fmt.Errorf("caches.%s: levels are l1i, l1d, l2 (private) and llc (shared)", l)
		}
	}
	return nil
}

// check says what a catalogue lacks.
func (c Catalogue) check(setup string) error {
	if len(c.Systems) == 0 {
		return fmt.Errorf("no systems: \"systems\": [{\"name\": ..., ...}] declares them")
	}
	if len(c.DetailedCPUs) == 0 {
		return fmt.Errorf("no \"detailed_cpus\": [\"timing\", ...]")
	}
	if !slices.Contains(c.Names(), setup) {
		return fmt.Errorf("setup %q is not one of the systems (%s)", setup, strings.Join(c.Names(), ", "))
	}
	return nil
}
