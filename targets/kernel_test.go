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
			if r.Arch == "arm64" || len(r.AnyOf) == 0 { // NoneOf requirements: nothing to set
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
	env := []string{
		"WORKING_DIR=" + filepath.Join(dir, "wk"),
		"RESOURCES=" + filepath.Join(dir, "res"),
		"KERNEL=" + placeholder,
		"KERNEL_CONFIG=" + cfg,
	}
	r := magetest.Mage(t, dir, env, "kernel:check")
	if r.Code == 0 || !strings.Contains(r.Output, "✘ CONFIG_OVERLAY_FS missing") ||
		!strings.Contains(r.Output, "lacks required options:\n  CONFIG_OVERLAY_FS (Docker: storage driver overlay2") {
		t.Fatalf("exit %d:\n%s", r.Code, r.Output)
	}
	os.WriteFile(cfg, []byte(b.String()+"CONFIG_OVERLAY_FS=y\n"), 0o644)
	if r := magetest.Mage(t, dir, env, "kernel:check"); r.Code != 0 ||
		!strings.Contains(r.Output, "has every required option") {
		t.Fatalf("complete config: exit %d\n%s", r.Code, r.Output)
	}
	os.WriteFile(cfg, []byte("CONFIG_A=y\nthis is not a config\n"), 0o644)
	if r := magetest.Mage(t, dir, env, "kernel:check"); r.Code == 0 ||
		!strings.Contains(r.Output, cfg+":2: not a kernel config line") {
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

func TestKernelPatchAppliesOnceAndNamesAPatchThatDoesNotApply(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "linux")
	writeFile(t, filepath.Join(src, "Makefile"), "VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n")
	writeFile(t, filepath.Join(src, "Kconfig"), "mainmenu \"Linux\"\n")
	writeFile(t, filepath.Join(src, "init", "main.c"), "int a;\nint b;\n")
	good := filepath.Join(dir, "0001-gem5.patch")
	writeFile(t, good, "--- a/init/main.c\n+++ b/init/main.c\n@@ -1,2 +1,3 @@\n int a;\n+int gem5;\n int b;\n")
	bad := filepath.Join(dir, "0002-other-tree.patch")
	writeFile(t, bad, "--- a/init/main.c\n+++ b/init/main.c\n@@ -1,2 +1,3 @@\n int x;\n+int y;\n int z;\n")
	env := []string{"WORKING_DIR=" + filepath.Join(dir, "wk"), "RESOURCES=" + filepath.Join(dir, "res"),
		"KERNEL_SOURCE=" + src, "KERNEL_PATCHES=" + good}
	main := filepath.Join(src, "init", "main.c")

	if r := magetest.Mage(t, dir, env, "kernel:patch"); r.Code != 0 || !strings.Contains(r.Output, "▶ kernel:patch") {
		t.Fatalf("first run: exit %d\n%s", r.Code, r.Output)
	}
	if b, _ := os.ReadFile(main); string(b) != "int a;\nint gem5;\nint b;\n" {
		t.Fatalf("patched file = %q", b)
	}
	if r := magetest.Mage(t, dir, env, "kernel:patch"); r.Code != 0 || !strings.Contains(r.Output, "nothing to do") {
		t.Fatalf("second run: exit %d\n%s", r.Code, r.Output)
	}
	// Forced again, an applied patch is recognised, not applied twice.
	if r := magetest.Mage(t, dir, append(env, "FORCE=kernel:patch"), "kernel:patch"); r.Code != 0 {
		t.Fatalf("forced run: exit %d\n%s", r.Code, r.Output)
	}
	if b, _ := os.ReadFile(main); string(b) != "int a;\nint gem5;\nint b;\n" {
		t.Fatalf("patch applied twice: %q", b)
	}
	// A patch for another tree fails naming it; the stamp does not claim it.
	r := magetest.Mage(t, dir, append(env[:len(env)-1], "KERNEL_PATCHES="+good+" "+bad), "kernel:patch")
	if r.Code == 0 || !strings.Contains(r.Output, "patch "+bad+" does not apply to "+src) {
		t.Fatalf("bad patch: exit %d\n%s", r.Code, r.Output)
	}
	if b, _ := os.ReadFile(filepath.Join(src, ".vswarmu-patches")); strings.Contains(string(b), bad) {
		t.Fatalf("stamp lists the patch that failed: %q", b)
	}
}
