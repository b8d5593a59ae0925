package targets_test

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/release/releasetest"
)

// releaseBuilder is a project whose resources are packed as release v1.0.0:
// a kernel with its .config and a disk given as files (random, so the
// disk is split), the client and guest tools built here.
func releaseBuilder(t *testing.T) (assets string) {
	dir, env := standinEnv(t, "RELEASE_TAG=v1.0.0", "RELEASE_PART_SIZE=1M", "CLIENT=", "KERNEL=", "DISK=")
	files := t.TempDir()
	for name, size := range map[string]int{"vmlinux": 4096, "vmlinux.config": 512, "disk.qcow2": 3 << 20} {
		b := make([]byte, size)
		rand.Read(b)
		// Headers of their kinds: the plan refuses a kernel that is not ELF.
		magic := map[string]string{"vmlinux": "\x7fELF", "disk.qcow2": "QFI\xfb"}[name]
		writeFile(t, filepath.Join(files, name), magic+string(b[len(magic):]))
	}
	env = append(env, "KERNEL="+filepath.Join(files, "vmlinux"), "DISK="+filepath.Join(files, "disk.qcow2"))
	r := magetest.Mage(t, dir, env, "release:artifacts")
	if r.Code != 0 {
		t.Fatalf("release:artifacts: exit %d\n%s", r.Code, r.Output)
	}
	assets = filepath.Join(dir, "res", "release", "v1.0.0")
	parts, _ := filepath.Glob(filepath.Join(assets, "disk-image-amd64.qcow2.zst.*"))
	manifest, _ := os.ReadFile(filepath.Join(assets, "vswarmu-manifest-amd64.json"))
	if len(parts) < 3 || !strings.Contains(string(manifest), `"kind": "client"`) ||
		!strings.Contains(string(manifest), `"KVERSION": "5.4.84"`) {
		t.Fatalf("assets: %d disk parts; manifest:\n%s", len(parts), manifest)
	}
	return assets
}

// releaseUser is a project that takes its kernel, disk and client from
// the release s serves.
func releaseUser(t *testing.T, s *releasetest.Server) (string, []string) {
	return standinEnv(t, "RESOURCES_FROM=release", "RELEASE_API="+s.URL, "RELEASE_REPO="+s.Repo, "RELEASE_TAG="+s.Tag,
		"KERNEL=", "DISK=", "CLIENT=")
}

func TestReleaseThenDownload(t *testing.T) {
	assets := releaseBuilder(t)
	s := releasetest.Serve(t, assets, "lab/vswarmu-resources", "v1.0.0")

	t.Run("download, then simulate without building what was downloaded", func(t *testing.T) {
		dir, env := releaseUser(t, s)
		r := magetest.Mage(t, dir, env, "resources:download")
		if r.Code != 0 {
			t.Fatalf("resources:download: exit %d\n%s", r.Code, r.Output)
		}
		for _, f := range []string{"vmlinux-v5.4.84-amd64", "vmlinux-v5.4.84-amd64.config", "disk-image.qcow2", "test-client-amd64"} {
			if _, err := os.Stat(filepath.Join(dir, "res", f)); err != nil {
				t.Errorf("%s not in place: %v", f, err)
			}
		}
		r = magetest.Mage(t, dir, env, "simulate:all")
		if r.Code != 0 || strings.Contains(r.Output, "▶ resources:download") ||
			strings.Contains(r.Output, "▶ client:build") ||
			strings.Contains(r.Output, "▶ kernel:") ||
			strings.Contains(r.Output, "▶ image:") {
			t.Fatalf("simulate:all after the download: exit %d\n%s", r.Code, r.Output)
		}
		downloads := s.Downloads("disk-image-amd64.qcow2.zst.000")
		if r := magetest.Mage(t, dir, env, "resources:download"); r.Code != 0 ||
			!strings.Contains(r.Output, "nothing to do") ||
			s.Downloads("disk-image-amd64.qcow2.zst.000") != downloads {
			t.Fatalf("second resources:download: exit %d\n%s", r.Code, r.Output)
		}
		// A setting the kernel depends on changes: the download is stale
		// and says the release does not match.
		r = magetest.Mage(t, dir, append(env, "KVERSION=v6.1"), "resources:download")
		if r.Code == 0 || !strings.Contains(r.Output, "KVERSION=6.1 (the release's: 5.4.84)") ||
			!strings.Contains(r.Output, "RESOURCES_FROM=build") {
			t.Fatalf("download with another KVERSION: exit %d\n%s", r.Code, r.Output)
		}
	})

	t.Run("an interrupted download restarts cleanly", func(t *testing.T) {
		dir, env := releaseUser(t, s)
		s.Cut("disk-image-amd64.qcow2.zst.001")
		if r := magetest.Mage(t, dir, env, "resources:download"); r.Code == 0 {
			t.Fatalf("a cut download succeeded\n%s", r.Output)
		}
		if _, err := os.Stat(filepath.Join(dir, "res", "disk-image.qcow2")); err == nil {
			t.Fatal("a disk is in place after a cut download")
		}
		if r := magetest.Mage(t, dir, env, "resources:download"); r.Code != 0 {
			t.Fatalf("the download after the cut: exit %d\n%s", r.Code, r.Output)
		}
	})

	t.Run("a corrupted part names the asset and leaves nothing downloaded", func(t *testing.T) {
		bad := t.TempDir()
		ents, _ := os.ReadDir(assets)
		for _, e := range ents {
			b, _ := os.ReadFile(filepath.Join(assets, e.Name()))
			if e.Name() == "disk-image-amd64.qcow2.zst.002" {
				b[100] ^= 0xff
			}
			writeFile(t, filepath.Join(bad, e.Name()), string(b))
		}
		corrupt := releasetest.Serve(t, bad, "lab/vswarmu-resources", "v1.0.0")
		dir, env := releaseUser(t, corrupt)
		r := magetest.Mage(t, dir, env, "resources:download")
		if r.Code == 0 || !strings.Contains(r.Output, "disk-image-amd64.qcow2.zst.002") ||
			!strings.Contains(r.Output, "checksum") {
			t.Fatalf("corrupted part: exit %d\n%s", r.Code, r.Output)
		}
		for _, f := range []string{"vmlinux-v5.4.84-amd64", "disk-image.qcow2"} {
			if _, err := os.Stat(filepath.Join(dir, "res", f)); err == nil {
				t.Errorf("%s is in place after a failed download", f)
			}
		}
		if st := magetest.Mage(t, dir, env, "status"); st.Code != 1 ||
			!strings.Contains(st.Output, "stale resources:download") {
			t.Fatalf("status after a failed download: exit %d\n%s", st.Code, st.Output)
		}
	})
}
