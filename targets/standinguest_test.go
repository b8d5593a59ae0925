package targets_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/functions/interpreted"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// standinGuest builds the stand-in guest (functions/standinguest, a test
// double of qemu that runs the install's work on the host) as
// qemu-system-x86_64 in a directory for PATH, or skips the test when what
// it needs is missing.
func standinGuest(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the stand-in guest runs containers' commands in a chroot and a network namespace: run as root")
	}
	for tool, pkg := range map[string]string{"qemu-img": "qemu-utils", "mmdebstrap": "mmdebstrap",
		"unshare": "util-linux", "ip": "iproute2"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (package %s; mage image:depInstall installs it)", tool, pkg)
		}
	}
	for _, u := range []string{"http://deb.debian.org/debian", interpreted.DefaultNPMRegistry} {
		if err := download.Reachable(context.Background(), u); err != nil {
			t.Skipf("the Node.js and Python images are built from %s, not reachable: %v", u, err)
		}
	}
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-o", filepath.Join(bin, "qemu-system-x86_64"), "./functions/standinguest")
	cmd.Dir = magetest.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the stand-in guest: %v\n%s", err, out)
	}
	return bin
}

// TestDefaultFunctionsInstallWithAStandinGuest: functions:install of the
// default list (fibonacci in Go, Node.js and Python) with IMAGES=reference
// builds the three languages' images here, serves them to the guest, which
// loads them, runs each function's container command from its image behind
// its port and gets right replies, scans it and prepares it; the install
// record says each is ok. A narrower FUNCTIONS afterwards keeps the disk.
func TestDefaultFunctionsInstallWithAStandinGuest(t *testing.T) {
	bin := standinGuest(t)
	dir := t.TempDir()
	var env []string
	for _, kv := range magetest.Placeholders(t, dir) {
		if !strings.HasPrefix(kv, "INSTALLED_DISK=") {
			env = append(env, kv)
		}
	}
	env = append(env, "WORKING_DIR="+filepath.Join(dir, "wk"), "RESOURCES="+filepath.Join(dir, "res"),
		"GEM5=standin", "IMAGES=reference", "DISTRO=debian", "CPU=tcg", "JOBS=2",
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	r := magetest.Mage(t, dir, env, "functions:install")
	if r.Code != 0 {
		t.Fatalf("functions:install: exit %d\n%s", r.Code, r.Output)
	}
	disk := filepath.Join(dir, "wk", "disk")
	log, err := os.ReadFile(filepath.Join(dir, "wk", "logs", "functions-install.log"))
	if err != nil {
		t.Fatal(err)
	}
	installed, err := os.ReadFile(filepath.Join(disk, "install.json"))
	if err != nil {
		t.Fatal(err)
	}
	var status map[string]string
	if err := json.Unmarshal(installed, &status); err != nil {
		t.Fatal(err)
	}
	scans, err := functions.ReadScans(filepath.Join(disk, "scan.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range []string{"fibonacci-go", "fibonacci-nodejs", "fibonacci-python"} {
		if status[fn] != "ok" {
			t.Errorf("%s: install record %q, want ok", fn, status[fn])
		}
		for _, want := range []string{"VSWARMU-PREPARED " + fn, "VSWARMU-SCAN-DONE " + fn} {
			if !strings.Contains(string(log), want) {
				t.Errorf("the install log lacks %q", want)
			}
		}
		if scans[fn].Where != "host and guest" {
			t.Errorf("%s: scanned on %q, want the host and the guest", fn, scans[fn].Where)
		}
	}
	if !strings.Contains(string(log), "stand-in guest (a test double of qemu") {
		t.Error("the install log does not say its guest was a stand-in")
	}
	for _, c := range []struct{ functions, want string }{
		{"fibonacci-nodejs", "up to date functions:install"},
		{"fibonacci-python fibonacci-go", "up to date functions:install"},
		{"aes-nodejs", "would run functions:install: parameters changed: functions"},
	} {
		r := magetest.Mage(t, dir, append(env, "FUNCTIONS="+c.functions, "DRY_RUN=1"), "functions:install")
		if r.Code != 0 || !strings.Contains(r.Output, c.want) {
			t.Errorf("FUNCTIONS=%s after the install: exit %d, want %q:\n%s", c.functions, r.Code, c.want, r.Output)
		}
	}
}
