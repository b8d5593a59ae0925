package image

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// The runtime's description names each module's patches with their
// contents' hashes (a changed patch rebuilds the runtime), only for the
// programs built from the patched module.
func TestRuntimeDescriptionNamesThePatches(t *testing.T) {
	ps, err := ModulePatches("github.com/docker/docker")
	if err != nil || len(ps) < 2 {
		t.Fatalf("docker's patches: %v, %v", ps, err)
	}
	d := Runtime{Arch: "amd64"}.Description()
	for _, name := range []string{"dockerd", "docker-proxy"} {
		for _, p := range ps {
			if !strings.Contains(d[name], p.Name+"@") {
				t.Errorf("%s's description lacks %s: %s", name, p.Name, d[name])
			}
		}
	}
	for _, name := range []string{"containerd", "runc", "docker", "docker-compose"} {
		if strings.Contains(d[name], "patches=") {
			t.Errorf("%s is built from an unpatched module, yet: %s", name, d[name])
		}
	}
	if p := patchesParam("github.com/docker/docker"); !strings.Contains(p, "@") {
		t.Errorf("patchesParam = %q", p)
	}
}

// The setkey patch names the path image:build installs vswarmu-setkey at.
func TestTheSetKeyPatchNamesTheHooksPath(t *testing.T) {
	ps, _ := ModulePatches("github.com/docker/docker")
	for _, p := range ps {
		if strings.Contains(p.Name, "libnetwork-setkey") {
			if !bytes.Contains(p.Text, []byte(`"`+SetKeyHookPath+`"`)) {
				t.Errorf("%s does not name %s", p.Name, SetKeyHookPath)
			}
			return
		}
	}
	t.Fatal("no libnetwork-setkey patch")
}

// Every patch applies, in order, to the module at the version the runtime
// pins (git apply --check on the module cache's copy, read only).
func TestDockerPatchesApplyToThePinnedModule(t *testing.T) {
	for _, c := range RuntimeComponents {
		ps, _ := ModulePatches(c.Module)
		if len(ps) == 0 {
			continue
		}
		out, err := exec.Command("go", "mod", "download", "-json", c.Module+"@"+c.Version).Output()
		var info struct{ Dir string }
		if err != nil || json.Unmarshal(out, &info) != nil || info.Dir == "" {
			t.Skipf("%s@%s not downloadable here (needs the Go module proxy): %v", c.Module, c.Version, err)
		}
		// git apply --check of all of them at once: later ones may build on earlier ones.
		var all bytes.Buffer
		for _, p := range ps {
			all.Write(p.Text)
		}
		cmd := exec.Command("git", "apply", "--check", "-")
		cmd.Dir, cmd.Stdin = info.Dir, &all
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s@%s: the patches do not apply: %v\n%s", c.Module, c.Version, err, b)
		}
		return
	}
	t.Fatal("no runtime module has patches")
}
