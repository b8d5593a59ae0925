package functions

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
)

// maxProgram bounds the programs of an image MisdecodedPrograms reads.
const maxProgram = 512 << 20

// MisdecodedPrograms scans the x86-64 programs of a docker archive for
// instructions gem5 executes differently from a real CPU and says, a line
// each, which programs hold some (none: an empty list).
func MisdecodedPrograms(archive string) ([]string, error) {
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", archive, err)
	}
	fs := mutate.Extract(img)
	defer fs.Close()
	var out []string
	tr := tar.NewReader(fs)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", archive, err)
		}
		if h.Typeflag != tar.TypeReg || h.Size < 64 || h.Size > maxProgram {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return out, fmt.Errorf("%s: /%s: %w", archive, h.Name, err)
		}
		if line := programLine("/"+strings.TrimPrefix(h.Name, "/"), data); line != "" {
			out = append(out, line)
		}
	}
}

// programLine says what gem5 misdecodes in one program, or "" (also for a
// file that is not an x86-64 program).
func programLine(name string, data []byte) string {
	r, err := misdecode.Scan(bytes.NewReader(data))
	if err != nil || len(r.Findings) == 0 {
		return ""
	}
	return name + " " + r.Summary()
}
