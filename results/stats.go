// Package results reads gem5's outputs — every dump of stats.txt in the
// pre-v21 and v21+ formats, config.json or config.ini, the run log — and
// turns them into per-run metrics and reports (Markdown, CSV, HTML).
package results

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Value is a statistic's value exactly as gem5 printed it.
type Value string

// Float returns the value as a float64 (NaN for nan and no_value, ±Inf for
// inf); ok is false when the text is not a number.
func (v Value) Float() (f float64, ok bool) {
	switch strings.ToLower(string(v)) {
	case "nan", "-nan", "no_value":
		return math.NaN(), true
	case "inf", "+inf":
		return math.Inf(1), true
	case "-inf":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(string(v), 64)
	return f, err == nil
}

// Int returns the value as an exact integer (gem5 counters can pass 2^53);
// ok is false when it is not an integer.
func (v Value) Int() (*big.Int, bool) {
	n, ok := new(big.Int).SetString(string(v), 10)
	return n, ok
}

// Stat is one line of a dump.
type Stat struct {
	Name  string   // the full name, e.g. system.cpu.dcache.overallMisses::total
	Value Value    // the first value column
	Extra []string // further columns: a distribution's pdf and cdf
	Desc  string   // the description after '#', without the unit
	Unit  string   // v21+ unit from the description's end, e.g. Count, (Tick/Second)
	Line  int      // 1-based line number in the file
}

// Base returns the name before the first "::" (the statistic), and Sub the
// part after it (a bucket, a vector element, total, ...). A sub-name may
// itself contain dots and further colons.
func (s Stat) Base() string {
	b, _, _ := strings.Cut(s.Name, "::")
	return b
}

// Sub returns the part of the name after the first "::", or "".
func (s Stat) Sub() string {
	_, sub, _ := strings.Cut(s.Name, "::")
	return sub
}

// Dump is one "Begin Simulation Statistics" block.
type Dump struct {
	Index     int // 0-based
	BeginLine int // line of the Begin marker
	EndLine   int // line of the End marker (0 when the file ends first)
	Stats     []Stat
	byName    map[string]int
}

// Get returns the statistic named name.
func (d *Dump) Get(name string) (Stat, bool) {
	i, ok := d.byName[name]
	if !ok {
		return Stat{}, false
	}
	return d.Stats[i], true
}

// Value returns the value of the statistic named name ("" when absent).
func (d *Dump) Value(name string) (Value, bool) {
	s, ok := d.Get(name)
	return s.Value, ok
}

// Problem is a line the parser could not read; it is reported, not
// dropped silently.
type Problem struct {
	File string
	Line int
	Text string
	Why  string
}

func (p Problem) Error() string {
	return fmt.Sprintf("%s:%d: %s: %q", p.File, p.Line, p.Why, p.Text)
}

// Stats is a parsed stats.txt.
type Stats struct {
	File     string
	Dumps    []*Dump
	Problems []Problem
}

const (
	beginMarker = "Begin Simulation Statistics"
	endMarker   = "End Simulation Statistics"
)

// ReadStats parses the stats file at path (or path.gz).
func ReadStats(path string) (*Stats, error) {
	f, name, err := openOutput(path)
	if err != nil {
		return nil, fmt.Errorf("stats %s: %w", path, err)
	}
	defer f.Close()
	return ParseStats(f, name)
}

// ParseStats reads every dump of a gem5 stats file. Lines that are not
// statistics are collected in Problems with their line numbers; only a read
// error is returned as an error.
func ParseStats(r io.Reader, name string) (*Stats, error) {
	st := &Stats{File: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 256*1024), 16*1024*1024)
	var cur *Dump
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		if strings.HasPrefix(trimmed, "---") {
			switch {
			case strings.Contains(trimmed, beginMarker):
				if cur != nil {
					st.problem(n, line, "a new dump begins before the previous one ended")
				}
				cur = &Dump{Index: len(st.Dumps), BeginLine: n, byName: map[string]int{}}
				st.Dumps = append(st.Dumps, cur)
			case strings.Contains(trimmed, endMarker):
				if cur == nil {
					st.problem(n, line, "end of a dump that did not begin")
				} else {
					cur.EndLine = n
					cur = nil
				}
			default:
				st.problem(n, line, "unknown separator line")
			}
			continue
		}
		if cur == nil {
			st.problem(n, line, "statistic outside a dump")
			continue
		}
		s, why := parseLine(line)
		if why != "" {
			st.problem(n, line, why)
			continue
		}
		s.Line = n
		if _, dup := cur.byName[s.Name]; dup {
			st.problem(n, line, "statistic repeated within a dump (the later one is kept)")
		}
		cur.byName[s.Name] = len(cur.Stats)
		cur.Stats = append(cur.Stats, s)
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("stats %s: line %d: %w", name, n+1, err)
	}
	if cur != nil {
		st.problem(n, "", "the last dump has no end marker (gem5 stopped while writing?)")
	}
	return st, nil
}

func (st *Stats) problem(line int, text, why string) {
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	st.Problems = append(st.Problems, Problem{File: st.File, Line: line, Text: text, Why: why})
}

// parseLine splits "name value [pdf cdf ...] [# description (Unit)]".
func parseLine(line string) (Stat, string) {
	body, desc, hasDesc := strings.Cut(line, "#")
	f := strings.Fields(body)
	switch {
	case len(f) == 0:
		return Stat{}, "a description without a statistic"
	case len(f) == 1:
		return Stat{}, "a statistic without a value"
	}
	name := f[0]
	if !validName(name) {
		return Stat{}, "not a statistic name"
	}
	s := Stat{Name: name, Value: Value(f[1])}
	if _, ok := s.Value.Float(); !ok {
		return Stat{}, "value is not a number"
	}
	if len(f) > 2 {
		s.Extra = f[2:]
	}
	if hasDesc {
		s.Desc, s.Unit = splitUnit(strings.TrimSpace(desc))
	}
	return s, ""
}

// validName accepts gem5 statistic names: letters, digits and _.:-+
// (bucket labels such as ::1.67772e+07-1.84549e+07).
func validName(n string) bool {
	for _, r := range n {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("_.:-+[]<>/", r):
		default:
			return false
		}
	}
	return n[0] != ':' && n[0] != '.'
}

// splitUnit separates the v21+ unit, the parenthesized group that ends a
// description: "Number of seconds simulated (Second)" → Second,
// "... ((Tick/Second))" → (Tick/Second).
func splitUnit(desc string) (string, string) {
	if !strings.HasSuffix(desc, ")") {
		return desc, ""
	}
	depth := 0
	for i := len(desc) - 1; i >= 0; i-- {
		switch desc[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				if i == 0 {
					return "", desc[1 : len(desc)-1]
				}
				if desc[i-1] != ' ' {
					return desc, ""
				}
				return strings.TrimSpace(desc[:i]), desc[i+1 : len(desc)-1]
			}
		}
	}
	return desc, ""
}
