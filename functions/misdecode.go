package functions

// Scanning a function's image for instructions gem5 is known to
// misexecute: on the host, a docker archive's flattened file system; in the
// guest, the running container's exported file system (vswarmu-scan). The
// findings of every function are kept in the install's scan record, and
// each evaluation's record carries its function's, so the report can mark
// a run suspect when its gem5 was probed to misexecute what its programs
// hold.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
	"github.com/vswarmu/vswarmu-mage/results"
)

// ScanTar scans every regular file of a tar stream (an image's flattened
// layers, or a container's exported file system) that is an x86-64
// program, and returns those that hold a known misdecode.
func ScanTar(r io.Reader) ([]results.ProgramFinding, error) {
	progs, err := misdecode.ScanTar(r)
	return results.FindingsOf(progs), err
}

// ScanArchive scans the programs of a docker archive's flattened file
// system.
func ScanArchive(archive string) ([]results.ProgramFinding, error) {
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", archive, err)
	}
	fs := mutate.Extract(img)
	defer fs.Close()
	found, err := ScanTar(fs)
	if err != nil {
		return found, fmt.Errorf("%s: %w", archive, err)
	}
	return found, nil
}

// MisdecodedPrograms scans the x86-64 programs of a docker archive for
// instructions gem5 executes differently from a real CPU and says, a line
// each, which programs hold some (none: an empty list).
func MisdecodedPrograms(archive string) ([]string, error) {
	found, err := ScanArchive(archive)
	var out []string
	for _, f := range found {
		out = append(out, f.Line())
	}
	return out, err
}

// parseScanLines reads the guest's scan lines from an install log: the
// findings per function, and which functions the guest scanned at all
// (their DONE line).
func parseScanLines(log []byte) (found map[string][]results.ProgramFinding, scanned map[string]bool) {
	found, scanned = map[string][]results.ProgramFinding{}, map[string]bool{}
	for _, line := range strings.Split(string(log), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, results.ScanLine+"-DONE "); ok {
			fn, _, _ := strings.Cut(rest, " ")
			scanned[fn] = true
			continue
		}
		rest, ok := strings.CutPrefix(line, results.ScanLine+" ")
		if !ok {
			continue
		}
		fn, js, ok := strings.Cut(rest, " ")
		var f results.ProgramFinding
		if !ok || json.Unmarshal([]byte(js), &f) != nil || f.Path == "" {
			continue
		}
		found[fn] = append(found[fn], f)
	}
	return found, scanned
}

// ReadScans reads an install's scan record: every installed function's
// image scan, by function ({} when there is none).
func ReadScans(path string) (map[string]results.ImageScan, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]results.ImageScan{}, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]results.ImageScan
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w (run functions:install again)", path, err)
	}
	return m, nil
}

func writeScans(path string, m map[string]results.ImageScan) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
