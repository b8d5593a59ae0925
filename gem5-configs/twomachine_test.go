package gem5configs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/functions"
)

func twoMachines(work string) Simulation {
	return Simulation{
		Machine: Machine{
			ExecMode:      functions.Process,
			CPUs:          2,
			MemoryMiB:     2048,
			Topology:      TwoMachine,
			DriveDisk:     "/d/drive.raw",
			LinkDelay:     "2us",
			LinkBandwidth: "10Gbps",
			Config:        "run_sim.py",
			Kernel:        "/k",
			Disk:          "/d/disk.raw",
			Root:          "/dev/sda2",
		},
		Workload:   Workload{Function: "fibonacci-go", Port: 50051, Warmup: 5},
		Evaluation: Evaluation{AtomicWarming: 2, Invocations: 3},
		Runner:     Runner{Work: work},
	}
}

// The two machines' scripts split the single machine's: the test system
// starts and pins the function and brings its card up last; only the
// drive system runs the client, against the test system's address.
func TestTwoMachineScripts(t *testing.T) {
	s := twoMachines("/wk")
	test, drive := s.RunScript(), s.DriveScript()
	for _, c := range []struct {
		script, want string
	}{
		{test, "ip addr add 10.0.2.17/24 dev eth0"},
		{test, functions.Launcher + " -cpus 1 "},
		{test, "$M5 fail 3\n# The card comes up once the function runs and is pinned: the drive system waits for it.\nip link set eth0 up"},
		{drive, "ip addr add 10.0.2.18/24 dev eth0"},
		{drive, "until ping -c 1 -W 1 10.0.2.17"},
		{drive, "/usr/local/bin/test-client -function-name fibonacci-go -url 10.0.2.17 -port 50051 -n 100 -w 5 -m5ops"},
		{drive, "$M5 fail -1"},
	} {
		if !strings.Contains(c.script, c.want) {
			t.Errorf("script lacks %q:\n%s", c.want, c.script)
		}
	}
	if strings.Contains(test, "test-client") || strings.Contains(test, "fail -1") {
		t.Errorf("the test system's script runs the client or ends the run:\n%s", test)
	}
	s.ExecMode = functions.Container
	if d := s.DriveScript(); !strings.Contains(d, "-port 50000 ") {
		t.Errorf("in container mode the client uses the published port:\n%s", d)
	}
}

// The topologies keep their checkpoints, setups and scripts apart; a
// single machine's descriptions do not change.
func TestTwoMachinesKeepTheirOwnDirectories(t *testing.T) {
	two := twoMachines("/wk")
	one := two
	one.Topology, one.DriveDisk = "", ""
	for _, c := range []struct{ one, two, want string }{
		{one.CheckpointDir(), two.CheckpointDir(), "/wk/cpt-two-machine/fibonacci-go"},
		{one.BootCheckpointDir(), two.BootCheckpointDir(), "/wk/boot-two-machine/cpt"},
		{one.SetupDir(), two.SetupDir(), "/wk/setup-two-machine/fibonacci-go"},
		{one.ScriptPath(), two.ScriptPath(), "/wk/scripts-two-machine/fibonacci-go.sh"},
	} {
		if c.one == c.two || c.two != c.want {
			t.Errorf("single %s, two machines %s, want %s", c.one, c.two, c.want)
		}
	}
	if _, ok := one.BootDescription()["TOPOLOGY"]; ok {
		t.Errorf("a single machine's boot description names a topology: %v", one.BootDescription())
	}
	if d := two.EvalDescription(); d["TOPOLOGY"] != TwoMachine || d["LINK_DELAY"] != "2us" ||
		d["LINK_BANDWIDTH"] != "10Gbps" {
		t.Errorf("evaluation description %v", d)
	}
	if _, ok := two.BootDescription()["LINK_DELAY"]; ok {
		t.Errorf("the boot runs on the default link, whatever LINK_DELAY says: %v", two.BootDescription())
	}
	args := strings.Join(two.machineArgs(), " ")
	if !strings.Contains(args, "--topology two-machine --drive-disk /d/drive.raw") {
		t.Errorf("machine arguments: %s", args)
	}
}

// With the stand-in: one boot checkpoint of both systems (taken when the
// second reaches its run script), a setup from it, an evaluation whose
// work items come from the drive system and whose statistics tell the
// systems apart; a single machine's config cannot restore it.
func TestTwoMachinesWithTheStandin(t *testing.T) {
	dir := t.TempDir()
	k, d, dd := filepath.Join(dir, "vmlinux"), filepath.Join(dir, "disk.raw"), filepath.Join(dir, "drive.raw")
	for _, f := range []string{k, d, dd} {
		os.WriteFile(f, nil, 0o644)
	}
	s := twoMachines(dir)
	os.WriteFile(filepath.Join(dir, "test.sh"), []byte(s.RunScript()), 0o644)
	os.WriteFile(filepath.Join(dir, "drive.sh"), []byte(s.DriveScript()), 0o644)
	machine := []string{
		"run_sim.py",
		"--kernel",
		k,
		"--disk",
		d,
		"--setup-cpu",
		"atomic",
		"--topology",
		"two-machine",
		"--drive-disk",
		dd,
	}
	run := func(out string, args ...string) string {
		t.Helper()
		text, code := gem5(
			t,
			dir,
			nil,
			append(append([]string{"--outdir=" + filepath.Join(dir, out)}, machine...), args...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", out, code, text)
		}
		return text
	}
	boot := run("boot", "--mode", "boot", "--checkpoint-dir", filepath.Join(dir, "bcpt"))
	if strings.Count(boot, "m5 fail 5") != 2 || !strings.Contains(boot, "1 of 2 systems ready") ||
		strings.Count(boot, "Checkpoint taken") != 1 {
		t.Fatalf("boot: want one checkpoint once both systems are ready:\n%s", boot)
	}
	setup := run(
		"setup",
		"--mode",
		"setup",
		"--function",
		"fibonacci-go",
		"--checkpoint-dir",
		filepath.Join(dir, "cpt"),
		"--script",
		filepath.Join(dir, "test.sh"),
		"--drive-script",
		filepath.Join(dir, "drive.sh"),
		"--boot-checkpoint",
		filepath.Join(dir, "bcpt"),
	)
	order := regexp.MustCompile(`(?s)fail 3: .*fail 10: .*fail 32: .*Checkpoint taken`)
	if !order.MatchString(setup) || strings.Contains(setup, "m5 fail 5") {
		t.Fatalf(
			"setup from the boot checkpoint: want the function pinned, then the client, then the checkpoint:\n%s",
			setup,
		)
	}
	eval := run(
		"eval",
		"--mode",
		"evaluation",
		"--function",
		"fibonacci-go",
		"--checkpoint-dir",
		filepath.Join(dir, "cpt"),
		"--atomic-warming",
		"2",
		"--num-invocations",
		"3",
		"--link-delay",
		"2us",
		"--link-bandwidth",
		"10Gbps",
	)
	if strings.Count(eval, "End invokation") != 5 || !strings.Contains(eval, "link 2us, 10Gbps") {
		t.Fatalf("evaluation:\n%s", eval)
	}
	stats, _ := os.ReadFile(filepath.Join(dir, "eval", "stats.txt"))
	for _, want := range []string{"board.processor.switch1.core.numCycles", "drive.processor.cores.core.numCycles"} {
		if !strings.Contains(string(stats), want) {
			t.Errorf("stats.txt lacks %s", want)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "eval", "config.ini"))
	for _, want := range []string{"[board.pc.ethernet]", "[drive.pc.ethernet]", "[board.workload.intel_mp_table.ethernet_route]"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config.ini lacks %s", want)
		}
	}
	// A single machine cannot restore two machines' checkpoint.
	out, code := gem5(
		t,
		dir,
		nil,
		"--outdir="+filepath.Join(dir, "one"),
		"run_sim.py",
		"--kernel",
		k,
		"--disk",
		d,
		"--function",
		"fibonacci-go",
		"--mode",
		"evaluation",
		"--checkpoint-dir",
		filepath.Join(dir, "cpt"),
	)
	if code == 0 || !strings.Contains(out, "Can't find section 'drive' in checkpoint") {
		t.Errorf("a single machine restored two machines' checkpoint: exit %d\n%s", code, out)
	}
}

func TestTwoMachineArgumentErrors(t *testing.T) {
	dir := t.TempDir()
	k := filepath.Join(dir, "k")
	os.WriteFile(k, nil, 0o644)
	common := []string{
		"--outdir=" + filepath.Join(dir, "o"),
		"run_sim.py",
		"--kernel",
		k,
		"--disk",
		k,
		"--function",
		"f",
		"--checkpoint-dir",
		dir,
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "evaluation", "--topology", "two-machine"}, "--drive-disk is required with --topology two-machine"},
		{[]string{"--mode", "setup", "--script", k, "--topology", "two-machine", "--drive-disk", k}, "--drive-script is required in setup mode"},
		{[]string{"--mode", "evaluation", "--drive-disk", k}, "--drive-disk and --drive-script are for --topology two-machine"},
		{[]string{"--mode", "evaluation", "--topology", "three"}, "invalid choice: 'three'"},
	} {
		out, code := gem5(t, dir, nil, append(common, c.args...)...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, want %q:\n%s", c.args, code, c.want, out)
		}
	}
}

// A container-mode boot starts Docker: two machines keep its iptables
// rules (vswarmu.iptables=1, the drive system's DNAT); one machine and a
// process-mode boot say nothing of them (gem5init then turns them off).
func TestDockerNetworkKernelArgs(t *testing.T) {
	for _, c := range []struct {
		topology string
		mode     string
		want     string
	}{
		{TwoMachine, functions.Container, "vswarmu.docker=1 vswarmu.iptables=1"},
		{Single, functions.Container, "vswarmu.docker=1 ipv6.disable=1"},
		{"", functions.Container, "vswarmu.docker=1 ipv6.disable=1"},
		{TwoMachine, functions.Process, ""},
	} {
		s := twoMachines("/wk")
		s.Topology, s.ExecMode = c.topology, c.mode
		if got := s.kernelArgs(); got != c.want {
			t.Errorf("TOPOLOGY=%q EXEC_MODE=%s: kernel args %q, want %q", c.topology, c.mode, got, c.want)
		}
	}
}

// A container-mode boot or setup on atomic cores waits out the container
// runtime's silent start; other runs keep HANG_TIMEOUT.
func TestQuietForTheRuntimeStart(t *testing.T) {
	for _, c := range []struct {
		mode, cpu string
		want      bool
	}{
		{functions.Container, "atomic", true},
		{"", "atomic", true}, // container is the default mode
		{functions.Container, "kvm", false},
		{functions.Process, "atomic", false},
	} {
		s := twoMachines("/wk")
		s.ExecMode = c.mode
		if got := s.quietFor(c.cpu); (got >= RuntimeQuiet) != c.want {
			t.Errorf("EXEC_MODE=%q on %s cores: quiet for %v", c.mode, c.cpu, got)
		}
	}
}
