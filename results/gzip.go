package results

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// openOutput opens one of gem5's output files: path, or path.gz when only
// the compressed file is there (gem5 writes stats.txt.gz when asked, and
// runs are kept so). It returns the name it opened.
func openOutput(path string) (io.ReadCloser, string, error) {
	f, err := os.Open(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return f, path, err
	}
	gz, gerr := os.Open(path + ".gz")
	if gerr != nil {
		return nil, path, err // the plain file's error names what was asked for
	}
	zr, err := gzip.NewReader(gz)
	if err != nil {
		gz.Close()
		return nil, path + ".gz", fmt.Errorf("%s: %w", path+".gz", err)
	}
	return gzipFile{zr, gz}, path + ".gz", nil
}

// gzipFile closes the gzip reader and its file.
type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g gzipFile) Close() error { return errors.Join(g.Reader.Close(), g.f.Close()) }

// outputExists says whether path or path.gz exists.
func outputExists(path string) bool {
	for _, p := range []string{path, path + ".gz"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}
