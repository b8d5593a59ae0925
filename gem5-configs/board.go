package gem5configs

import (
	"os"
	"path/filepath"
)

// Board is the simulated board of the system under test: gem5's X86Board,
// or its ArmBoard with the boot loader it starts the kernel with.
type Board struct {
	ISA        string // X86 ("" too) or Arm
	Bootloader string // Arm: boot_foundation.arm64 (gem5:bootloader)
	Idle       string // X86: the guest's idle loop, IdleHalt ("" too) or IdleKernel
}

// The X86 guest's idle loops, as GUEST_IDLE names them.
const (
	IdleHalt   = "halt"   // idle=halt: gem5 wakes a halted core at once
	IdleKernel = "kernel" // the kernel's choice, MWAIT on gem5's CPU: woken late
)

// The boards' ISAs, as run_sim.py's --isa names them.
const (
	X86 = "x86"
	Arm = "arm"
)

// IsArm reports whether the board is gem5's ArmBoard.
func (b Board) IsArm() bool { return b.ISA == Arm }

// args are run_sim.py's arguments for the board (none for X86 with
// halt idle).
func (b Board) args() []string {
	if b.IsArm() {
		return []string{"--isa", Arm, "--bootloader", b.Bootloader}
	}
	if b.Idle == IdleKernel {
		return []string{"--guest-idle", IdleKernel}
	}
	return nil
}

// describe adds what shapes a checkpoint of the board (nothing for X86
// with halt idle, so x86 checkpoints keep their descriptions).
func (b Board) describe(d map[string]string) {
	if b.IsArm() {
		d["isa"], d["bootloader"] = Arm, b.Bootloader
	}
	if b.Idle == IdleKernel {
		d["guest-idle"] = IdleKernel
	}
}

// ArmConsoleFile is where gem5's Arm board writes the guest's console
// (its Terminal, board.terminal).
const ArmConsoleFile = "board.terminal"

// consoleFile is the console file of a run's directory: the X86 board's,
// or the Arm board's when that is the one there.
func consoleFile(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, ArmConsoleFile)); err == nil {
		return filepath.Join(dir, ArmConsoleFile)
	}
	return filepath.Join(dir, ConsoleFile)
}
