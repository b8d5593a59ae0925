package gem5configs

// Simulations: per function, a setup run of gem5 (boot, start the
// function, warm it up, take a checkpoint) and an evaluation run (restore,
// warm caches on atomic cores, measure on the detailed cores, dump
// statistics). Each gem5 runs as a registered process, watched for hangs:
// no output for HangTimeout kills it, and it is tried once more.

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/results"
)

// Simulation is one function's simulation: the machine it runs on, the
// function and how the guest drives it, what an evaluation measures, and
// how gem5 is run. A boot takes only the machine (and a runner).
type Simulation struct {
	Machine
	Workload
	Evaluation
	Runner
}

// Machine is the simulated machine: the files gem5 boots and the board,
// cores and memory they run on, and how the machines are arranged.
type Machine struct {
	Gem5       string // gem5.opt
	Config     string // run_sim.py
	Kernel     string
	Disk       string // the raw disk with the functions installed
	Standin    bool   // gem5 is the stand-in: its numbers are not measurements
	CPUs       int
	MemoryMiB  int64
	Root       string // root device on the kernel command line
	SetupCPU   string // kvm or atomic
	KernelArgs string // more kernel command line arguments
	Init       string // the test system's init ("" for the disk's own): image.LeanInit boots without systemd
	Board      Board  // the board of the system under test: X86 (the zero value) or Arm
	// Topology names the arrangement (TopologyNames; "" is Single); with
	// TwoMachine DriveDisk boots the drive system, and the evaluation's
	// link has LinkDelay and LinkBandwidth (gem5 values: 1us, 1Gbps).
	Topology      string
	DriveDisk     string
	LinkDelay     string
	LinkBandwidth string
	// ExecMode is how the guest runs functions: container or process
	// (functions.Container, functions.Process); a container-mode boot
	// starts the container runtime.
	ExecMode string
	// Gem5Patches are the project's patches gem5 was built with (gem5:patch),
	// "" for a gem5 given by GEM5.
	Gem5Patches string
}

// Workload is the function and how the guest starts and drives it.
type Workload struct {
	Function string
	Client   string    // the name the client drives Function by (its vswarmu.client label); Function when empty
	Port     int       // the function's own port, which the client uses in process mode
	Image    string    // the function's image, for the run's record
	Warmup   int       // client warm-up invocations before the checkpoint
	GuestDir string    // where the guest keeps the compose file
	Lukewarm *Lukewarm // a lukewarm setup (Function LukewarmName) or evaluation; nil for one function
	// CPUTimes: the setup's run script prints the guest's CPU time
	// accounting at its start and before its client (GUEST_CPU_TIMES).
	CPUTimes bool
	// Scans is the install's scan record (functions.ReadScans): the
	// evaluation's record carries its function's image scan.
	Scans string
}

// Evaluation is what an evaluation measures, and where it keeps it.
type Evaluation struct {
	System        string // simple or skylake
	DetailedCPU   string // timing, minor or o3; "" for the system's
	AtomicWarming int
	Invocations   int
	Measurement   string   // window ("" too) or per-invocation
	Point         string   // the sweep point an evaluation measures ("" for none)
	Overrides     []string // run_sim.py options of the point beyond the fields above (--clock 2GHz, --l2-size 1MB)
	Results       string   // the evaluation's output directory (default: WORKING_DIR/results/<function>)
}

// Runner is how and where gem5 runs.
type Runner struct {
	Work        string // $WORKING_DIR
	HangTimeout time.Duration
	Timeout     time.Duration
	// BootCheckpoint is the boot checkpoint (BootCheckpointDir) the setup
	// restores instead of booting; "" boots.
	BootCheckpoint string
	Files          *Files   // identifies input files for the runs' records (shared, nil-safe)
	Exec           Executor // runs gem5 (nil: Local)
	// ResolveSetupCPU turns SetupCPU=auto into kvm or atomic when the
	// setup runs (it may boot a probe).
	ResolveSetupCPU func(ctx context.Context, r qemu.Commander) string
	// Prober probes gem5 before it runs (once per binary; nil: not probed).
	Prober *Prober
	// Systems is the systems catalogue, whose memory models the runs'
	// records name.
	Systems Catalogue
}

// CheckpointDir is where setup leaves the checkpoint.
func (s Simulation) CheckpointDir() string { return filepath.Join(s.Work, s.area("cpt"), s.Function) }

// BootCheckpointDir is where Boot leaves the boot checkpoint (one for
// every function on the disk).
func (s Simulation) BootCheckpointDir() string { return filepath.Join(s.Work, s.area("boot"), "cpt") }

// BootDir holds the boot run's gem5 outputs.
func (s Simulation) BootDir() string { return filepath.Join(s.Work, s.area("boot"), "run") }

// SetupDir holds the setup run's gem5 outputs.
func (s Simulation) SetupDir() string { return filepath.Join(s.Work, s.area("setup"), s.Function) }

// ResultsDir holds the evaluation run's gem5 outputs:
// WORKING_DIR/results/<RunName>, unless Results says otherwise.
func (s Simulation) ResultsDir() string {
	return cmp.Or(s.Results, filepath.Join(s.Work, "results", s.RunName()))
}

// RunName names an evaluation's results: the function, and after an @
// what sets the run apart from the default one (the X86 board, the simple
// system, its own cores, one machine) — fibonacci-go@skylake,
// aes-go@o3-two-machine, fibonacci-go@arm — so runs of other boards,
// systems and topologies are kept apart, each labelled.
func (s Simulation) RunName() string {
	var labels []string
	if s.Board.IsArm() {
		labels = append(labels, Arm)
	}
	if s.System != "" && s.System != DefaultSystem {
		labels = append(labels, s.System)
	}
	if s.DetailedCPU != "" {
		labels = append(labels, s.DetailedCPU)
	}
	labels = s.labelled(labels)
	if len(labels) == 0 {
		return s.Function
	}
	return s.Function + "@" + strings.Join(labels, "-")
}

// DefaultSystem is the system a run's name does not mention.
const DefaultSystem = "simple"

// ScriptPath is the run script handed to the guest.
func (s Simulation) ScriptPath() string {
	return filepath.Join(s.Work, s.area("scripts"), s.Function+".sh")
}

// MeasuredCPU is the core the function runs on (core 1, pinned and
// isolated) among the detailed cores of gem5's standard-library
// switchable processor: board.processor.switch1.core (gem5 numbers a
// list of SimObjects with zero-padded indices: switch01 from 11 cores).
func (s Simulation) MeasuredCPU() string {
	return "board.processor." + Gem5Child("switch", 1, s.CPUs) + ".core"
}

// Gem5Child is the name gem5 gives element i of a list of n SimObjects
// assigned to attr: attr itself for a list of one, else attr and the
// index, zero-padded to the digits of n-1.
func Gem5Child(attr string, i, n int) string {
	if n == 1 {
		return attr
	}
	width := len(fmt.Sprint(n - 1))
	return fmt.Sprintf("%s%0*d", attr, width, i)
}

// m5Line invokes the guest's m5 utility. gem5 v24's util/m5 does not read
// an address after --addr (it prints its usage and sends nothing), so the
// address interface is chosen with --addr alone: m5ops_base's default on
// x86 (0xffff0000) and arm64 (0x10010000).
const m5Line = `M5="/sbin/m5 --addr"`

// RunScript is the script the guest runs (m5 readfile): vSwarm-u's
// protocol of m5 fail codes around starting, pinning and invoking the
// function, in a container (docker-compose) or as a plain process. With
// two machines it is the test system's, and DriveScript invokes.
func (s Simulation) RunScript() string {
	if s.Lukewarm != nil {
		return s.lukewarmSetupScript()
	}
	return s.topology().RunScript(s)
}

// singleScript is the run script of one machine: the client on core 0
// invokes the function on core 1.
func (s Simulation) singleScript() string {
	start, stop, port := s.containerLines()
	if s.ExecMode == functions.Process {
		start, stop, port = s.processLines()
	}
	return fmt.Sprintf(`#!/bin/sh
# vswarmu-mage run script for %[1]s, %[2]s mode (handed to the guest by m5 readfile).
%[3]s
%[10]s
vswarmu_cpu start
$M5 fail 1
%[4]s
vswarmu_cpu client
$M5 fail 10
/usr/local/bin/test-client -function-name %[5]s -url localhost -port %[6]d -n %[7]d -w %[8]d -m5ops -input 10 -timeout 600s
$M5 fail 11
%[9]s
$M5 fail -1
`, s.Function, cmp.Or(s.ExecMode, functions.Container), m5Line, start, cmp.Or(s.Client, s.Function), port,
		s.ClientInvocations(), s.Warmup, stop, s.cpuTimes())
}

// cpuTimes defines vswarmu_cpu: the snapshot with CPUTimes, else nothing
// (the two snapshots cost a setup about 25 M instructions, most of them
// the guest kernel's /proc).
func (s Simulation) cpuTimes() string {
	if s.CPUTimes {
		return cpuTimes
	}
	return "vswarmu_cpu() { :; }"
}

// cpuTimes defines vswarmu_cpu, which prints the guest's CPU time
// accounting with a label: /proc/stat's per-CPU lines and every process's
// /proc/<pid>/stat (results.ReadCPUTimes reads them; report:steps says
// where a setup's instructions went). One sed reads them all: natively
// 0.3 M user instructions against 4.4 M for the shell built-ins' loop it
// replaced; on gem5's atomic cores a setup's first step, which takes one
// snapshot, fell from 20.1 M to 17.4 M instructions (7.2 M without it:
// most of a snapshot is the guest kernel's /proc).
var cpuTimes = `vswarmu_cpu() {
	sed -n -e "/^cpu[0-9]/s/^/` + results.CPULine + ` $1 /p" -e "/^[0-9]/s/^/` + results.CPULine + ` $1 /p" /proc/stat /proc/[0-9]*/stat 2> /dev/null
}`

// dockerUp starts Docker in the guest, or shows on the console why it did
// not start and ends the run with m5 fail 7 (instead of waiting forever).
// A running dockerd (its socket, and the pid in its pid file alive, as a
// container-mode boot checkpoint has it) is trusted without `docker
// info`, which as a Go program cost 16 minutes of host time per setup on
// atomic cores.
const dockerUp = dockerRunning + ` || docker info > /dev/null 2>&1 || systemctl start docker.service || { tail -n 15 /var/log/containerd.log /var/log/dockerd.log 2> /dev/null; for u in containerd.service docker.service; do echo "$u: $(systemctl show -p ActiveState,Result,ExecMainCode,ExecMainStatus,NRestarts --value $u | tr '\n' ' ')"; done; systemctl --no-pager --lines=5 status containerd.service docker.service; journalctl --no-pager -n 30 -u containerd.service -u docker.service; $M5 fail 7; exit 1; }`

// dockerRunning is dockerUp's first, cheap check: shell built-ins and cat.
const dockerRunning = `test -S /var/run/docker.sock && kill -0 "$(cat /var/run/docker.pid 2> /dev/null)" 2> /dev/null`

// containerLines start the function's container and pin it to core 1;
// the client uses the published port. The container the install created
// with compose and pinned (functions.PreparedName) is renamed to its
// compose name and started through Docker's API with curl: a C program's
// two requests instead of compose and the docker CLI (Go programs that
// cost minutes each on atomic cores). A disk without it gets vSwarm-u's
// way: docker-compose up, then docker update.
func (s Simulation) containerLines() (start, stop string, port int) {
	compose := "docker-compose -p vswarmu -f " + s.GuestDir + "/functions.yaml"
	api := "curl -fsS --unix-socket /var/run/docker.sock -X POST http://localhost/containers/"
	prepared := functions.PreparedName(s.Function)
	start = fmt.Sprintf(`%[1]s
cd %[2]s
if %[3]s%[4]s/rename?name=%[5]s && %[3]s%[5]s/start; then
echo "vswarmu: started %[4]s, the container the install created for %[6]s (pinned to core 1 there), as %[5]s"
$M5 fail 2
$M5 fail 3
else
%[7]s
$M5 fail 2
docker update %[5]s --cpuset-cpus 1
$M5 fail 3
fi
%[8]s`, dockerUp, s.GuestDir, api, prepared, functions.ContainerName, s.Function, plainOutput(compose+" up -d "+s.Function),
		exitWatch)
	return start, "kill $WATCH 2> /dev/null\n" + plainOutput(compose+" down") + "\n$M5 fail 6", functions.HostPort
}

// exitWatch waits in the background (a blocked request to Docker's API,
// no work for the cores) for the function's container to stop before the
// run script stops it: a function that crashes under gem5 then ends the
// run at once with m5 fail 8 and its last output on the console, instead
// of the client waiting for it until the hang watch gives up.
const exitWatch = `( curl -s --unix-socket /var/run/docker.sock -X POST http://localhost/containers/function/wait > /dev/null
echo "VSWARMU-FUNCTION-EXITED the function's container stopped; its last output:"
curl -s --unix-socket /var/run/docker.sock "http://localhost/containers/function/logs?stdout=1&stderr=1&tail=20" | tr -cd '\11\12\40-\176'
$M5 fail 8 ) &
WATCH=$!`

// plainOutput runs a command with its output through a pipe, so that
// compose (v2 and 1.29 alike) writes plain lines instead of redrawing its
// progress with ANSI escapes on the console, and says its exit status.
func plainOutput(command string) string {
	return fmt.Sprintf(`{ %s 2>&1; echo "%s: exit status $?"; } | cat`, command, strings.Fields(command)[0])
}

// processLines start the container's command as a plain process on core
// 1 (vswarmu-run pins itself before it executes the function); the client
// uses the function's own port.
func (s Simulation) processLines() (start, stop string, port int) {
	start = fmt.Sprintf("%s -cpus 1 %s > /tmp/function.log 2>&1 &\nFUNCTION=$!\n$M5 fail 2\n$M5 fail 3",
		functions.Launcher, functions.ProcessSpec(s.Function))
	return start, "kill $FUNCTION\n$M5 fail 6", s.Port
}

// ClientInvocations is the client's -n: at least the invocations the
// evaluation needs, and no fewer than 100, so the checkpoint (which holds
// the running client) serves later runs with more measured invocations;
// the evaluation stops after the ones it measures.
func (s Simulation) ClientInvocations() int {
	return max(100, s.AtomicWarming+s.Invocations)
}

func (s Simulation) detailedCPU() string { return cmp.Or(s.DetailedCPU, "system's default") }

func (s Simulation) execMode() string { return cmp.Or(s.ExecMode, functions.Container) }

// machineArgs are run_sim.py's arguments of every mode: the machine.
func (s Simulation) machineArgs() []string {
	args := []string{s.Config, "--kernel", s.Kernel, "--disk", s.Disk,
		"--cpus", fmt.Sprint(s.CPUs), "--memory", fmt.Sprintf("%dMB", s.MemoryMiB), "--root", s.Root}
	if k := s.kernelArgs(); k != "" {
		args = append(args, "--kernel-args", k)
	}
	if s.Init != "" {
		args = append(args, "--init", s.Init)
	}
	args = append(args, s.Board.args()...)
	return append(args, s.topology().Args(s)...)
}

// kernelArgs are the kernel arguments beyond run_sim.py's own: a
// container-mode boot starts the container runtime before its checkpoint
// (gem5init reads vswarmu.docker=1, and the topology's Docker network
// arguments), then KERNEL_ARGS.
func (s Simulation) kernelArgs() string {
	var args []string
	if s.execMode() == functions.Container {
		args = append(append(args, "vswarmu.docker=1"), s.topology().DockerKernelArgs()...)
	}
	if s.KernelArgs != "" {
		args = append(args, s.KernelArgs)
	}
	return strings.Join(args, " ")
}

// commonArgs are run_sim.py's arguments of setup and evaluation.
func (s Simulation) commonArgs() []string {
	return append(s.machineArgs(), "--function", s.Function)
}

// setupRecord is the setup run's vswarmu.json (in SetupDir): how long it
// took, on which cores, with which gem5; evaluations copy it.
const setupRecord = "vswarmu.json"

// SetupDescription is what shapes the setup's checkpoint. It does not
// name SYSTEM: run_sim.py boots every setup on the same board, so one
// checkpoint serves every system.
func (s Simulation) SetupDescription() map[string]string {
	d := s.BootDescription()
	d["script"], d["boot-checkpoint"] = s.RunScript(), s.BootCheckpoint
	for _, sc := range s.topology().Scripts(s) {
		d[strings.TrimPrefix(sc.Option, "--")] = sc.Text
	}
	return d
}

// BootDescription is what shapes the boot checkpoint (besides the gem5,
// kernel and disk files themselves).
func (s Simulation) BootDescription() map[string]string {
	d := map[string]string{"CPUS": fmt.Sprint(s.CPUs), "MEMORY": fmt.Sprint(s.MemoryMiB), "setup-cpu": s.SetupCPU,
		"root": s.Root, "gem5": s.Gem5}
	if k := s.kernelArgs(); k != "" {
		d["kernel-args"] = k
	}
	if s.Init != "" {
		d["init"] = s.Init
	}
	s.Board.describe(d)
	s.topology().Describe(s, d, false)
	return d
}

// Boot is a boot of the machine alone (simulate:boot), which every
// function's setup can restore: it takes no function.
type Boot struct {
	Machine
	Runner
}

// BootOf is the boot of s's machine.
func BootOf(s Simulation) Boot { return Boot{Machine: s.Machine, Runner: s.Runner} }

func (b Boot) sim() Simulation { return Simulation{Machine: b.Machine, Runner: b.Runner} }

// Dir is where the boot run keeps gem5's output.
func (b Boot) Dir() string { return b.sim().BootDir() }

// CheckpointDir is where the boot leaves its checkpoint.
func (b Boot) CheckpointDir() string { return b.sim().BootCheckpointDir() }

// Description is what shapes the boot checkpoint.
func (b Boot) Description() map[string]string { return b.sim().BootDescription() }

// Run boots the kernel and disk on the setup board until the guest is
// about to read its run script, and checkpoints there, into
// j.Out(CheckpointDir()).
func (b Boot) Run(ctx context.Context, j job.Job) error {
	s := b.sim()
	cpu := s.setupCPU(ctx, j)
	args := append(
		s.machineArgs(),
		"--mode",
		"boot",
		"--checkpoint-dir",
		j.Out(s.BootCheckpointDir()),
		"--setup-cpu",
		cpu,
	)
	out, _, err := s.runRecorded(ctx, j, s.BootDir(), "boot run: ", cpu, args)
	if err != nil {
		return fmt.Errorf("%w (gem5 output: %s)", err, filepath.Join(s.BootDir(), results.LogFile))
	}
	return checkpointIn(j.Out(s.BootCheckpointDir()), s.BootCheckpointDir(), out)
}

// runRecorded runs gem5 with args in dir (a boot or a setup) and writes
// the run's record there, its stage naming it in a failure's reason.
func (s Simulation) runRecorded(
	ctx context.Context,
	j job.Job,
	dir, stage, cpu string,
	args []string,
) (outcome, results.RunMeta, error) {
	start := time.Now()
	if quiet := s.quietFor(cpu); quiet > s.HangTimeout {
		j.Progress(
			"the container runtime prints nothing for up to %v of host time on atomic cores: no output is a hang after %v",
			RuntimeQuiet,
			quiet,
		)
		s.HangTimeout = quiet
	}
	probe := s.probe(ctx, j)
	s.warnMisexecuted(j, probe)
	out, err := s.run(ctx, j, dir, args)
	meta := s.record(out, err, stage, dir, cpu)
	meta.ElapsedSeconds, meta.Gem5Probe = time.Since(start).Seconds(), probe
	if werr := writeMeta(filepath.Join(dir, setupRecord), meta); werr != nil && err == nil {
		err = werr
	}
	return out, meta, err
}

// RuntimeQuiet is how long containerd's or dockerd's start, or compose
// starting a container, ran on gem5's atomic cores without a console line
// (measured: containerd answered 33.5 minutes after its start, printing
// nothing in between; a guest second took over half an hour).
const RuntimeQuiet = 60 * time.Minute

// quietFor is the hang timeout a container-mode boot or setup on atomic
// cores needs at least (the runtime starts, or compose runs, there); 0
// for other runs.
func (s Simulation) quietFor(cpu string) time.Duration {
	if s.execMode() != functions.Container || cpu != "atomic" {
		return 0
	}
	return RuntimeQuiet + RuntimeQuiet/4
}

// checkpointIn says whether gem5 left a checkpoint in dir (named as
// shown, where it goes when the rule succeeds).
func checkpointIn(dir, shown string, out outcome) error {
	if _, err := os.Stat(filepath.Join(dir, "m5.cpt")); err != nil {
		return fmt.Errorf("gem5 ended without a checkpoint in %s (%s)", shown, out.last)
	}
	return nil
}

// setupCPU is the setup board's starting cores, SetupCPU=auto resolved.
func (s Simulation) setupCPU(ctx context.Context, j job.Job) string {
	if s.SetupCPU == "auto" && s.ResolveSetupCPU != nil {
		return s.ResolveSetupCPU(ctx, j)
	}
	return s.SetupCPU
}

// Setup starts the function on gem5 (from BootCheckpoint, or booting) and
// checkpoints it after the warm-up, into j.Out(CheckpointDir()).
func (s Simulation) Setup(ctx context.Context, j job.Job) error {
	if err := os.MkdirAll(filepath.Dir(s.ScriptPath()), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(s.ScriptPath(), []byte(s.RunScript()), 0o755); err != nil {
		return err
	}
	cpu := s.setupCPU(ctx, j)
	args := append(s.commonArgs(), "--mode", "setup", "--checkpoint-dir", j.Out(s.CheckpointDir()),
		"--script", s.ScriptPath(), "--setup-cpu", cpu)
	for _, sc := range s.topology().Scripts(s) {
		if err := os.WriteFile(sc.Path, []byte(sc.Text), 0o755); err != nil {
			return err
		}
		args = append(args, sc.Option, sc.Path)
	}
	if s.BootCheckpoint != "" {
		args = append(args, "--boot-checkpoint", s.BootCheckpoint)
	}
	out, meta, err := s.runRecorded(ctx, j, s.SetupDir(), "setup run: ", cpu, args)
	if err != nil {
		// report:check says why the function has no results.
		if os.MkdirAll(s.ResultsDir(), 0o755) == nil {
			_ = writeMeta(filepath.Join(s.ResultsDir(), results.MetaFile), meta)
		}
		return fmt.Errorf("%w (gem5 output: %s)", err, filepath.Join(s.SetupDir(), results.LogFile))
	}
	return checkpointIn(j.Out(s.CheckpointDir()), s.CheckpointDir(), out)
}

// EvalOutputs are what an evaluation leaves in ResultsDir: the
// statistics and the run's record.
func (s Simulation) EvalOutputs() []string {
	return []string{filepath.Join(s.ResultsDir(), "stats.txt"), filepath.Join(s.ResultsDir(), results.MetaFile)}
}

// EvalDescription is what shapes an evaluation's numbers.
func (s Simulation) EvalDescription() map[string]string {
	d := map[string]string{
		"SYSTEM":         s.System,
		"DETAILED_CPU":   s.DetailedCPU,
		"ATOMIC_WARMING": fmt.Sprint(s.AtomicWarming),
		"NUM_INVOCATIONS": fmt.Sprint(
			s.Invocations,
		),
		"CPUS":        fmt.Sprint(s.CPUs),
		"MEMORY":      fmt.Sprint(s.MemoryMiB),
		"gem5":        s.Gem5,
		"overrides":   strings.Join(s.Overrides, " "),
		"MEASUREMENT": cmp.Or(s.Measurement, "window"),
	}
	s.topology().Describe(s, d, true)
	if s.Lukewarm != nil {
		d["schedule"] = s.lukewarmSchedule()
	}
	return d
}

// Evaluate restores the checkpoint and measures the function; gem5 writes
// its outputs into ResultsDir itself.
func (s Simulation) Evaluate(ctx context.Context, j job.Job) error {
	dir := s.ResultsDir() // emptied by run: gem5 appends dumps to stats.txt
	args := append(s.commonArgs(), "--mode", "evaluation", "--system", s.System, "--checkpoint-dir", s.CheckpointDir(),
		"--atomic-warming", fmt.Sprint(s.AtomicWarming), "--num-invocations", fmt.Sprint(s.Invocations),
		"--measurement", cmp.Or(s.Measurement, "window"))
	args = append(args, s.topology().LinkArgs(s)...)
	if s.DetailedCPU != "" {
		args = append(args, "--detailed-cpu", s.DetailedCPU)
	}
	if s.Point != "" {
		args = append(append(args, "--point", s.Point), s.Overrides...)
	}
	if s.Lukewarm != nil {
		// The setup's script reads this schedule after the restore.
		if err := os.WriteFile(s.lukewarmSchedulePath(), []byte(s.lukewarmSchedule()), 0o755); err != nil {
			return err
		}
		args = append(args, "--script", s.lukewarmSchedulePath())
	}
	start, probe := time.Now(), s.probe(ctx, j)
	s.warnMisexecuted(j, probe)
	out, err := s.run(ctx, j, dir, args)
	var setup results.RunMeta
	_ = readMeta(filepath.Join(s.SetupDir(), setupRecord), &setup)
	meta := s.record(out, err, "", dir, setup.Parameters["SETUP_CPU"])
	meta.ElapsedSeconds, meta.Gem5Probe = time.Since(start).Seconds(), probe
	meta.ImageScan = s.imageScan()
	if lw := s.Lukewarm; lw != nil {
		meta.Function = lw.Measure
		meta.Parameters["LUKEWARM_SCHEDULE"], meta.Parameters["LUKEWARM_SET"] = lw.Schedule, strings.Join(
			s.lukewarmNames(),
			" ",
		)
	}
	meta.SetupSeconds = setup.ElapsedSeconds
	if werr := writeMeta(filepath.Join(dir, results.MetaFile), meta); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("%w (gem5 output: %s)", err, filepath.Join(dir, results.LogFile))
	}
	if _, serr := os.Stat(filepath.Join(dir, "stats.txt")); serr != nil {
		return fmt.Errorf("gem5 ended without writing stats.txt in %s (%s)", dir, out.last)
	}
	return nil
}

// record is a run's vswarmu.json: ok, hung or failed (the reason prefixed
// with the stage it happened in), and what made it (see results.RunMeta).
func (s Simulation) record(out outcome, err error, stage, dir, setupCPU string) results.RunMeta {
	version, standin := results.Gem5Banner(filepath.Join(dir, results.LogFile))
	meta := results.RunMeta{
		RunOutcome: results.RunOutcome{Function: s.Function, MeasuredCPU: s.MeasuredCPU(), Invocations: s.Invocations,
			Status: "ok", Attempts: out.attempts},
		RunInputs: results.RunInputs{Gem5: s.Gem5, Standin: s.Standin || standin, Gem5Version: version,
			Kernel: s.Files.ID(s.Kernel), Disk: s.Files.ID(s.Disk), Config: s.Files.ID(s.Config), Image: s.Image,
			Command: out.command, Gem5Patches: s.Gem5Patches},
		RunSettings: results.RunSettings{System: s.System, ExecMode: s.execMode(), Parameters: s.parameters(setupCPU),
			Topology: s.topology().Name()},
	}
	s.topology().Record(s, &meta)
	system := s.Systems.Setup // boots and setups run on the setup system
	if stage == "" {
		system = s.System
	}
	meta.Memory = s.Systems.Memories()[system]
	if i := slices.Index(s.Overrides, "--memory-model"); i >= 0 && i+1 < len(s.Overrides) && stage == "" {
		meta.Memory = OverriddenMemory(s.Overrides[i+1]).String()
	}
	if g := s.Files.ID(s.Gem5); g != nil {
		meta.Gem5SHA256 = g.SHA256
	}
	switch {
	case out.hung:
		meta.Status, meta.Reason = string(
			results.Hung,
		), fmt.Sprintf(
			"%sno output for %v: killed (attempt %d of 2)",
			stage,
			s.HangTimeout,
			out.attempts,
		)
		if tail := ConsoleTail(dir, 3); tail != "" {
			meta.Reason += "; the guest's console ends: " + tail
		}
	case err != nil:
		meta.Status, meta.Reason = string(results.Failed), stage+err.Error()
	}
	return meta
}

func readMeta(path string, m *results.RunMeta) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, m)
}

func writeMeta(path string, m results.RunMeta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// outcome is how the gem5 runs of a rule went.
type outcome struct {
	attempts int
	hung     bool     // the last attempt was killed for making no progress
	last     string   // the last line gem5 printed
	command  []string // gem5's command line
}

var errHung = errors.New("gem5 made no progress")

// invocationLine counts measured and warming invocations in gem5's output.
var invocationLine = regexp.MustCompile(results.InvocationLine)

func (s Simulation) exec() Executor { return cmp.Or[Executor](s.Exec, Local{}) }

// run runs gem5 with args in an emptied outdir, its output in
// outdir/gem5.log, watched for hangs and tried a second time after one. A
// run an earlier invocation left at work in outdir (a cluster job) is
// followed instead.
func (s Simulation) run(ctx context.Context, j job.Job, outdir string, args []string) (outcome, error) {
	var out outcome
	adopt := s.exec().Adopts(ctx, outdir)
	if !adopt {
		if err := os.RemoveAll(outdir); err != nil {
			return out, err
		}
	}
	if err := os.MkdirAll(outdir, 0o755); err != nil {
		return out, err
	}
	for out.attempts = 1; ; out.attempts++ {
		err := s.attempt(ctx, j, outdir, args, &out, adopt && out.attempts == 1)
		if errors.Is(err, errHung) && out.attempts < 2 && ctx.Err() == nil {
			j.Warnf("%s: no output from gem5 for %v: killed it; trying once more", s.Function, s.HangTimeout)
			continue
		}
		out.hung = errors.Is(err, errHung)
		if tail := ConsoleTail(outdir, 3); err != nil && tail != "" {
			err = fmt.Errorf("%w; the guest's console ends: %s", err, tail)
		}
		if tail := consoleTail(filepath.Join(outdir, DriveConsoleFile()), 3); err != nil && tail != "" {
			err = fmt.Errorf("%w; the drive system's console ends: %s", err, tail)
		}
		if w := Gem5Warnings(outdir); err != nil && w != "" {
			err = fmt.Errorf("%w; %s", err, w)
		}
		return out, err
	}
}

// attempt runs gem5 once; adopting, it follows the earlier run's job,
// whose output starts the log afresh.
func (s Simulation) attempt(
	ctx context.Context,
	j job.Job,
	outdir string,
	args []string,
	out *outcome,
	adopting bool,
) error {
	logPath := filepath.Join(outdir, results.LogFile)
	mode := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if adopting {
		mode |= os.O_TRUNC
	}
	logf, err := os.OpenFile(logPath, mode, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	if out.attempts > 1 {
		fmt.Fprintf(
			logf,
			"\n==== attempt %d (the previous one made no progress for %v) ====\n",
			out.attempts,
			s.HangTimeout,
		)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w := &watcher{w: io.MultiWriter(logf, job.StepCounter(j, invocationLine, "%d invocations")), last: time.Now()}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(max(min(s.HangTimeout/10, 5*time.Second), 20*time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				w.consoleGrew(
					filepath.Join(outdir, ConsoleFile),
					filepath.Join(outdir, ArmConsoleFile),
					filepath.Join(outdir, DriveConsoleFile()),
				)
				if w.idle() > s.HangTimeout {
					cancel(errHung)
					return
				}
			}
		}
	}()
	out.command = append([]string{s.Gem5, "--outdir=" + outdir}, args...)
	err = s.exec().Run(runCtx, j, Gem5Run{Name: s.runName(args), Argv: out.command, Outdir: outdir, Output: w,
		Reads: s.reads(), CPUs: 1, MemoryMiB: s.MemoryMiB + s.topology().ExtraMemoryMiB() + 1024, Timeout: s.Timeout})
	out.last = w.lastLine()
	if err != nil && errors.Is(context.Cause(runCtx), errHung) && ctx.Err() == nil {
		return errHung
	}
	if err != nil {
		return fmt.Errorf("gem5: %w; last output: %s", err, out.last)
	}
	return nil
}

// runName names a run by its mode and function ("setup-aes-go", "fn-aes-go",
// "boot").
func (s Simulation) runName(args []string) string {
	switch i := slices.Index(args, "--mode"); {
	case i >= 0 && i+1 < len(args) && args[i+1] == "boot":
		return "boot"
	case i >= 0 && i+1 < len(args) && args[i+1] == "setup":
		return "setup-" + s.Function
	}
	return "fn-" + s.Function
}

// reads are the files a gem5 run reads besides its arguments' outputs.
func (s Simulation) reads() []string {
	r := []string{s.Gem5, s.Config, s.Kernel, s.Disk, s.CheckpointDir(), s.BootCheckpoint, filepath.Dir(s.ScriptPath())}
	return append(r, s.topology().Reads(s)...)
}

// ansiEscape matches the terminal escapes systemd colours its status with
// (and one it cut short).
var ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]?`)

// ConsoleTail returns the last n non-empty lines the guest wrote on its
// console in a run's directory, without terminal escapes, joined with
// " / " ("" when there is no console).
func ConsoleTail(dir string, n int) string { return consoleTail(consoleFile(dir), n) }

// consoleTail is ConsoleTail of one console file.
func consoleTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var lines []string
	for _, l := range strings.Split(ansiEscape.ReplaceAllString(string(b), ""), "\n") {
		if l = strings.TrimSpace(strings.ReplaceAll(l, "\r", "")); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], " / ")
}

// ConsoleFile is where gem5's X86 board writes the guest's serial console
// (in the run's output directory).
const ConsoleFile = "board.pc.com_1.device"

// watcher passes output on and remembers when and what gem5 last printed.
// Output of the guest on its console counts as progress too: a setup on
// atomic cores boots for many minutes without gem5 printing a line.
type watcher struct {
	mu      sync.Mutex
	w       io.Writer
	last    time.Time
	line    []byte
	prev    string
	console int64 // the console file's size when last seen
}

// consoleGrew counts the growth of the console files (the test
// system's, and the drive system's with two machines) as progress.
func (w *watcher) consoleGrew(paths ...string) {
	var size int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			size += fi.Size()
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if size != w.console {
		w.console, w.last = size, time.Now()
	}
}

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.last = time.Now()
	for _, b := range p {
		if b == '\n' {
			if l := strings.TrimSpace(string(w.line)); l != "" {
				w.prev = l
			}
			w.line = w.line[:0]
		} else if len(w.line) < 512 {
			w.line = append(w.line, b)
		}
	}
	w.mu.Unlock()
	return w.w.Write(p)
}

func (w *watcher) idle() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Since(w.last)
}

func (w *watcher) lastLine() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l := strings.TrimSpace(string(w.line)); l != "" {
		return l
	}
	return w.prev
}

// imageScan is the install's scan of the function's image (nil without
// one: no scan record, or a boot).
func (s Simulation) imageScan() *results.ImageScan {
	if s.Scans == "" || s.Function == "" {
		return nil
	}
	scans, err := functions.ReadScans(s.Scans)
	if err != nil {
		return nil
	}
	if sc, ok := scans[s.Function]; ok {
		return &sc
	}
	return nil
}

// warnMisexecuted warns, before gem5 runs, when the function's image holds
// instructions this gem5 was probed to misexecute: the run will be
// suspect, or crash (Node.js does on gem5 v24 as published).
func (s Simulation) warnMisexecuted(j job.Job, probe *results.Gem5Probe) {
	why := results.Misexecuted(s.imageScan(), probe)
	if len(why) == 0 {
		return
	}
	j.Warnf("%s: this gem5 (%s) misexecutes what the function's image holds: %s; "+
		"expect a crash or wrong results (Node.js crashes on gem5 v24 as published), and a suspect run: "+
		"build gem5 with the project's fixes (leave GEM5 unset: gem5:build applies gem5-configs/patches)",
		s.Function, strings.Join(probe.Misdecodes, ", "), strings.Join(why, "; "))
}
