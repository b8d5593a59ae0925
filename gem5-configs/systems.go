package gem5configs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// System is one entry of systems.py's SYSTEMS: a simulated system SYSTEM=
// can name.
type System struct {
	Name        string // SYSTEM= value
	Description string // one line for README and `mage config`
	Detailed    string // detailed core type it is measured on by default
	// Levels are its cache levels as the statistics name them: l1i, l1d,
	// l2 and, with private L2s under a shared one, l3.
	Levels []string
}

// Catalogue is what systems.py declares: its systems, in file order, and the
// detailed core types an evaluation can switch to.
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

// Systems reads the systems.py run_sim.py will use: the project's own when
// it has gem5-configs/systems.py, else the built-in one.
func Systems(projectDir string) (Catalogue, error) {
	path := filepath.Join(projectDir, "gem5-configs", "systems.py")
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		path = "systems.py (built in)"
		b, err = files.ReadFile("systems.py")
	}
	if err != nil {
		return Catalogue{}, fmt.Errorf("reading the simulated systems: %w", err)
	}
	c, err := ParseSystems(string(b))
	if err != nil {
		return Catalogue{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

var (
	systemEntryRE = regexp.MustCompile(`^    "([A-Za-z0-9_.-]+)": System\(`)
	systemFieldRE = regexp.MustCompile(`^\s+(description|detailed)="([^"]*)",?$`)
	detailedRE    = regexp.MustCompile(`^DETAILED_CPUS = \(([^)]*)\)`)
	privateL2RE   = regexp.MustCompile(`^\s+l2=Level\(`)
	quotedRE      = regexp.MustCompile(`"([^"]*)"`)
)

// ParseSystems reads the SYSTEMS dictionary and DETAILED_CPUS tuple of a
// systems.py written in that file's layout (one entry per `"name":
// System(` line at four spaces, description= and detailed= on lines of
// their own). It does not run Python; a test checks it against Python's
// reading of the file.
func ParseSystems(text string) (Catalogue, error) {
	var c Catalogue
	inside := false
	for _, line := range strings.Split(text, "\n") {
		switch m := systemEntryRE.FindStringSubmatch(line); {
		case strings.HasPrefix(line, "SYSTEMS = {"):
			inside = true
		case inside && line == "}":
			inside = false
		case inside && m != nil:
			c.Systems = append(c.Systems, System{Name: m[1], Levels: []string{"l1i", "l1d", "l2"}})
		case inside && len(c.Systems) > 0:
			setSystemField(&c.Systems[len(c.Systems)-1], line)
		default:
			if d := detailedRE.FindStringSubmatch(line); d != nil {
				for _, q := range quotedRE.FindAllStringSubmatch(d[1], -1) {
					c.DetailedCPUs = append(c.DetailedCPUs, q[1])
				}
			}
		}
	}
	return c, c.check()
}

// setSystemField records a description= or detailed= line of the current
// entry (the first of each wins: nested calls have neither), and an l2=
// level, which makes the shared cache an l3.
func setSystemField(s *System, line string) {
	if privateL2RE.MatchString(line) && len(s.Levels) == 3 {
		s.Levels = append(s.Levels, "l3")
	}
	m := systemFieldRE.FindStringSubmatch(line)
	switch {
	case m == nil:
	case m[1] == "description" && s.Description == "":
		s.Description = m[2]
	case m[1] == "detailed" && s.Detailed == "":
		s.Detailed = m[2]
	}
}

// check says what a systems.py lacks.
func (c Catalogue) check() error {
	if len(c.Systems) == 0 {
		return fmt.Errorf("no systems found: SYSTEMS = { \"name\": System(...), ... } declares them")
	}
	if len(c.DetailedCPUs) == 0 {
		return fmt.Errorf("no DETAILED_CPUS = (\"timing\", ...) line")
	}
	for _, s := range c.Systems {
		if s.Description == "" || s.Detailed == "" {
			return fmt.Errorf("system %q: give description=\"...\" and detailed=\"...\" on lines of their own", s.Name)
		}
		if !slices.Contains(c.DetailedCPUs, s.Detailed) {
			return fmt.Errorf("system %q: detailed=%q is not one of DETAILED_CPUS (%s)", s.Name, s.Detailed, strings.Join(c.DetailedCPUs, ", "))
		}
	}
	return nil
}
