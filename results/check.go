package results

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Outcome is how one function's simulation ended.
type Outcome string

// The outcomes report:check tells apart.
const (
	Succeeded Outcome = "succeeded"
	Warn      Outcome = "warn"   // finished with fewer invocations than asked
	Failed    Outcome = "failed" // did not finish
	Hung      Outcome = "hung"   // killed for making no progress
	// Suspect: finished, but a program of its image holds an instruction
	// its gem5 was probed to misexecute (report:check fails it unless
	// ACCEPT_SUSPECT=1).
	Suspect Outcome = "suspect"
)

// Lines the gem5 configs print (the original's spelling, which its check
// script and users' scripts grep for).
const (
	DoneLine       = "Simulation done"
	InvocationLine = "End invokation"
	LogFile        = "gem5.log"
)

// Check is one function's verdict.
type Check struct {
	Run         string
	Function    string // the function the run simulated (its record's), "" when unknown
	Settings    string // the settings that made it, beyond the defaults: "SYSTEM=skylake "
	Outcome     Outcome
	Reason      string
	Invocations int // measured invocations that ended ("End invokation" lines past the warming)
	Warming     int // warming invocations that ended (atomic warming, not measured)
	Expected    int
	Standin     bool // the stand-in gem5 made the run: its numbers are not measurements
}

// WrongReplyLine starts the client's console line for a reply whose
// content is wrong (client.WrongReplyLine).
const WrongReplyLine = "VSWARMU-WRONG-REPLY"

// ConsoleFiles are where gem5's boards write the guest's console: the X86
// board's first serial port, the Arm board's terminal.
var ConsoleFiles = [...]string{"board.pc.com_1.device", "board.terminal"}

// wrongReplies are the console's wrong-reply lines (their text after the
// marker), at most max of them.
func wrongReplies(dir string, max int) (lines []string, total int) {
	for _, name := range ConsoleFiles {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			_, rest, ok := strings.Cut(sc.Text(), WrongReplyLine+" ")
			if !ok {
				continue
			}
			if total++; len(lines) < max {
				lines = append(lines, strings.TrimSpace(rest))
			}
		}
		f.Close()
	}
	return lines, total
}

// endIndex reads the invocation's number from its "End invokation" line.
var endIndex = regexp.MustCompile(`End invokation (\d+)`)

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// CheckRun judges a results directory: a run is finished when its log says
// "Simulation done"; it is a warning when fewer invocations ended than
// asked; the simulate stage's record says when it was killed as hung.
func CheckRun(dir string, expected int) Check {
	c := Check{Run: filepath.Base(dir), Expected: expected}
	meta, _ := readMeta(dir)
	if meta != nil && meta.Invocations > 0 {
		c.Expected = meta.Invocations
	}
	warming := -1 // unknown: every invocation counts as measured
	if meta != nil {
		c.Function, c.Settings, c.Standin = meta.Function, settingsOf(meta), meta.Standin
		if w, err := strconv.Atoi(meta.Parameters["ATOMIC_WARMING"]); err == nil {
			warming = w
		}
	}
	if _, standin := Gem5Banner(filepath.Join(dir, LogFile)); standin {
		c.Standin = true
	}
	if meta != nil && meta.Status == string(Hung) {
		c.Outcome, c.Reason = Hung, cmp.Or(meta.Reason, "no progress: killed")
		return c
	}
	f, err := os.Open(filepath.Join(dir, LogFile))
	if err != nil {
		c.Outcome, c.Reason = Failed, fmt.Sprintf("no %s: gem5 did not run", LogFile)
		if meta != nil && meta.Reason != "" {
			c.Reason = meta.Reason
		}
		return c
	}
	defer f.Close()
	done := false
	var last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, DoneLine):
			done = true
		case strings.Contains(line, InvocationLine):
			if m := endIndex.FindStringSubmatch(line); m != nil && warming >= 0 && atoi(m[1]) < warming {
				c.Warming++
			} else {
				c.Invocations++
			}
		}
		if strings.TrimSpace(line) != "" {
			last = strings.TrimSpace(line)
		}
	}
	switch {
	case !done:
		c.Outcome = Failed
		c.Reason = "no \"" + DoneLine + "\" in " + LogFile
		if meta != nil && meta.Reason != "" {
			c.Reason = meta.Reason
		} else if last != "" {
			c.Reason += "; last line: " + truncate(last, 120)
		}
	case c.Expected > 0 && c.Invocations < c.Expected:
		c.Outcome = Warn
		c.Reason = fmt.Sprintf("%d of %d invocations ended", c.Invocations, c.Expected)
	default:
		c.Outcome = Succeeded
		c.Reason = fmt.Sprintf("%d invocations", c.Invocations)
	}
	if c.Warming > 0 && c.Outcome != Failed {
		c.Reason += fmt.Sprintf(" measured (after %d warming)", c.Warming)
	}
	if why := suspicion(meta); why != "" && c.Outcome == Succeeded {
		c.Outcome, c.Reason = Suspect, "suspect: "+why
	}
	if lines, n := wrongReplies(dir, 1); n > 0 {
		c.Outcome = Failed
		c.Reason = fmt.Sprintf("wrong replies: %d (the function computed wrongly, and its numbers measure that); the first: %s",
			n, lines[0])
	}
	if !outputExists(filepath.Join(dir, "stats.txt")) && c.Outcome != Failed {
		c.Outcome, c.Reason = Failed, "finished without stats.txt"
	}
	return c
}

// settingsOf are the settings a run's record says made it, as a command
// line's prefix ("" for the defaults).
func settingsOf(m *RunMeta) string {
	var s []string
	if m.System != "" && m.System != "simple" {
		s = append(s, "SYSTEM="+m.System)
	}
	if cpu := m.Parameters["DETAILED_CPU"]; cpu != "" && cpu != "system's default" {
		s = append(s, "DETAILED_CPU="+cpu)
	}
	if m.Topology != "" && m.Topology != "single" {
		s = append(s, "TOPOLOGY="+m.Topology)
	}
	if len(s) == 0 {
		return ""
	}
	return strings.Join(s, " ") + " "
}

// readMeta reads a results directory's simulate record; a missing one is
// an fs.ErrNotExist error.
func readMeta(dir string) (*RunMeta, error) {
	p := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var m RunMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &m, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// CheckAll judges every directory under root that has a gem5 log, a
// stats.txt or a simulate record, plus each name in want that has none.
func CheckAll(root string, want []string, expected int) []Check {
	seen := map[string]bool{}
	var out []Check
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if !anyExists(dir, LogFile, "stats.txt", MetaFile) {
			continue
		}
		seen[e.Name()] = true
		out = append(out, CheckRun(dir, expected))
	}
	for _, w := range want {
		if !seen[w] {
			out = append(
				out,
				Check{Run: w, Outcome: Failed, Reason: "no results directory: not simulated yet", Expected: expected},
			)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Run < out[j].Run })
	return out
}

func anyExists(dir string, names ...string) bool {
	for _, n := range names {
		if outputExists(filepath.Join(dir, n)) {
			return true
		}
	}
	return false
}
