package targets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/kernel"
)

func TestKernelCheckNamesMissingOptions(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("#\n# Linux/x86 6.1 Kernel Configuration\n#\n")
	for _, g := range kernel.Requirements {
		for _, r := range g.Items {
			if r.Arch == "arm64" {
				continue
			}
			for _, s := range r.AnyOf[len(r.AnyOf)-1] {
				if s != "OVERLAY_FS" {
					b.WriteString("CONFIG_" + s + "=y\n")
				}
			}
		}
	}
	b.WriteString("# CONFIG_OVERLAY_FS is not set\n")
	cfg := filepath.Join(dir, "missing-overlay.config")
	os.WriteFile(cfg, []byte(b.String()), 0o644)
	placeholder := filepath.Join(dir, "vmlinux")
	os.WriteFile(placeholder, nil, 0o644)
	env := []string{"WORKING_DIR=" + filepath.Join(dir, "wk"), "RESOURCES=" + filepath.Join(dir, "res"), "KERNEL=" + placeholder, "KERNEL_CONFIG=" + cfg}
	r := magetest.Mage(t, dir, env, "kernel:check")
	if r.Code == 0 || !strings.Contains(r.Output, "✘ CONFIG_OVERLAY_FS missing") ||
		!strings.Contains(r.Output, "lacks required options:\n  CONFIG_OVERLAY_FS (Docker: storage driver overlay2") {
		t.Fatalf("exit %d:\n%s", r.Code, r.Output)
	}
	os.WriteFile(cfg, []byte(b.String()+"CONFIG_OVERLAY_FS=y\n"), 0o644)
	if r := magetest.Mage(t, dir, env, "kernel:check"); r.Code != 0 || !strings.Contains(r.Output, "has every required option") {
		t.Fatalf("complete config: exit %d\n%s", r.Code, r.Output)
	}
	os.WriteFile(cfg, []byte("CONFIG_A=y\nthis is not a config\n"), 0o644)
	if r := magetest.Mage(t, dir, env, "kernel:check"); r.Code == 0 || !strings.Contains(r.Output, cfg+":2: not a kernel config line") {
		t.Fatalf("malformed config: exit %d\n%s", r.Code, r.Output)
	}
}

func TestKernelSourceFromGitAtTheTag(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "linux-stable")
	os.MkdirAll(repo, 0o755)
	writeFile(t, filepath.Join(repo, "Kconfig"), "mainmenu \"Linux\"\n")
	writeFile(t, filepath.Join(repo, "Makefile"), "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 7\n")
	git(t, repo, "init", "-q", "-b", "master")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-qm", "6.1.7")
	git(t, repo, "tag", "v6.1.7")
	writeFile(t, filepath.Join(repo, "Makefile"), "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 8\n")
	git(t, repo, "commit", "-qam", "6.1.8")
	env := []string{"WORKING_DIR=" + filepath.Join(dir, "wk"), "RESOURCES=" + filepath.Join(dir, "res"),
		"KERNEL_SOURCE=git::file://" + repo, "KVERSION=v6.1.7"}
	r := magetest.Mage(t, dir, env, "kernel:source")
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s", r.Code, r.Output)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "res", "kernel", "linux-6.1.7-git", "Makefile"))
	if !strings.Contains(string(b), "SUBLEVEL = 7") {
		t.Fatalf("checked out %q, want the v6.1.7 tag", b)
	}
	r = magetest.Mage(t, dir, append(env, "KVERSION=v6.1.99"), "kernel:source")
	if r.Code == 0 || !strings.Contains(r.Output, "is v6.1.99 a tag there?") {
		t.Fatalf("unknown tag: exit %d\n%s", r.Code, r.Output)
	}
}
