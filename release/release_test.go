package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/release/releasetest"
)

func serve(t *testing.T, dir, tag string) *releasetest.Server {
	return releasetest.Serve(t, dir, "owner/repo", tag)
}

func randomFile(t *testing.T, path string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	b = append(b, bytes.Repeat([]byte{0}, n)...) // compressible half
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func packed(t *testing.T) (assets string, diskSum string) {
	src, assets := t.TempDir(), t.TempDir()
	diskSum = randomFile(t, filepath.Join(src, "disk"), 300_000)
	randomFile(t, filepath.Join(src, "vmlinux"), 1000)
	p := Pack{Tag: "v1", Arch: "amd64", Tool: "test", PartSize: 100_000, Sources: []Source{
		{
			Path: filepath.Join(src, "vmlinux"),
			Artifact: Artifact{
				Name:     "vmlinux-amd64",
				Kind:     "kernel",
				Arch:     "amd64",
				Settings: map[string]string{"KVERSION": "v6.1"},
			},
		},
		{
			Path: filepath.Join(src, "disk"),
			Artifact: Artifact{
				Name:     "disk-image-amd64.qcow2",
				Kind:     "disk",
				Arch:     "amd64",
				Settings: map[string]string{"DISTRO": "debian"},
			},
		},
	}}
	if err := p.Write(context.Background(), job.Local{W: io.Discard}, assets); err != nil {
		t.Fatal(err)
	}
	return assets, diskSum
}

func fetchTo(s *releasetest.Server, out string, settings map[string]string) Fetch {
	return Fetch{
		API:   s.URL,
		Repo:  "owner/repo",
		Tag:   "v1",
		Arch:  "amd64",
		Cache: filepath.Join(out, "cache"),
		Want: []Want{
			{
				Kind:     "kernel",
				Arch:     "amd64",
				Path:     filepath.Join(out, "vmlinux"),
				Settings: map[string]string{"KVERSION": "v6.1"},
			},
			{Kind: "disk", Arch: "amd64", Path: filepath.Join(out, "disk.qcow2"), Settings: settings},
		},
	}
}

func sumOf(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPackThenFetch(t *testing.T) {
	assets, diskSum := packed(t)
	parts, _ := filepath.Glob(filepath.Join(assets, "disk-image-amd64.qcow2.zst.*"))
	if len(parts) < 2 {
		t.Fatalf("the disk was not split: %v", parts)
	}
	sums, _ := os.ReadFile(filepath.Join(assets, SumsAsset("amd64")))
	if len(ParseSums(string(sums))) != len(parts)+2 {
		t.Fatalf("SHA256SUMS:\n%s", sums)
	}
	s := serve(t, assets, "v1")
	out := t.TempDir()
	if err := fetchTo(s, out, map[string]string{"DISTRO": "debian"}).Run(context.Background(), job.Local{W: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, filepath.Join(out, "disk.qcow2")); got != diskSum {
		t.Fatalf("reassembled disk %s, want %s", got, diskSum)
	}
}

func TestFetchFailures(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(assets string, s *releasetest.Server)
		distro  string
		want    string
	}{
		{"a corrupted part", func(assets string, _ *releasetest.Server) {
			p := filepath.Join(assets, "disk-image-amd64.qcow2.zst.001")
			b, _ := os.ReadFile(p)
			b[10] ^= 0xff
			os.WriteFile(p, b, 0o644)
		}, "debian", "asset disk-image-amd64.qcow2.zst.001"},
		{"other settings", func(string, *releasetest.Server) {}, "ubuntu", "DISTRO=ubuntu (the release's: debian)"},
		{"a missing part", func(assets string, _ *releasetest.Server) {
			os.Remove(filepath.Join(assets, "disk-image-amd64.qcow2.zst.002"))
		},
			"debian", "lacks asset disk-image-amd64.qcow2.zst.002"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assets, _ := packed(t)
			s := serve(t, assets, "v1")
			c.prepare(assets, s)
			out := t.TempDir()
			err := fetchTo(
				s,
				out,
				map[string]string{"DISTRO": c.distro},
			).Run(context.Background(), job.Local{W: io.Discard})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if _, err := os.Stat(filepath.Join(out, "disk.qcow2")); err == nil {
				t.Fatal("a disk is in place after a failed download")
			}
			leftovers, _ := filepath.Glob(filepath.Join(out, "cache", "v1", "*.part"))
			if len(leftovers) > 0 {
				t.Fatalf("partial downloads left: %v", leftovers)
			}
		})
	}
}

// A download cut short fails cleanly; the next one completes it, keeping
// the parts already verified.
func TestInterruptedFetchRestarts(t *testing.T) {
	assets, diskSum := packed(t)
	s := serve(t, assets, "v1")
	s.Cut("disk-image-amd64.qcow2.zst.002")
	out := t.TempDir()
	f := fetchTo(s, out, map[string]string{"DISTRO": "debian"})
	if err := f.Run(context.Background(), job.Local{W: io.Discard}); err == nil {
		t.Fatal("a cut download succeeded")
	}
	if _, err := os.Stat(filepath.Join(out, "disk.qcow2")); err == nil {
		t.Fatal("a disk is in place after a cut download")
	}
	if _, err := os.Stat(filepath.Join(out, "cache", "v1", "disk-image-amd64.qcow2.zst.000")); err != nil {
		t.Fatalf("the verified first part was not kept: %v", err)
	}
	if err := f.Run(context.Background(), job.Local{W: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, filepath.Join(out, "disk.qcow2")); got != diskSum {
		t.Fatalf("disk %s, want %s", got, diskSum)
	}
}

// A release in vSwarm-u's layout: vmlinux and test-client as they are,
// the disk as a split tar.gz with a .sums file.
func TestFetchOriginalLayout(t *testing.T) {
	assets := t.TempDir()
	randomFile(t, filepath.Join(assets, "vmlinux-focal-amd64"), 500)
	randomFile(t, filepath.Join(assets, "test-client-amd64"), 500)
	disk := t.TempDir() + "/disk-image-focal-amd64"
	diskSum := randomFile(t, disk, 50_000)
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	b, _ := os.ReadFile(disk)
	tw.WriteHeader(&tar.Header{Name: "disk-image-focal-amd64", Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
	tw.Write(b)
	tw.Close()
	gz.Close()
	half := tgz.Len() / 2
	os.WriteFile(filepath.Join(assets, "disk-image-focal-amd64.tar.gz.aa"), tgz.Bytes()[:half], 0o644)
	os.WriteFile(filepath.Join(assets, "disk-image-focal-amd64.tar.gz.ab"), tgz.Bytes()[half:], 0o644)
	os.WriteFile(
		filepath.Join(assets, "disk-image-focal-amd64.sums"),
		[]byte(diskSum+"  disk-image-focal-amd64\n"),
		0o644,
	)

	s := serve(t, assets, "v0.0.1")
	out := t.TempDir()
	f := Fetch{
		API:   s.URL,
		Repo:  "owner/repo",
		Tag:   "v0.0.1",
		Arch:  "amd64",
		Cache: filepath.Join(out, "cache"),
		Want: []Want{
			{Kind: "kernel", Arch: "amd64", Path: filepath.Join(out, "vmlinux")},
			{Kind: "client", Arch: "amd64", Path: filepath.Join(out, "test-client")},
			{Kind: "disk", Arch: "amd64", Path: filepath.Join(out, "disk.img")},
		},
	}
	var log bytes.Buffer
	if err := f.Run(context.Background(), job.Local{W: &log}); err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, filepath.Join(out, "disk.img")); got != diskSum {
		t.Fatalf("disk %s, want %s", got, diskSum)
	}
	if !strings.Contains(log.String(), "vSwarm-u's layout") || !strings.Contains(log.String(), "unverified") {
		t.Fatalf("no warning about the unchecked layout:\n%s", log.String())
	}
	f.Want = []Want{{Kind: "installed-disk", Arch: "amd64", Path: filepath.Join(out, "x")}}
	if err := f.Run(context.Background(), job.Local{W: io.Discard}); err == nil ||
		!strings.Contains(err.Error(), "has no installed-disk") {
		t.Fatalf("installed disk from vSwarm-u's layout: %v", err)
	}
}

func FuzzParseSums(f *testing.F) {
	f.Add("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a\n")
	f.Add("x  y\n\n" + strings.Repeat("0", 64) + " *b.bin")
	f.Fuzz(func(t *testing.T, s string) {
		for name, sum := range ParseSums(s) {
			if len(sum) != 64 || name == "" {
				t.Fatalf("%q → %q %q", s, name, sum)
			}
		}
	})
}
