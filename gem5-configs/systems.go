package gem5configs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
}

// Catalogue is what systems.json declares: its systems, in file order,
// and the detailed core types an evaluation can switch to.
type Catalogue struct {
	Systems      []System
	DetailedCPUs []string
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
	c := Catalogue{DetailedCPUs: f.DetailedCPUs}
	for i, e := range f.Systems {
		if err := e.check(f.DetailedCPUs); err != nil {
			return Catalogue{}, fmt.Errorf("systems[%d] %q: %w", i, e.Name, err)
		}
		if slices.Contains(c.Names(), e.Name) {
			return Catalogue{}, fmt.Errorf("systems[%d]: %q is declared twice", i, e.Name)
		}
		c.Systems = append(
			c.Systems,
			System{Name: e.Name, Description: e.Description, Detailed: e.Detailed, Levels: e.levels()},
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
