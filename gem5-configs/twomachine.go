package gem5configs

// Two-machine mode (TOPOLOGY=two-machine, vSwarm-u's two machines): the
// test system runs the function, a drive system of its own runs the
// client, and an Ethernet link joins them (network.py). The test
// system's script starts and pins the function and then brings its
// network card up, which is the drive system's signal that it is ready;
// the drive system's script waits for the test system to answer and runs
// the client with its m5 ops. Checkpoints, setup outputs and scripts of
// the two topologies are kept apart.

import (
	"cmp"
	"fmt"
	"path/filepath"

	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/results"
)

// Topologies.
const (
	// Single runs the client on core 0 of the simulated system.
	Single = "single"
	// TwoMachine runs the client on a drive system of its own.
	TwoMachine = "two-machine"
)

// twoMachineSpec is the topology's entry of topologies.json: the
// systems' addresses on the link (vSwarm-u's), the drive system and the
// link.
func twoMachineSpec() TopologySpec { return specOf(TwoMachine) }

// DriveConsoleFile is where gem5 writes the drive system's console.
func DriveConsoleFile() string {
	if d := twoMachineSpec().Drive; d != nil {
		return d.Object + ".pc.com_1.device"
	}
	return ""
}

// DriveCPU is the drive system's core as gem5's statistics name it (one
// core of network.py's SimpleProcessor under the drive system's object).
func DriveCPU() string {
	if d := twoMachineSpec().Drive; d != nil {
		return d.Object + ".processor.cores.core"
	}
	return ""
}

// area names a working directory of the board and topology: name for
// the X86 board and one machine, name-arm, name-two-machine otherwise, so
// their checkpoints never mix.
func (s Simulation) area(name string) string {
	if s.Board.IsArm() {
		name += "-" + Arm
	}
	if l := s.topology().Label(); l != "" {
		return name + "-" + l
	}
	return name
}

// twoMachine runs the client on a drive system of its own, joined to the
// system under test by an Ethernet link.
type twoMachine struct{}

func (twoMachine) Name() string  { return TwoMachine }
func (twoMachine) Label() string { return TwoMachine }

// Args name the drive system's disk.
func (twoMachine) Args(s Simulation) []string {
	return []string{"--topology", TwoMachine, "--drive-disk", s.DriveDisk}
}

// LinkArgs are the evaluation's link: boot and setup run on run_sim.py's
// default link, so one checkpoint serves every LINK_DELAY and
// LINK_BANDWIDTH.
func (twoMachine) LinkArgs(s Simulation) []string {
	return []string{"--link-delay", s.LinkDelay, "--link-bandwidth", s.LinkBandwidth}
}

// DockerKernelArgs keep Docker's iptables rules: the drive system reaches
// the container by DNAT, as in vSwarm-u (one machine does without them:
// its client goes through docker-proxy either way).
func (twoMachine) DockerKernelArgs() []string { return []string{"vswarmu.iptables=1"} }

// RunScript is the test system's.
func (twoMachine) RunScript(s Simulation) string { return s.testScript() }

// Scripts are the drive system's.
func (twoMachine) Scripts(s Simulation) []Script {
	return []Script{{Path: s.DriveScriptPath(), Text: s.DriveScript(), Option: "--drive-script"}}
}

// Describe adds TOPOLOGY and, to an evaluation, the link.
func (twoMachine) Describe(s Simulation, d map[string]string, link bool) {
	d["TOPOLOGY"] = TwoMachine
	if link {
		d["LINK_DELAY"], d["LINK_BANDWIDTH"] = s.LinkDelay, s.LinkBandwidth
	}
}

// Record names the drive system's disk and core.
func (twoMachine) Record(s Simulation, meta *results.RunMeta) {
	meta.DriveDisk, meta.DriveCPU = s.Files.ID(s.DriveDisk), DriveCPU()
}

// Parameters add the topology, the drive disk and the link.
func (twoMachine) Parameters(s Simulation, m map[string]string) {
	m["TOPOLOGY"], m["DRIVE_DISK"], m["LINK_DELAY"], m["LINK_BANDWIDTH"] = TwoMachine, s.DriveDisk, s.LinkDelay, s.LinkBandwidth
}

func (twoMachine) Reads(s Simulation) []string { return []string{s.DriveDisk} }

// ExtraMemoryMiB is the drive system's memory (topologies.json's, run_sim.py's
// --drive-memory default).
func (twoMachine) ExtraMemoryMiB() int64 { return twoMachineSpec().Drive.MemoryMiB() }

// Fits refuses arm64: the drive system and the link are X86 boards.
func (twoMachine) Fits(arch string) error {
	if arch == "arm64" {
		return fmt.Errorf("TOPOLOGY=%s is for ARCH=amd64: its drive system and link are X86 boards; "+
			"use TOPOLOGY=%s with ARCH=arm64", TwoMachine, Single)
	}
	return nil
}

// DriveSystem says the topology boots a drive system.
func (twoMachine) DriveSystem() bool { return true }

// DriveScriptPath is the drive system's run script (two machines).
func (s Simulation) DriveScriptPath() string {
	return filepath.Join(s.Work, s.area("scripts"), s.Function+"-drive.sh")
}

// testScript is the test system's run script with two machines: it
// starts and pins the function, brings the network card up once the
// function runs, and keeps it running; the drive system ends the run.
func (s Simulation) testScript() string {
	start, _, _ := s.containerLines()
	if s.ExecMode == functions.Process {
		start, _, _ = s.processLines()
	}
	return fmt.Sprintf(`#!/bin/sh
# vswarmu-mage test-system script for %[1]s, %[2]s mode, two machines (m5 readfile).
%[3]s
$M5 fail 1
# systemd-networkd (the Debian disk's DHCP) would manage eth0: the address is static here.
command -v systemctl > /dev/null && systemctl stop systemd-networkd.socket systemd-networkd.service 2> /dev/null
ip addr add %[4]s/24 dev eth0
%[5]s
# The card comes up once the function runs and is pinned: the drive system waits for it.
ip link set eth0 up
echo "vswarmu: %[1]s runs on %[4]s; the drive system (%[6]s) drives it"
while :; do sleep 3600; done
`, s.Function, s.execMode(), m5Line, twoMachineSpec().TestIP, start, twoMachineSpec().DriveIP)
}

// DriveScript is the drive system's run script: it waits until the test
// system answers, then runs the client against it with its m5 ops (fail
// codes, the warm-up, work items 100+i) and ends the run.
func (s Simulation) DriveScript() string {
	return fmt.Sprintf(`#!/bin/sh
# vswarmu-mage drive-system script for %[1]s, two machines (m5 readfile).
%[2]s
ip addr add %[3]s/24 dev eth0
ip link set eth0 up
until ping -c 1 -W 1 %[4]s > /dev/null 2>&1; do sleep 1; done
echo "vswarmu: the test system %[4]s answers"
$M5 fail 10
/usr/local/bin/test-client -function-name %[5]s -url %[4]s -port %[6]d -n %[7]d -w %[8]d -m5ops -input 10 -timeout 600s
$M5 fail 11
$M5 fail -1
`, s.Function, m5Line, twoMachineSpec().DriveIP, twoMachineSpec().TestIP, cmp.Or(s.Client, s.Function),
		s.clientPort(), s.ClientInvocations(), s.Warmup)
}

// clientPort is the port the client reaches the function on: the
// published one of its container, or its own as a process.
func (s Simulation) clientPort() int {
	if s.ExecMode == functions.Process {
		return s.Port
	}
	return functions.HostPort
}
