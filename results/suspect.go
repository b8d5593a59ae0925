package results

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
)

// ScanLine starts vswarmu-scan's line for one finding in the guest:
// "VSWARMU-SCAN <function> <finding as JSON>".
const ScanLine = "VSWARMU-SCAN"

// FindingsOf are scanned programs as a run's record keeps them.
func FindingsOf(progs []misdecode.Program) []ProgramFinding {
	var out []ProgramFinding
	for _, p := range progs {
		out = append(out, ProgramFinding{Path: p.Path, GoVersion: p.GoVersion, Count: len(p.Findings),
			Misdecodes: p.Misdecodes(), First: p.Findings[0].String()})
	}
	return out
}

// ProgramFinding is one program of a function's image that holds
// instructions gem5 is known to misexecute.
type ProgramFinding struct {
	Path       string   `json:"path"`
	GoVersion  string   `json:"go_version,omitempty"` // the Go release that built it, when it is a Go program
	Count      int      `json:"count"`                // how many such instructions
	Misdecodes []string `json:"misdecodes"`           // which known misdecodes (internal/misdecode's names)
	First      string   `json:"first"`                // the first instruction, its address and function
}

// Line says the finding on one line.
func (p ProgramFinding) Line() string {
	built := ""
	if p.GoVersion != "" {
		built = " (built with " + p.GoVersion + ")"
	}
	return fmt.Sprintf("%s%s holds %d instruction(s) gem5 v24 misexecutes, first %s", p.Path, built, p.Count, p.First)
}

// ImageScan is what a scan of a function's image found, and where it ran:
// "host" (an archive the host has) or "guest" (the running container's
// file system, during the install).
type ImageScan struct {
	Image    string           `json:"image,omitempty"`
	Where    string           `json:"where"`
	Programs []ProgramFinding `json:"programs"`
}

// suspicion says why a run's numbers are suspect: a program of its image
// holds an instruction its gem5 was probed to misexecute ("" when none,
// or when either the scan or the probe is missing).
func suspicion(m *RunMeta) string {
	if m == nil {
		return ""
	}
	why := Misexecuted(m.ImageScan, m.Gem5Probe)
	if len(why) == 0 {
		return ""
	}
	return fmt.Sprintf("its gem5 was probed to misexecute what the image's programs hold (%s scan): %s; "+
		"build gem5 with the fix (gem5:build), rebuild the image with Go 1.21 or later, or ACCEPT_SUSPECT=1",
		m.ImageScan.Where, strings.Join(why, "; "))
}

// Misexecuted says, one line per program, which programs of an image's
// scan hold an instruction the probe found its gem5 to misexecute (none
// when either is missing).
func Misexecuted(scan *ImageScan, probe *Gem5Probe) []string {
	if scan == nil || probe == nil {
		return nil
	}
	var why []string
	for _, p := range scan.Programs {
		for _, md := range p.Misdecodes {
			if slices.Contains(probe.Misdecodes, md) {
				why = append(why, p.Line())
				break
			}
		}
	}
	return why
}
