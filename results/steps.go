package results

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// StepLine starts the log line of a boot's or setup's statistics dump at
// a step of its run script (gem5-configs' protocol.py STEP_LINE).
const StepLine = "Step dump"

// stepLine matches "Step dump 3: code 2 at tick 12345".
var stepLine = regexp.MustCompile(`^` + StepLine + ` (\d+): code (-?\d+) at tick (\d+)`)

// failLine matches protocol.py's "m5 fail 2: function started".
var failLine = regexp.MustCompile(`^m5 fail (-?\d+): (.+)$`)

// Step is one step of a boot's or setup's run script: what ran between
// the previous m5 fail code (or the run's start) and this one.
type Step struct {
	Code         int     // the m5 fail code that ended it
	Meaning      string  // what the code means, as the log says it ("function started")
	Tick         uint64  // when
	Instructions float64 // simulated instructions of every core in the step
	HostSeconds  float64 // host time the step took
}

// Steps reads a boot's or setup's steps from its gem5.log and the
// statistics dumped at each (the dumps hold the run so far: a step is the
// difference of two).
func Steps(dir string) ([]Step, error) {
	st, err := ReadStats(filepath.Join(dir, "stats.txt"))
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(dir, LogFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Step
	var insts, host float64
	meaning := map[string]string{} // fail code → its meaning, from protocol.py's lines
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		if d := failLine.FindStringSubmatch(sc.Text()); d != nil {
			meaning[d[1]] = d[2]
		}
		m := stepLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > len(st.Dumps) {
			return out, fmt.Errorf("%s: step dump %d, but stats.txt has %d dumps", dir, n, len(st.Dumps))
		}
		d := st.Dumps[n-1]
		i, _ := d.Value("simInsts")
		h, _ := d.Value("hostSeconds")
		fi, _ := i.Float()
		fh, _ := h.Float()
		code, _ := strconv.Atoi(m[2])
		tick, _ := strconv.ParseUint(m[3], 10, 64)
		out = append(out, Step{Code: code, Meaning: meaning[m[2]], Tick: tick, Instructions: fi - insts, HostSeconds: fh - host})
		insts, host = fi, fh
	}
	return out, sc.Err()
}
