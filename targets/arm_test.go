package targets_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// TestArmWithTheStandin: ARCH=arm64 runs the main job on gem5's Arm board
// (the stand-in ARM gem5): boot, setup and evaluation with the boot loader,
// the virtio root device, Arm cores, and the report naming the ISA. A
// changed boot loader reruns the boot and what follows; without
// BOOTLOADER, gem5:bootloader builds it from gem5's source.
func TestArmWithTheStandin(t *testing.T) {
	dir, env := standinEnv(t, "ARCH=arm64", "FUNCTIONS=fibonacci-go", "SETUP_CPU=atomic")
	work := filepath.Join(dir, "wk")
	r := magetest.Mage(t, dir, env, "simulate:all")
	if r.Code != 0 || !regexp.MustCompile(`fibonacci-go@arm\s+succeeded`).MatchString(r.Output) {
		t.Fatalf("ARCH=arm64 simulate:all: exit %d\n%s", r.Code, r.Output)
	}
	ini, _ := os.ReadFile(filepath.Join(work, "results", "fibonacci-go@arm", "config.ini"))
	for _, want := range []string{"[board]\ntype=ArmSystem", "type=ArmISA", "console=ttyAMA0", "root=/dev/vda2"} {
		if !strings.Contains(string(ini), want) {
			t.Errorf("the Arm evaluation's config.ini lacks %q", want)
		}
	}
	md, _ := os.ReadFile(filepath.Join(work, "results", "report.md"))
	if !strings.Contains(string(md), "ISA Arm") || !strings.Contains(string(md), "STAND-IN") {
		t.Errorf("report.md does not name the Arm ISA (and the stand-in):\n%s", md)
	}

	boot := filepath.Join(dir, "other-boot_foundation.arm64")
	writeFile(t, boot, "\x7fELF\x02\x01\x01"+strings.Repeat("\x00", 57))
	r = magetest.Mage(t, dir, append(env, "BOOTLOADER="+boot), "simulate:all")
	if r.Code != 0 || !strings.Contains(r.Output, "▶ simulate:boot") || !strings.Contains(r.Output, "▶ simulate:fn:fibonacci-go") {
		t.Fatalf("another boot loader: exit %d (want the boot and what follows again)\n%s", r.Code, r.Output)
	}

	var own []string
	for _, e := range env {
		if !strings.HasPrefix(e, "BOOTLOADER=") {
			own = append(own, e)
		}
	}
	r = magetest.Mage(t, dir, append(own, "DRY_RUN=1", "GEM5_REPO="+dir), "simulate:all")
	if !strings.Contains(r.Output, "would run gem5:bootloader") || !strings.Contains(r.Output, "would run gem5:source") {
		t.Fatalf("without BOOTLOADER: exit %d (want gem5:bootloader from gem5's source)\n%s", r.Code, r.Output)
	}
	// x86 runs keep their own checkpoints and results beside the Arm ones.
	if r := magetest.Mage(t, dir, append(env, "ARCH=amd64"), "simulate:all"); r.Code != 0 || strings.Contains(r.Output, "gem5:bootloader") {
		t.Fatalf("ARCH=amd64 (no boot loader): exit %d\n%s", r.Code, r.Output)
	}
	if r := magetest.Mage(t, dir, append(env, "BOOTLOADER="+boot), "simulate:all"); r.Code != 0 || strings.Contains(r.Output, "▶ simulate:") {
		t.Fatalf("back to ARCH=arm64: exit %d (want its runs up to date; only the report is written again)\n%s", r.Code, r.Output)
	}
	md, _ = os.ReadFile(filepath.Join(work, "results", "report.md"))
	if !strings.Contains(string(md), "fibonacci-go@arm") || !strings.Contains(string(md), "ISA X86") {
		t.Errorf("report.md does not list the Arm and the x86 run side by side:\n%s", md)
	}
}
