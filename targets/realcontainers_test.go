package targets_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/results"
)

// The container tier runs fibonacci-go in its container on the real gem5
// (VSWARMU_GEM5) from a Debian disk it builds (VSWARMU_GEM5_CONTAINERS=1;
// it needs the integration tier's tools): image:runtime's containerd,
// runc, Docker and compose v2 (built with this project's Go: Debian's, built with Go
// 1.19, panic on gem5's cores), functions:install under qemu, then
// simulate:all with the default EXEC_MODE on atomic setup cores — the
// boot starts the container runtime before its checkpoint — and an
// evaluation on the simple system's timing cores. 37 minutes on 2 cores,
// its kernel's build included (docs/tests.md); before containerd's
// collector fix the boot alone took 1h39m, so the limits leave room for a
// slower machine.
func TestRealGem5ContainerMode(t *testing.T) {
	if os.Getenv("VSWARMU_GEM5_CONTAINERS") != "1" || os.Getenv("VSWARMU_GEM5") == "" || os.Getenv("VSWARMU_INTEGRATION") == "" {
		t.Skip("set VSWARMU_GEM5_CONTAINERS=1, VSWARMU_GEM5=<gem5.opt> and VSWARMU_INTEGRATION=1 " +
			"to run a function in its container on the real gem5 (about 37 minutes)")
	}
	gem5 := realGem5(t)
	integration(t)
	kernel := testKernel(t)
	res := resourcesDir(t)
	dir := t.TempDir()
	work := filepath.Join(dir, "wk")
	env := []string{
		"GEM5=" + gem5,
		"KERNEL=" + kernel,
		"DISTRO=debian",
		"DEBIAN_VERSION=bookworm",
		"MIRROR=" + hostMirror(t),
		"DISK_SIZE=4G",
		"IMAGES=reference",
		"FUNCTIONS=fibonacci-go",
		"SETUP_CPU=atomic",
		"WARMUP_INVOCATIONS=5",
		"ATOMIC_WARMING=2",
		"NUM_INVOCATIONS=3",
		"HANG_TIMEOUT=75m",
		"BOOT_TIMEOUT=15m",
		"RESOURCES=" + res,
		"WORKING_DIR=" + work,
		"JOBS=2",
		"ROOT_PASSWORD=vswarmu-test",
	}
	run := realRun{dir: dir, work: work, res: res, kernel: kernel, env: env}

	r := run.mage(t, 150*time.Minute, nil, "simulate:all")
	if r.Code != 0 {
		t.Fatalf(
			"simulate:all in container mode on the real gem5: exit %d\n%s\nboot console tail: %s",
			r.Code,
			r.Output,
			consoleTail(filepath.Join(work, "boot", "run")),
		)
	}
	boot, _ := os.ReadFile(filepath.Join(work, "boot", "run", "board.pc.com_1.device"))
	for _, want := range []string{"gem5init: starting containerd and Docker before the boot checkpoint", "gem5init: dockerd without iptables"} {
		if !strings.Contains(string(boot), want) {
			t.Errorf("the boot's console lacks %q:\n%s", want, tail(string(boot), 2000))
		}
	}
	// The setup started the container the install created (compose v2 of
	// image:runtime created it under qemu) through Docker's API.
	setup, _ := os.ReadFile(filepath.Join(work, "setup", "fibonacci-go", "board.pc.com_1.device"))
	if want := "vswarmu: started vswarmu-prepared-fibonacci-go, the container the install created"; !strings.Contains(string(setup), want) {
		t.Errorf("the setup's console lacks %q:\n%s", want, tail(string(setup), 2000))
	}
	res2, err := results.LoadRun(filepath.Join(work, "results", "fibonacci-go"))
	if err != nil {
		t.Fatal(err)
	}
	_, cpu, ok := res2.Measured()
	insts, _ := cpu.Instructions.Value.Float()
	if !ok || insts <= 0 || res2.Provenance.ExecMode != "container" || res2.Provenance.Standin {
		t.Fatalf("measured row: %v, %v instructions, provenance %s", ok, insts, res2.Provenance)
	}
	var meta results.RunMeta
	b, _ := os.ReadFile(filepath.Join(work, "results", "fibonacci-go", results.MetaFile))
	if err := json.Unmarshal(b, &meta); err != nil || meta.Image != "vhiveease/fibonacci-go:latest (a reference image built here from functions/src, IMAGES=reference)" ||
		meta.Gem5SHA256 != sha256Of(t, gem5) {
		t.Fatalf("run record: %v\n%s", err, b)
	}
	if n := measuredInvocations(t, filepath.Join(work, "results", "fibonacci-go", results.LogFile), 2); n != 3 {
		t.Fatalf("%d measured invocations, want 3", n)
	}
	md, _ := os.ReadFile(filepath.Join(work, "results", "report.md"))
	if !strings.Contains(string(md), "function run as a container") {
		t.Errorf("report.md does not say the function ran in its container:\n%s", md)
	}
	t.Logf("fibonacci-go in its container: %.0f instructions, IPC %s; %s", insts, cpu.IPC.Value, res2.Provenance)
}

// consoleTail is the end of a run directory's guest console.
func consoleTail(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "board.pc.com_1.device"))
	return tail(string(b), 2000)
}
