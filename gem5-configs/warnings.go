package gem5configs

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/vswarmu/vswarmu-mage/results"
)

// gem5Unimplemented matches gem5's warning for an instruction its ISA does
// not implement (it then acts as a no-op or faults in the guest).
var gem5Unimplemented = regexp.MustCompile(`warn: instruction '([^']+)' unimplemented`)

// gem5Fault matches gem5's own lines about faults, panics and fatal errors.
var gem5Fault = regexp.MustCompile(`(?i)^(?:panic|fatal)|: (?:panic|fatal): | fault`)

// Gem5Warnings says what a run's gem5.log warns of that could explain a
// guest's failure: the instructions gem5 left unimplemented, and its fault,
// panic and fatal lines (at most three); "" when none.
func Gem5Warnings(dir string) string {
	f, err := os.Open(filepath.Join(dir, results.LogFile))
	if err != nil {
		return ""
	}
	defer f.Close()
	var insts, faults []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := gem5Unimplemented.FindStringSubmatch(line); m != nil {
			if !slices.Contains(insts, m[1]) {
				insts = append(insts, m[1])
			}
			continue
		}
		if gem5Fault.MatchString(line) && len(faults) < 3 && strings.Contains(line, ":") {
			faults = append(faults, line)
		}
	}
	var parts []string
	if len(insts) > 0 {
		parts = append(parts, "instructions gem5 does not implement: "+strings.Join(insts, ", "))
	}
	if len(faults) > 0 {
		parts = append(parts, "gem5 reported: "+strings.Join(faults, " / "))
	}
	return strings.Join(parts, "; ")
}
