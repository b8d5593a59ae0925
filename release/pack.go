package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// Source is a built file to release and what it is (Size, SHA256 and
// Parts of its Artifact are filled in by Pack).
type Source struct {
	Path     string
	Artifact Artifact
}

// Pack makes one architecture's assets of a release.
type Pack struct {
	Tag      string
	Arch     string
	Tool     string // vswarmu-mage's version
	Sources  []Source
	PartSize int64 // 0: DefaultPartSize
}

// Write writes every source's parts, the manifest and SHA256SUMS into dir.
func (p Pack) Write(ctx context.Context, j job.Job, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("release assets: %w", err)
	}
	sums := map[string]string{}
	m := Manifest{Tag: p.Tag, Arch: p.Arch, Created: time.Now().UTC(), Tool: p.Tool}
	for _, s := range p.Sources {
		j.Progress("compressing %s", s.Artifact.Name)
		a, err := p.compress(ctx, s, dir, sums)
		if err != nil {
			return fmt.Errorf("release asset %s (%s): %w", s.Artifact.Name, s.Path, err)
		}
		j.Logf("%s: %d bytes in %d part(s), sha256 %s", a.Name, a.Size, len(a.Parts), a.SHA256)
		m.Artifacts = append(m.Artifacts, a)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := writeSummed(filepath.Join(dir, ManifestAsset(p.Arch)), append(b, '\n'), sums); err != nil {
		return err
	}
	return writeSums(filepath.Join(dir, SumsAsset(p.Arch)), sums)
}

// compress compresses s into parts of at most PartSize bytes.
func (p Pack) compress(ctx context.Context, s Source, dir string, sums map[string]string) (Artifact, error) {
	a := s.Artifact
	f, err := os.Open(s.Path)
	if err != nil {
		return a, err
	}
	defer f.Close()
	parts := &partWriter{dir: dir, name: a.Name, size: p.PartSize, sums: sums}
	if parts.size <= 0 {
		parts.size = DefaultPartSize
	}
	enc, err := zstd.NewWriter(parts, zstd.WithEncoderConcurrency(2))
	if err != nil {
		return a, err
	}
	whole := sha256.New()
	n, err := io.Copy(enc, io.TeeReader(ctxReader{ctx, f}, whole))
	if cerr := enc.Close(); err == nil {
		err = cerr
	}
	if cerr := parts.close(); err == nil {
		err = cerr
	}
	a.Size, a.SHA256, a.Parts = n, hex.EncodeToString(whole.Sum(nil)), parts.names
	return a, err
}

// partWriter writes a stream into files <name>.zst.000, .001, ... of at
// most size bytes, noting each one's sha256.
type partWriter struct {
	dir, name string
	size      int64
	sums      map[string]string
	names     []string
	cur       *os.File
	curHash   hash.Hash
	written   int64
}

func (w *partWriter) Write(b []byte) (int, error) {
	done := 0
	for len(b) > 0 {
		if w.cur == nil || w.written == w.size {
			if err := w.next(); err != nil {
				return done, err
			}
		}
		n := int(min(int64(len(b)), w.size-w.written))
		if _, err := io.MultiWriter(w.cur, w.curHash).Write(b[:n]); err != nil {
			return done, err
		}
		w.written += int64(n)
		done += n
		b = b[n:]
	}
	return done, nil
}

func (w *partWriter) next() error {
	if err := w.close(); err != nil {
		return err
	}
	name := fmt.Sprintf("%s.zst.%03d", w.name, len(w.names))
	f, err := os.Create(filepath.Join(w.dir, name))
	if err != nil {
		return err
	}
	w.cur, w.curHash, w.written = f, sha256.New(), 0
	w.names = append(w.names, name)
	return nil
}

func (w *partWriter) close() error {
	if w.cur == nil {
		return nil
	}
	w.sums[w.names[len(w.names)-1]] = hex.EncodeToString(w.curHash.Sum(nil))
	err := w.cur.Close()
	w.cur = nil
	return err
}

// writeSummed writes a file and notes its sha256.
func writeSummed(path string, b []byte, sums map[string]string) error {
	sum := sha256.Sum256(b)
	sums[filepath.Base(path)] = hex.EncodeToString(sum[:])
	return os.WriteFile(path, b, 0o644)
}

// writeSums writes sums in sha256sum's format, sorted by name.
func writeSums(path string, sums map[string]string) error {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s  %s\n", sums[n], n)
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}
