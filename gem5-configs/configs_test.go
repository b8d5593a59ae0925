package gem5configs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The config runs under the stand-in gem5 (standin/gem5.opt), whose m5 and
// gem5 modules follow gem5 v24's API for what the config uses, and emulate
// a guest running the run script.

const runScript = `#!/bin/sh
M5="/sbin/m5 --addr"
$M5 fail 1
docker-compose -p vswarmu -f /root/vswarmu/functions.yaml up -d fibonacci-go
$M5 fail 2
docker update function --cpuset-cpus 1
$M5 fail 3
$M5 fail 10
/usr/local/bin/test-client -function-name fibonacci-go -url localhost -port 50000 -n %d -w 5 -m5ops -input 10
$M5 fail 11
$M5 fail 6
$M5 fail -1
`

func gem5(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	cmd := exec.Command("standin/gem5.opt", args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestSetupThenEvaluation(t *testing.T) {
	dir := t.TempDir()
	k, d, script := filepath.Join(dir, "vmlinux"), filepath.Join(dir, "disk.raw"), filepath.Join(dir, "run.sh")
	os.WriteFile(k, nil, 0o644)
	os.WriteFile(d, nil, 0o644)
	os.WriteFile(script, []byte(strings.Replace(runScript, "%d", "20", 1)), 0o644)
	cpt := filepath.Join(dir, "cpt")
	common := []string{"run_sim.py", "--kernel", k, "--disk", d, "--function", "fibonacci-go"}

	out, code := gem5(t, dir, nil, append([]string{"--outdir=" + filepath.Join(dir, "setup")},
		append(common, "--mode", "setup", "--checkpoint-dir", cpt, "--script", script, "--setup-cpu", "kvm")...)...)
	if code != 0 {
		t.Fatalf("setup: exit %d\n%s", code, out)
	}
	for _, want := range []string{"command line: gem5.opt --outdir=", "m5 fail 1: booted", "m5 fail 20: client connected",
		"m5 fail 32: warm-up done", "Checkpoint taken: " + cpt, "Simulation done"} {
		if !strings.Contains(out, want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(cpt, "m5.cpt")); err != nil {
		t.Fatal("no checkpoint:", err)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "setup", "config.json"))
	if !strings.Contains(string(cfg), `"type": "X86KvmCPU"`) || !strings.Contains(string(cfg), "isolcpus=1") ||
		!strings.Contains(string(cfg), "vswarmu.gem5=1") {
		t.Errorf("setup config.json: KVM cores and the kernel command line expected:\n%.2000s", cfg)
	}

	res := filepath.Join(dir, "results")
	out, code = gem5(t, dir, nil, append(
		[]string{"--outdir=" + res},
		append(
			common,
			"--mode",
			"evaluation",
			"--checkpoint-dir",
			cpt,
			"--atomic-warming",
			"10",
			"--num-invocations",
			"10",
			"--system",
			"skylake",
		)...)...)
	if code != 0 {
		t.Fatalf("evaluation: exit %d\n%s", code, out)
	}
	if n := strings.Count(out, "End invokation"); n != 20 {
		t.Errorf("%d invocations ended, want 20:\n%s", n, out)
	}
	if !strings.Contains(out, "Start invokation 10 at tick ") ||
		strings.Index(out, "Switched to the detailed cores") > strings.Index(out, "Start invokation 10 at tick ") ||
		!strings.Contains(out, "Simulation done") {
		t.Errorf("the switch must come before invocation 10:\n%s", out)
	}
	stats, _ := os.ReadFile(filepath.Join(res, "stats.txt"))
	if strings.Count(string(stats), "Begin Simulation Statistics") != 1 ||
		!strings.Contains(string(stats), "board.processor.switch1.core.commitStats0.numInsts") ||
		!strings.Contains(string(stats), "board.cache_hierarchy.l3cache.overallMisses::total") {
		t.Errorf("stats.txt:\n%s", stats)
	}
	cfg, _ = os.ReadFile(filepath.Join(res, "config.json"))
	if !strings.Contains(string(cfg), `"type": "BaseO3CPU"`) {
		t.Errorf("skylake evaluation has no O3 cores in config.json")
	}
}

// One boot checkpoint serves setups of different functions: each restore
// reads its own run script (the guest had not read one at the boot
// checkpoint), and its setup checkpoint serves the evaluation.
func TestBootCheckpointServesEverySetup(t *testing.T) {
	dir := t.TempDir()
	k, d, boot := filepath.Join(dir, "vmlinux"), filepath.Join(dir, "disk.raw"), filepath.Join(dir, "cpt-boot")
	os.WriteFile(k, nil, 0o644)
	os.WriteFile(d, nil, 0o644)
	machine := []string{"run_sim.py", "--kernel", k, "--disk", d, "--setup-cpu", "atomic"}
	out, code := gem5(t, dir, nil, append([]string{"--outdir=" + filepath.Join(dir, "boot")},
		append(machine, "--mode", "boot", "--checkpoint-dir", boot)...)...)
	if code != 0 || !strings.Contains(out, "m5 fail 5: ready for the run script") ||
		!strings.Contains(out, "Checkpoint taken: "+boot) ||
		strings.Contains(out, "m5 fail 1:") {
		t.Fatalf("boot: exit %d, want a checkpoint on fail 5 before any run script:\n%s", code, out)
	}
	for _, fn := range []string{"fibonacci-go", "aes-go"} {
		script, cpt := filepath.Join(dir, fn+".sh"), filepath.Join(dir, "cpt-"+fn)
		os.WriteFile(script, []byte(strings.NewReplacer("%d", "20", "fibonacci-go", fn).Replace(runScript)), 0o644)
		out, code := gem5(t, dir, nil, append(
			[]string{"--outdir=" + filepath.Join(dir, "setup-"+fn)},
			append(
				machine,
				"--mode",
				"setup",
				"--function",
				fn,
				"--checkpoint-dir",
				cpt,
				"--script",
				script,
				"--boot-checkpoint",
				boot,
			)...)...)
		if code != 0 || strings.Contains(out, "m5 fail 5") ||
			!strings.Contains(out, "from the boot checkpoint "+boot) ||
			!strings.Contains(out, "m5 fail 1: booted") ||
			!strings.Contains(out, "Checkpoint taken: "+cpt) {
			t.Fatalf("setup of %s from the boot checkpoint: exit %d\n%s", fn, code, out)
		}
		saved, _ := os.ReadFile(filepath.Join(cpt, "m5.cpt"))
		if !strings.Contains(string(saved), "up -d "+fn) {
			t.Errorf("%s's checkpoint does not hold its own script: %s", fn, saved)
		}
		out, code = gem5(t, dir, nil, append([]string{"--outdir=" + filepath.Join(dir, "eval-"+fn)},
			"run_sim.py", "--kernel", k, "--disk", d, "--function", fn, "--mode", "evaluation", "--checkpoint-dir", cpt,
			"--atomic-warming", "2", "--num-invocations", "3")...)
		if code != 0 || strings.Count(out, "End invokation") != 5 {
			t.Errorf("evaluation of %s: exit %d\n%s", fn, code, out)
		}
	}
	// A boot checkpoint restored onto another board fails as gem5 does.
	out, code = gem5(t, dir, nil, append(
		[]string{"--outdir=" + filepath.Join(dir, "setup-4")},
		append(
			machine,
			"--mode",
			"setup",
			"--function",
			"f",
			"--cpus",
			"4",
			"--checkpoint-dir",
			filepath.Join(dir, "c4"),
			"--script",
			filepath.Join(dir, "aes-go.sh"),
			"--boot-checkpoint",
			boot,
		)...)...)
	if code == 0 || !strings.Contains(out, "in checkpoint") {
		t.Errorf("a boot checkpoint of 2 cores restored onto 4: exit %d\n%s", code, out)
	}
}

func TestEvaluationCountsTooFewInvocations(t *testing.T) {
	dir := t.TempDir()
	k, d, script, cpt := filepath.Join(
		dir,
		"k",
	), filepath.Join(
		dir,
		"d",
	), filepath.Join(
		dir,
		"run.sh",
	), filepath.Join(
		dir,
		"cpt",
	)
	os.WriteFile(k, nil, 0o644)
	os.WriteFile(d, nil, 0o644)
	// The client in this script makes only 12 invocations.
	os.WriteFile(script, []byte(strings.Replace(runScript, "%d", "12", 1)), 0o644)
	common := []string{"run_sim.py", "--kernel", k, "--disk", d, "--function", "f"}
	if out, code := gem5(t, dir, nil, append([]string{"-d", dir + "/s"}, append(common, "--mode", "setup", "--checkpoint-dir", cpt, "--script", script)...)...); code != 0 {
		t.Fatalf("setup: %d\n%s", code, out)
	}
	out, code := gem5(
		t,
		dir,
		nil,
		append([]string{"-d", dir + "/e"}, append(common, "--mode", "evaluation", "--checkpoint-dir", cpt)...)...)
	if code != 3 || !strings.Contains(out, "Evaluation ended after 2 of 10 measured invocations") ||
		strings.Contains(out, "Simulation done") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestArgumentErrors(t *testing.T) {
	dir := t.TempDir()
	k := filepath.Join(dir, "k")
	os.WriteFile(k, nil, 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{
			[]string{
				"run_sim.py",
				"--kernel",
				k,
				"--disk",
				k,
				"--function",
				"f",
				"--mode",
				"setup",
				"--checkpoint-dir",
				dir,
			},
			"--script is required in setup mode",
		},
		{
			[]string{
				"run_sim.py",
				"--kernel",
				k,
				"--disk",
				k,
				"--function",
				"f",
				"--mode",
				"replay",
				"--checkpoint-dir",
				dir,
			},
			"invalid choice: 'replay'",
		},
		{
			[]string{
				"run_sim.py",
				"--kernel",
				k,
				"--disk",
				k,
				"--function",
				"f",
				"--mode",
				"evaluation",
				"--checkpoint-dir",
				dir,
				"--cpus",
				"1",
			},
			"--cpus must be at least 2",
		},
		{
			[]string{"run_sim.py", "--disk", k, "--function", "f", "--mode", "evaluation", "--checkpoint-dir", dir},
			"the following arguments are required: --kernel",
		},
		{
			[]string{
				"run_sim.py",
				"--kernel",
				k,
				"--disk",
				k,
				"--function",
				"f",
				"--mode",
				"evaluation",
				"--checkpoint-dir",
				filepath.Join(dir, "none"),
			},
			"fatal: Can't load checkpoint file",
		},
		{
			[]string{"run_sim.py", "--kernel", k, "--disk", k, "--mode", "evaluation", "--checkpoint-dir", dir},
			"--function is required in evaluation mode",
		},
		{
			[]string{
				"run_sim.py",
				"--kernel",
				k,
				"--disk",
				k,
				"--function",
				"f",
				"--mode",
				"evaluation",
				"--checkpoint-dir",
				dir,
				"--boot-checkpoint",
				dir,
			},
			"--boot-checkpoint is for setup mode",
		},
		{
			[]string{
				"run_sim.py",
				"--kernel",
				k,
				"--disk",
				k,
				"--function",
				"f",
				"--mode",
				"evaluation",
				"--checkpoint-dir",
				dir,
				"--isa",
				"arm",
			},
			"--bootloader is required with --isa arm",
		},
		{
			[]string{
				"run_sim.py",
				"--kernel",
				k,
				"--disk",
				k,
				"--function",
				"f",
				"--mode",
				"evaluation",
				"--checkpoint-dir",
				dir,
				"--bootloader",
				k,
			},
			"--bootloader is for --isa arm",
		},
		{
			[]string{
				"run_sim.py",
				"--kernel",
				k,
				"--disk",
				k,
				"--function",
				"f",
				"--mode",
				"evaluation",
				"--checkpoint-dir",
				dir,
				"--isa",
				"arm",
				"--bootloader",
				k,
				"--topology",
				"two-machine",
				"--drive-disk",
				k,
			},
			"--topology two-machine is for --isa x86",
		},
		{
			[]string{
				"run_sim.py",
				"--kernel",
				k,
				"--disk",
				k,
				"--mode",
				"boot",
				"--checkpoint-dir",
				dir,
				"--isa",
				"arm",
				"--bootloader",
				k,
				"--max-ticks",
				"10",
			},
			"The required ISA is 'ARM'",
		}, // an X86 gem5 cannot run the Arm board
		{[]string{"--bogus", "run_sim.py"}, "no such option: --bogus"},
		{[]string{"no_such_config.py"}, "Could not open configuration file"},
	}
	for _, c := range cases {
		out, code := gem5(t, dir, nil, append([]string{"--outdir=" + filepath.Join(dir, "o")}, c.args...)...)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, output:\n%s\nwant %q", c.args, code, out, c.want)
		}
	}
}

func TestMisbehaviour(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		behavior string
		code     int
		want     string
	}{
		{"fail", 1, "fatal: the stand-in was told to fail"},
		{"crash", -1, "segmentation fault"},
	} {
		out, code := gem5(t, dir, []string{"STANDIN_BEHAVIOR=" + c.behavior}, "--outdir="+dir, "run_sim.py")
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d\n%s", c.behavior, code, out)
		}
	}
}

func TestMaterialize(t *testing.T) {
	dir := t.TempDir()
	p, inProject, err := Config(t.TempDir(), dir)
	if err != nil || inProject != nil {
		t.Fatal(p, inProject, err)
	}
	for _, mod := range []string{"systems.py", "systems.json", "caches.py", "compat.py", "overrides.py"} {
		if _, err := os.Stat(filepath.Join(dir, mod)); err != nil {
			t.Errorf("%s beside run_sim.py: %v", mod, err)
		}
	}
	want, _ := os.ReadFile("run_sim.py")
	if got, _ := os.ReadFile(p); string(got) != string(want) {
		t.Fatal("materialized config differs")
	}
	fi, _ := os.Stat(p)
	if _, _, err := Config(t.TempDir(), dir); err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(p); !fi2.ModTime().Equal(fi.ModTime()) {
		t.Error("an unchanged config was rewritten (its time is an input)")
	}
	g, err := Standin(t.TempDir(), dir, "X86")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(g); err != nil || fi.Mode()&0o100 == 0 {
		t.Fatalf("stand-in %s: %v", g, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "standin", "lib", "m5", "_standin.py")); err != nil {
		t.Fatal("the stand-in library was not written (embed needs all: for _ files):", err)
	}
}

// TestM5AddressOverrideSendsNothing: gem5 v24's util/m5 prints its usage
// for `m5 --addr 0xffff0000 fail 1` and sends no op; the stand-in's guest
// does the same, so a run script written that way loses its fail codes
// here as on a real gem5 (the client's own m5 ops still arrive).
func TestM5AddressOverrideSendsNothing(t *testing.T) {
	dir := t.TempDir()
	k, script, cpt := filepath.Join(dir, "k"), filepath.Join(dir, "run.sh"), filepath.Join(dir, "cpt")
	os.WriteFile(k, nil, 0o644)
	os.WriteFile(
		script,
		[]byte(
			strings.Replace(
				strings.Replace(runScript, `M5="/sbin/m5 --addr"`, `M5="/sbin/m5 --addr 0xffff0000"`, 1),
				"%d",
				"20",
				1,
			),
		),
		0o644,
	)
	out, code := gem5(
		t,
		dir,
		nil,
		"--outdir="+filepath.Join(dir, "o"),
		"run_sim.py",
		"--kernel",
		k,
		"--disk",
		k,
		"--function",
		"f",
		"--mode",
		"setup",
		"--checkpoint-dir",
		cpt,
		"--script",
		script,
	)
	if code != 0 || strings.Contains(out, "m5 fail 1: booted") || strings.Contains(out, "m5 fail 10:") ||
		!strings.Contains(out, "m5 fail 20: client connected") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// The end of a real console (a Debian guest whose containerd failed under
// gem5), as a failed or hung run's reason shows it.
func TestConsoleTail(t *testing.T) {
	dir := t.TempDir()
	console := "[\x1b[0;32m  OK  \x1b[0m] Started \x1b[0;1;39mssh.service\x1b[0m - OpenBSD Secure Shell server.\r\n" +
		"[\x1b[0;1;31mFAILED\x1b[0m] Failed to start \x1b[0;1;39mcontainerd…\x1b[0m - containerd container runtime.\r\n" +
		"See 'systemctl status containerd.service' for details.\r\n\r\n" +
		"         Starting \x1b[0;1;39mdocker.service\x1b[0…er Application Container Engine...\r\n"
	os.WriteFile(filepath.Join(dir, ConsoleFile), []byte(console), 0o644)
	want := "[FAILED] Failed to start containerd… - containerd container runtime. / See 'systemctl status containerd.service' for details. / Starting docker.service…er Application Container Engine..."
	if got := ConsoleTail(dir, 3); got != want {
		t.Errorf("ConsoleTail:\n got %q\nwant %q", got, want)
	}
	if got := ConsoleTail(t.TempDir(), 3); got != "" {
		t.Errorf("no console: %q", got)
	}
}

// TestArmBoardWithTheStandin: --isa arm builds gem5's ArmBoard on an ARM
// gem5 (the stand-in's gem5-arm.opt) as v24.0 does: Arm cores with their
// ArmISA, the platform as board.realview, its Terminal, the boot loader
// and the Arm console on the kernel command line; setup and evaluation
// run the same protocol as on X86.
func TestArmBoardWithTheStandin(t *testing.T) {
	dir := t.TempDir()
	k, d, boot, script := filepath.Join(
		dir,
		"vmlinux",
	), filepath.Join(
		dir,
		"disk.raw",
	), filepath.Join(
		dir,
		"boot.arm64",
	), filepath.Join(
		dir,
		"run.sh",
	)
	for _, f := range []string{k, d, boot} {
		os.WriteFile(f, nil, 0o644)
	}
	os.WriteFile(script, []byte(strings.Replace(runScript, "%d", "20", 1)), 0o644)
	arm := []string{"STANDIN_ISA=arm"}
	common := []string{
		"run_sim.py",
		"--kernel",
		k,
		"--disk",
		d,
		"--function",
		"f",
		"--isa",
		"arm",
		"--bootloader",
		boot,
		"--root",
		"/dev/vda2",
	}
	cpt := filepath.Join(dir, "cpt")
	if out, code := gem5(t, dir, arm, append([]string{"-d", dir + "/s"}, append(common, "--mode", "setup", "--setup-cpu", "atomic",
		"--checkpoint-dir", cpt, "--script", script)...)...); code != 0 {
		t.Fatalf("setup: %d\n%s", code, out)
	}
	out, code := gem5(
		t,
		dir,
		arm,
		append([]string{"-d", dir + "/e"}, append(common, "--mode", "evaluation", "--checkpoint-dir", cpt,
			"--detailed-cpu", "o3")...)...)
	if code != 0 || !strings.Contains(out, "Simulation done") {
		t.Fatalf("evaluation: exit %d\n%s", code, out)
	}
	ini, _ := os.ReadFile(filepath.Join(dir, "e", "config.ini"))
	for _, want := range []string{"[board]\ntype=ArmSystem", "[board.realview]", "[board.terminal]", "type=ArmISA",
		"console=ttyAMA0", "root=/dev/vda2", "isolcpus=1"} {
		if !strings.Contains(string(ini), want) {
			t.Errorf("the Arm evaluation's config.ini lacks %q", want)
		}
	}
	if strings.Contains(string(ini), "idle=halt") || strings.Contains(string(ini), "ttyS0") {
		t.Errorf("the Arm board got the X86 board's kernel arguments")
	}
}

// TestGuestIdle: GUEST_IDLE=kernel drops idle=halt from the X86 kernel's
// command line (the boot's config.ini, as gem5 writes it) and names
// itself in what shapes the boot checkpoint; halt is the default and
// leaves descriptions as they were.
func TestGuestIdle(t *testing.T) {
	for _, tc := range []struct {
		idle     string
		wantHalt bool
	}{{"", true}, {IdleHalt, true}, {IdleKernel, false}} {
		t.Run("idle="+tc.idle, func(t *testing.T) {
			dir := t.TempDir()
			k, script := filepath.Join(dir, "k"), filepath.Join(dir, "run.sh")
			os.WriteFile(k, nil, 0o644)
			os.WriteFile(script, []byte(strings.Replace(runScript, "%d", "20", 1)), 0o644)
			args := append(
				[]string{
					"-d",
					dir + "/s",
					"run_sim.py",
					"--kernel",
					k,
					"--disk",
					k,
					"--function",
					"f",
					"--mode",
					"setup",
					"--checkpoint-dir",
					filepath.Join(dir, "cpt"),
					"--script",
					script,
				},
				Board{Idle: tc.idle}.args()...)
			if out, code := gem5(t, dir, nil, args...); code != 0 {
				t.Fatalf("setup: exit %d\n%s", code, out)
			}
			ini, _ := os.ReadFile(filepath.Join(dir, "s", "config.ini"))
			if got := strings.Contains(string(ini), "idle=halt"); got != tc.wantHalt ||
				!strings.Contains(string(ini), "console=ttyS0") {
				t.Errorf("config.ini has idle=halt: %t, want %t", got, tc.wantHalt)
			}
			d := map[string]string{}
			Board{Idle: tc.idle}.describe(d)
			if _, named := d["guest-idle"]; named == tc.wantHalt {
				t.Errorf("boot description %v: names the idle loop %t, want %t", d, named, !tc.wantHalt)
			}
		})
	}
}
