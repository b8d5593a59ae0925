package interpreted_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/vswarmu/vswarmu-mage/client"
	"github.com/vswarmu/vswarmu-mage/functions/interpreted"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// needsBuild skips unless this machine can build the images: root,
// mmdebstrap, Debian's mirror and the npm registry.
func needsBuild(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the images are built as root (mmdebstrap --mode=root)")
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		t.Skip("mmdebstrap is not installed (apt-get install mmdebstrap, or mage image:depInstall)")
	}
	for _, u := range []string{"http://deb.debian.org/debian", interpreted.DefaultNPMRegistry} {
		if err := download.Reachable(context.Background(), u); err != nil {
			t.Skipf("%s is not reachable: %v", u, err)
		}
	}
}

// inputs are what each service is asked, the answers checked by the
// client's reply checks.
var inputs = map[string][]string{
	"fibonacci": {"10", "92", "abc", "-3"},
	"aes":       {"world", "", "a longer plaintext than one block"},
	"auth":      {"allow", "deny", "unauthorized", "someone"},
}

func TestImagesServeTheirFunctions(t *testing.T) {
	needsBuild(t)
	dir := t.TempDir()
	for _, lang := range []string{"nodejs", "python"} {
		t.Run(lang, func(t *testing.T) {
			fns := interpreted.OfLanguage(lang)
			b := interpreted.Build{Language: lang, Arch: "amd64", Mirror: "http://deb.debian.org/debian",
				Cache: filepath.Join(dir, "npm"), Images: map[string]string{}, Archives: map[string]string{}, Dir: dir}
			for _, fn := range fns {
				b.Images[fn] = "vhiveease/" + fn + ":latest"
				b.Archives[fn] = filepath.Join(dir, fn+".tar")
			}
			var log bytes.Buffer
			start := time.Now()
			if err := b.Make(context.Background(), job.Local{W: &log}); err != nil {
				t.Fatalf("build: %v\n%s", err, tail(log.String()))
			}
			t.Logf("%s images built in %v", lang, time.Since(start).Round(time.Second))
			for _, fn := range fns {
				root := unpack(t, b.Archives[fn], b.Images[fn])
				serveAndCheck(t, root, fn, interpreted.Functions[fn].Service, interpreted.Languages[lang].Entrypoint)
			}
		})
	}
}

func tail(s string) string { return s[max(0, len(s)-3000):] }

// unpack writes the image's file system into a directory.
func unpack(t *testing.T, archive, ref string) string {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(archive, &tag)
	if err != nil {
		t.Fatalf("%s: %v", archive, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil || cfg.Config.WorkingDir != "/app" || cfg.Architecture != "amd64" {
		t.Fatalf("%s: config %+v, %v", archive, cfg, err)
	}
	fi, _ := os.Stat(archive)
	t.Logf("%s: %d MB", filepath.Base(archive), fi.Size()>>20)
	root := filepath.Join(t.TempDir(), "root")
	os.MkdirAll(root, 0o755)
	rc := mutate.Extract(img)
	defer rc.Close()
	cmd := exec.Command("tar", "-x", "--numeric-owner", "-C", root)
	cmd.Stdin = rc
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("unpack %s: %v\n%s", archive, err, out)
	}
	return root
}

// serveAndCheck runs the image's server in a chroot of its file system,
// as the compose file's entrypoint does, and checks its replies.
func serveAndCheck(t *testing.T, root, fn, service string, entry []string) {
	t.Helper()
	port := freePort(t)
	args := append(entry[1:], "--addr=127.0.0.1", fmt.Sprintf("--port=%d", port))
	var out bytes.Buffer
	cmd := exec.Command(entry[0], args...)
	cmd.Path = inRoot(t, root, entry[0]) // as the image's PATH finds it, not the host's
	cmd.Dir = "/app"
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for _, in := range inputs[service] {
		res, err := client.Run(context.Background(), client.Options{Function: fn, Addr: fmt.Sprintf("127.0.0.1:%d", port),
			Input: in, N: 2, Timeout: 60 * time.Second, Log: io.Discard})
		if err != nil {
			t.Fatalf("%s, input %q: %v\nserver output:\n%s", fn, in, err, out.String())
		}
		if res.Errors != 0 || res.Wrong != 0 {
			t.Errorf("%s, input %q: %d errors, %d wrong replies: %+v", fn, in, res.Errors, res.Wrong, res.Records)
		}
	}
	if !strings.Contains(out.String(), "listening on 127.0.0.1") {
		t.Errorf("%s did not say where it listens:\n%s", fn, out.String())
	}
}

// inRoot is where the image's PATH finds a command (a path in the chroot).
func inRoot(t *testing.T, root, cmd string) string {
	t.Helper()
	for _, d := range []string{"/usr/local/bin", "/usr/bin", "/bin"} {
		if _, err := os.Stat(filepath.Join(root, d, cmd)); err == nil {
			return filepath.Join(d, cmd)
		}
	}
	t.Fatalf("the image has no %s on its PATH", cmd)
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
