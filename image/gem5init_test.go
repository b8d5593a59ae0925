package image

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gem5init starts containerd and dockerd with the collector setting that
// keeps their start from collecting garbage most of the time (and nothing
// else with it), itself or through systemd: its start_daemons and
// start_runtime run with stub daemons that say the GOGC they got.
func TestDaemonsStartWithTheirCollectorSetting(t *testing.T) {
	agent, _, err := GuestFile("", "gem5init")
	if err != nil {
		t.Fatal(err)
	}
	defs, _, ok := strings.Cut(string(agent), "\nif server=$(arg vswarmu.server)")
	if !ok {
		t.Fatal("gem5init's main block moved: this test runs the definitions above it")
	}
	dir := t.TempDir()
	bin, seen := filepath.Join(dir, "bin"), filepath.Join(dir, "seen")
	os.MkdirAll(bin, 0o755)
	for _, name := range []string{"containerd", "dockerd", "docker", "m5", "systemctl", "curl"} {
		os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\necho \""+name+" GOGC=${GOGC-unset} $*\" >> "+seen+"\n"), 0o755)
	}
	script := strings.NewReplacer("/var/log/", dir+"/", "M5=/sbin/m5", "M5="+filepath.Join(bin, "m5")).Replace(defs) +
		"\nwait_for() { shift; \"$@\" || true; }\nlog() { :; }\ndocker_network() { :; }\nstart_daemons\nwait\ndocker info\n" +
		"systemd_runs() { true; }\nstart_runtime\n"
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("start_daemons: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(seen)
	for _, want := range []string{"containerd GOGC=400 \n", "dockerd GOGC=400 -H", "docker GOGC=unset info",
		"curl GOGC=unset -fsS --unix-socket /var/run/docker.sock -o /dev/null http://localhost/_ping",
		"systemctl GOGC=unset set-environment GOGC=400\nsystemctl GOGC=unset start containerd.service docker.service\n" +
			"systemctl GOGC=unset unset-environment GOGC"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the daemons' start lacks %q:\n%s", want, got)
		}
	}
}
