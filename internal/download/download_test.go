package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// A clear-signed checksum list shaped like kernel.org's sha256sums.asc.
func signedList(entries map[string][]byte) string {
	var b strings.Builder
	b.WriteString("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n# This file is signed.\n")
	for name, data := range entries {
		sum := sha256.Sum256(data)
		b.WriteString(hex.EncodeToString(sum[:]) + "  " + name + "\n")
	}
	b.WriteString(
		"-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAdFiEEZH8oZUiU471FcZm+ONu9yGCSaT4FAmVQf2YACgkQONu9yGCS\n=abcd\n-----END PGP SIGNATURE-----\n",
	)
	return b.String()
}

func server(t *testing.T, files map[string][]byte, hits *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits != nil && strings.HasSuffix(r.URL.Path, ".tar.xz") && r.Method == http.MethodGet {
			hits.Add(1)
		}
		data, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path == "/cut.tar.xz" {
			w.Header().Set("Content-Length", "100000")
			w.Write(data)
			return // the connection ends before the promised length
		}
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFileWithChecksumList(t *testing.T) {
	tarball := []byte(strings.Repeat("kernel source ", 1000))
	other := []byte("another file")
	var hits atomic.Int32
	srv := server(t, map[string][]byte{
		"/v6.x/linux-6.1.tar.xz":  tarball,
		"/v6.x/linux-6.10.tar.xz": other,
		"/v6.x/sha256sums.asc": []byte(
			signedList(map[string][]byte{"linux-6.10.tar.xz": other, "linux-6.1.tar.xz": tarball}),
		),
		"/v6.x/bad/linux-6.1.tar.xz": []byte("tampered"),
		"/v6.x/bad/sha256sums.asc":   []byte(signedList(map[string][]byte{"linux-6.1.tar.xz": tarball})),
		"/cut.tar.xz":                []byte("short"),
	}, &hits)
	dir := t.TempDir()
	ctx := context.Background()

	dst := filepath.Join(dir, "linux-6.1.tar.xz")
	var reported int64
	err := File(ctx, srv.URL+"/v6.x/linux-6.1.tar.xz", "file:"+srv.URL+"/v6.x/sha256sums.asc", dst,
		func(done, total int64) { reported = done })
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); string(got) != string(tarball) {
		t.Fatal("downloaded content differs")
	}
	if reported != int64(len(tarball)) {
		t.Errorf("progress reported %d bytes, want %d", reported, len(tarball))
	}
	// A second download of a file that is there and matches is skipped.
	if err := File(ctx, srv.URL+"/v6.x/linux-6.1.tar.xz", "file:"+srv.URL+"/v6.x/sha256sums.asc", dst, nil); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("tarball fetched %d times, want 1", n)
	}

	cases := []struct {
		name, src, sum, want string
	}{
		{
			"checksum mismatch",
			"/v6.x/bad/linux-6.1.tar.xz",
			"file:" + srv.URL + "/v6.x/bad/sha256sums.asc",
			"checksum mismatch",
		},
		{"wrong inline checksum", "/v6.x/linux-6.1.tar.xz", "sha256:" + strings.Repeat("00", 32), "checksum mismatch"},
		{"list without the file", "/v6.x/linux-6.1.tar.xz", "file:" + srv.URL + "/v6.x/bad/nothing.asc", "download"},
		{"missing file", "/v6.x/linux-9.9.tar.xz", "", "404"},
		{"cut connection", "/cut.tar.xz", "", "download"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			err := File(ctx, srv.URL+c.src, c.sum, dst, nil)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Fatalf("a failed download left %s", dst)
			}
			if _, err := os.Stat(dst + ".part"); !os.IsNotExist(err) {
				t.Fatalf("a failed download left %s.part", dst)
			}
		})
	}
}

func TestLocalFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "local.tar.xz")
	os.WriteFile(src, []byte("local"), 0o644)
	sum := sha256.Sum256([]byte("local"))
	dst := filepath.Join(dir, "out", "copy.tar.xz")
	if err := File(context.Background(), src, "sha256:"+hex.EncodeToString(sum[:]), dst, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "local" {
		t.Fatalf("copy = %q", b)
	}
	ok, err := Verify(context.Background(), src, "sha256:"+hex.EncodeToString(sum[:]), dst)
	if err != nil || !ok {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
}

func TestReportSaysSizes(t *testing.T) {
	cases := []struct {
		done, total int64
		want        string
	}{
		{45 << 20, 3 << 29, "ISO 45 MB of 1.5 GB"},
		{512, 0, "ISO 512 B"},
		{2 << 10, -1, "ISO 2 kB"},
	}
	for _, c := range cases {
		var got string
		Report("ISO", func(format string, args ...any) { got = fmt.Sprintf(format, args...) })(c.done, c.total)
		if got != c.want {
			t.Errorf("Report(%d, %d) = %q, want %q", c.done, c.total, got, c.want)
		}
	}
}

// TestNetworkFailureIsNotAChecksumError: a server that cannot be reached,
// while fetching the checksum list or the file, is said to be a network
// problem naming the host, with the network's reason.
func TestNetworkFailureIsNotAChecksumError(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "linux.tar.xz")
	for _, c := range []struct{ src, checksum string }{
		{"http://127.0.0.1:1/linux.tar.xz", "file:http://127.0.0.1:1/sha256sums.asc"},
		{"http://127.0.0.1:1/linux.tar.xz", "sha256:" + strings.Repeat("0", 64)},
	} {
		err := File(context.Background(), c.src, c.checksum, dst, nil)
		var ne *NetworkError
		if !errors.As(err, &ne) || ne.Host != "127.0.0.1:1" || strings.Contains(err.Error(), "checksum") ||
			!strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("%s: %v", c.checksum, err)
		}
		if _, serr := os.Stat(dst); serr == nil {
			t.Fatal("a failed download left the file")
		}
	}
}
