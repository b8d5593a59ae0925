package image

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// plainRunner runs commands without a registry (no mage session here).
type plainRunner struct{}

func (plainRunner) Command(name string, args ...string) *proc.Cmd { return proc.Command(name, args...) }

// TestInjectFollowsMergedUsr writes files into a disk whose /sbin is a
// link to usr/sbin (Debian 12 and Ubuntu since 20.04 merge /usr): debugfs
// cannot write through the link, so the files go to its target.
func TestInjectFollowsMergedUsr(t *testing.T) {
	for _, tool := range []string{"mkfs.ext4", "sfdisk", "debugfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install e2fsprogs fdisk)", tool)
		}
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, d := range []string{"usr/sbin", "usr/lib", "etc"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.Symlink("usr/sbin", filepath.Join(root, "sbin"))
	os.Symlink("/usr/lib", filepath.Join(root, "lib"))
	raw := filepath.Join(dir, "disk.raw")
	ctx := context.Background()
	if err := MakeDisk(ctx, plainRunner{}, root, raw, 16<<20); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "m5")
	os.WriteFile(src, []byte("m5 utility\n"), 0o755)
	files := []Inject{
		{Src: src, Dst: "/sbin/m5", Mode: 0o755},
		{Src: src, Dst: "/lib/vswarmu/tool", Mode: 0o644},
		{Src: src, Dst: "/etc/vswarmu/new/file", Mode: 0o644},
	}
	if err := injectFiles(ctx, plainRunner{}, raw, files, []Link{{Path: "/sbin/m5-link", Target: "/sbin/m5"}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/usr/sbin/m5", "/sbin/m5", "/usr/lib/vswarmu/tool", "/etc/vswarmu/new/file"} {
		if b, err := ReadFile(ctx, raw, p); err != nil || string(b) != "m5 utility\n" {
			t.Errorf("%s: %q, %v", p, b, err)
		}
	}
	out, _ := proc.Command("debugfs", "-R", "stat /usr/sbin/m5-link", raw+"?offset=2097152").Output(ctx)
	if !linkDest.Match(out) {
		t.Errorf("the link was not made in usr/sbin:\n%s", out)
	}
}
