// Package download fetches files with go-getter: HTTP(S) and local files
// with checksums (a value, or a checksum list such as kernel.org's
// sha256sums.asc). A file is written beside its destination and renamed
// only once its checksum matched, so an interrupted download never looks
// complete.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	getter "github.com/hashicorp/go-getter/v2"
)

// Progress receives how many bytes of a download arrived and how many are
// expected (0 when unknown).
type Progress func(done, total int64)

// Report returns a Progress that tells say "<what> 45 MB of 1.2 GB", or
// "<what> 45 MB" while the size is unknown.
func Report(what string, say func(format string, args ...any)) Progress {
	return func(done, total int64) {
		if total > 0 {
			say("%s %s of %s", what, Human(done), Human(total))
		} else {
			say("%s %s", what, Human(done))
		}
	}
}

// client returns a go-getter client that never follows X-Terraform-Get
// redirects and never unpacks archives itself (its tar reader drops
// symbolic links; callers extract with tar).
func client() *getter.Client {
	return &getter.Client{
		Getters: []getter.Getter{
			&getter.HttpGetter{XTerraformGetDisabled: true, Netrc: true},
			new(getter.FileGetter),
		},
		Decompressors:   map[string]getter.Decompressor{},
		DisableSymlinks: true,
	}
}

// sourceURL turns a URL or a local path into a go-getter source with the
// given query parameters.
func sourceURL(src string, params url.Values) (string, error) {
	if !strings.Contains(src, "://") && !strings.Contains(src, "::") {
		abs, err := filepath.Abs(src)
		if err != nil {
			return "", err
		}
		src = (&url.URL{Scheme: "file", Path: abs}).String()
	}
	if len(params) == 0 {
		return src, nil
	}
	sep := "?"
	if strings.Contains(src, "?") {
		sep = "&"
	}
	return src + sep + params.Encode(), nil
}

// File downloads src (a URL or a local path) to dst. checksum is
// go-getter's: "sha256:<hex>", or "file:<url>" of a checksum list that names
// the file; empty skips verification. A dst that already exists with the
// right checksum is kept without downloading.
func File(ctx context.Context, src, checksum, dst string, progress Progress) error {
	params := url.Values{"archive": {"false"}}
	if checksum != "" {
		params.Set("checksum", checksum)
	}
	s, err := sourceURL(src, params)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if checksum != "" {
		if _, err := os.Stat(dst); err == nil {
			if ok, err := Verify(ctx, src, checksum, dst); err == nil && ok {
				return nil
			}
		}
	}
	part := dst + ".part"
	defer os.Remove(part)
	req := &getter.Request{Src: s, Dst: part, GetMode: getter.ModeFile, Copy: true}
	if progress != nil {
		req.ProgressListener = &tracker{report: progress}
	}
	if _, err := client().Get(ctx, req); err != nil {
		return describe(src, err)
	}
	if err := os.Rename(part, dst); err != nil {
		return fmt.Errorf("download %s: %w", src, err)
	}
	return nil
}

// Verify reports whether the file at path matches the checksum given for
// src (same syntax as File).
func Verify(ctx context.Context, src, checksum, path string) (bool, error) {
	s, err := sourceURL(src, url.Values{"checksum": {checksum}})
	if err != nil {
		return false, err
	}
	sum, err := client().GetChecksum(ctx, &getter.Request{Src: s})
	if err != nil || sum == nil {
		return false, err
	}
	if err := sum.Checksum(path); err != nil {
		var ce *getter.ChecksumError
		if errors.As(err, &ce) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// NetworkError says a download could not reach its server: the host and
// the network's own reason (not a checksum problem, though go-getter
// reports a checksum list it could not fetch as one).
type NetworkError struct {
	Src, Host string
	Err       error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("cannot reach %s to download %s: %v", e.Host, e.Src, e.Err)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// networkReasons are what Go's and libc's resolvers and sockets say when
// the network, not the file, is the problem.
var networkReasons = []string{"no such host", "connection refused", "network is unreachable", "i/o timeout",
	"temporary failure in name resolution", "could not resolve host", "server misbehaving", "connection reset",
	"tls handshake timeout", "no route to host", "failed to connect to"}

// IsNetwork reports whether err, or a message, tells of an unreachable
// server.
func IsNetwork(err error) bool {
	var ne net.Error
	var dns *net.DNSError
	if errors.As(err, &dns) || errors.As(err, &ne) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, r := range networkReasons {
		if strings.Contains(msg, r) {
			return true
		}
	}
	return false
}

// networkCause digs the reason out of go-getter's message (it flattens
// the chain): the part from the failing "dial"/"lookup" on.
func networkCause(err error) error {
	msg := err.Error()
	for _, key := range []string{"dial tcp", "lookup "} {
		if i := strings.Index(msg, key); i >= 0 {
			return errors.New(msg[i:])
		}
	}
	return err
}

// describe turns go-getter's errors into one clear sentence.
func describe(src string, err error) error {
	if IsNetwork(err) {
		host := src
		if u, perr := url.Parse(src); perr == nil && u.Host != "" {
			host = u.Host
		}
		return &NetworkError{Src: src, Host: host, Err: networkCause(err)}
	}
	var ce *getter.ChecksumError
	if errors.As(err, &ce) {
		return fmt.Errorf(
			"download %s: checksum mismatch: expected %x, got %x (the file is corrupt or not the one expected; nothing was kept)",
			src,
			ce.Expected,
			ce.Actual,
		)
	}
	msg := err.Error()
	if strings.Contains(msg, "no checksum found in") {
		return fmt.Errorf("download %s: its checksum list does not name it: %w", src, err)
	}
	return fmt.Errorf("download %s: %w", src, err)
}

// tracker reports download progress at most twice a second.
type tracker struct {
	report Progress
}

func (t *tracker) TrackProgress(src string, current, total int64, stream io.ReadCloser) io.ReadCloser {
	return &countingReader{ReadCloser: stream, done: current, total: total, report: t.report}
}

type countingReader struct {
	io.ReadCloser
	mu          sync.Mutex
	done, total int64
	last        time.Time
	report      Progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.mu.Lock()
	c.done += int64(n)
	if time.Since(c.last) > 500*time.Millisecond || err == io.EOF {
		c.last = time.Now()
		c.report(c.done, c.total)
	}
	c.mu.Unlock()
	return n, err
}

// Human renders a byte count as 1.2 GB / 45 MB / 512 kB.
func Human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d kB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
