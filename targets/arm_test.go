package targets_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/image"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/results"
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
	if r.Code != 0 || !strings.Contains(r.Output, "▶ simulate:boot") ||
		!strings.Contains(r.Output, "▶ simulate:fn:fibonacci-go") {
		t.Fatalf("another boot loader: exit %d (want the boot and what follows again)\n%s", r.Code, r.Output)
	}

	var own []string
	for _, e := range env {
		if !strings.HasPrefix(e, "BOOTLOADER=") {
			own = append(own, e)
		}
	}
	r = magetest.Mage(t, dir, append(own, "DRY_RUN=1", "GEM5_REPO="+dir), "simulate:all")
	if !strings.Contains(r.Output, "would run gem5:bootloader") ||
		!strings.Contains(r.Output, "would run gem5:source") {
		t.Fatalf("without BOOTLOADER: exit %d (want gem5:bootloader from gem5's source)\n%s", r.Code, r.Output)
	}
	// x86 runs keep their own checkpoints and results beside the Arm ones.
	if r := magetest.Mage(t, dir, append(env, "ARCH=amd64"), "simulate:all"); r.Code != 0 ||
		strings.Contains(r.Output, "gem5:bootloader") {
		t.Fatalf("ARCH=amd64 (no boot loader): exit %d\n%s", r.Code, r.Output)
	}
	if r := magetest.Mage(t, dir, append(env, "BOOTLOADER="+boot), "simulate:all"); r.Code != 0 ||
		strings.Contains(r.Output, "▶ simulate:") {
		t.Fatalf(
			"back to ARCH=arm64: exit %d (want its runs up to date; only the report is written again)\n%s",
			r.Code,
			r.Output,
		)
	}
	md, _ = os.ReadFile(filepath.Join(work, "results", "report.md"))
	if !strings.Contains(string(md), "fibonacci-go@arm") || !strings.Contains(string(md), "ISA X86") {
		t.Errorf("report.md does not list the Arm and the x86 run side by side:\n%s", md)
	}
}

// TestArmTinyDisk makes the tiny disk for ARCH=arm64 on this x86 host:
// Debian's arm64 busybox-static (functions:busybox, through the signed
// release), the client, m5 and the reference functions all built for
// arm64. It needs the tiny disk's tools and the Debian mirror.
func TestArmTinyDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a disk")
	}
	for _, tool := range []string{"busybox", "debugfs", "mkfs.ext4", "sfdisk", "gpgv", "dpkg-deb"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (`mage image:depInstall` with INSTALLED_DISK=tiny and ARCH=arm64)", tool)
		}
	}
	ctx := context.Background()
	if err := download.Reachable(ctx, "http://deb.debian.org/debian"); err != nil {
		t.Skipf("the Debian mirror is not reachable: %v", err)
	}
	dir := t.TempDir()
	env := []string{"ARCH=arm64", "RESOURCES=" + filepath.Join(dir, "res"), "WORKING_DIR=" + filepath.Join(dir, "wk"),
		"INSTALLED_DISK=tiny", "EXEC_MODE=process", "FUNCTIONS=fibonacci-go", "GEM5=standin"}
	r := magetest.Mage(t, dir, env, "functions:tiny")
	if r.Code != 0 || !strings.Contains(r.Output, "✔ functions:busybox") {
		t.Fatalf("ARCH=arm64 functions:tiny: exit %d\n%s", r.Code, r.Output)
	}
	raw := filepath.Join(dir, "res", "tiny-arm64.raw")
	for _, f := range []string{"/bin/busybox", "/sbin/m5", "/opt/vswarmu/functions/fibonacci-go/rootfs/app/server"} {
		b, err := image.ReadFile(ctx, raw, f)
		if err != nil || len(b) < 20 || string(b[1:4]) != "ELF" || b[18] != 0xb7 { // e_machine 183: AArch64
			t.Errorf("%s in the arm64 tiny disk is not an AArch64 ELF (%v)", f, err)
		}
	}
	if r := magetest.Mage(t, dir, env, "functions:tiny"); r.Code != 0 || !strings.Contains(r.Output, "nothing to do") {
		t.Fatalf("second run: exit %d\n%s", r.Code, r.Output)
	}
}

// TestRealGem5Arm is the Arm tier: VSWARMU_GEM5_ARM names an ARM gem5.opt
// (`GEM5_ARCH=ARM mage gem5:build` builds one). It cross-builds the
// tinyconfig kernel for arm64 and the tiny arm64 disk, builds the boot
// loader from a gem5 checkout (VSWARMU_GEM5_REPO, a local clone; else the
// GEM5_REPO default), then runs the main job on the Arm board: boot
// checkpoint, setup on atomic cores, evaluations on timing and O3 cores.
func TestRealGem5Arm(t *testing.T) {
	gem5 := os.Getenv("VSWARMU_GEM5_ARM")
	if gem5 == "" {
		t.Skip("set VSWARMU_GEM5_ARM=<ARM gem5.opt> (GEM5_ARCH=ARM mage gem5:build builds one) to run the Arm tier")
	}
	kernel := testKernelFor(t, "arm64")
	res := resourcesDir(t)
	dir := t.TempDir()
	work := filepath.Join(dir, "wk")
	env := []string{"ARCH=arm64", "GEM5=" + gem5, "KERNEL=" + kernel, "INSTALLED_DISK=tiny", "EXEC_MODE=process",
		"SETUP_CPU=atomic", "FUNCTIONS=fibonacci-go,aes-go", "WARMUP_INVOCATIONS=5", "ATOMIC_WARMING=2", "NUM_INVOCATIONS=3",
		"HANG_TIMEOUT=20m", "RESOURCES=" + res, "WORKING_DIR=" + work, "JOBS=2", "GEM5_DIR=" + filepath.Join(res, "gem5-arm-source")}
	if repo := os.Getenv("VSWARMU_GEM5_REPO"); repo != "" {
		env = append(env, "GEM5_REPO="+repo)
	}
	run := realRun{dir: dir, work: work, res: res, kernel: kernel, env: env}
	for _, detailed := range []string{"timing", "o3"} {
		r := run.mage(t, 90*time.Minute, []string{"DETAILED_CPU=" + detailed}, "simulate:all")
		if r.Code != 0 {
			t.Fatalf("ARCH=arm64 simulate:all (%s) on the real gem5: exit %d\n%s", detailed, r.Code, r.Output)
		}
		for _, fn := range []string{"fibonacci-go", "aes-go"} {
			res, err := results.LoadRun(filepath.Join(work, "results", fn+"@arm-"+detailed))
			if err != nil {
				t.Fatal(err)
			}
			_, cpu, ok := res.Measured()
			insts, _ := cpu.Instructions.Value.Float()
			if !ok || insts <= 0 || res.Provenance.ISA != "Arm" || res.Provenance.Standin {
				t.Fatalf(
					"%s on Arm (%s): measured %v, %v instructions, provenance %s",
					fn,
					detailed,
					ok,
					insts,
					res.Provenance,
				)
			}
			if n := measuredInvocations(t, filepath.Join(res.Dir, results.LogFile), 2); n != 3 {
				t.Fatalf("%s on Arm (%s): %d measured invocations, want 3", fn, detailed, n)
			}
			t.Logf("%s on Arm, %s cores: %.0f instructions per invocation; %s", fn, detailed, insts/3, res.Provenance)
		}
	}
}

// TestArmGuestUnderQemu boots the arm64 guest on qemu's virt machine
// (TCG): the tinyconfig kernel the kernel stage cross-builds for arm64,
// the tiny arm64 disk on virtio (root=/dev/vda2), then fibonacci-go and
// the client from that disk. VSWARMU_ARM_GUEST=1 runs it (the kernel takes
// 15–45 minutes to build on 2 shared cores; VSWARMU_TEST_RESOURCES keeps it).
func TestArmGuestUnderQemu(t *testing.T) {
	if os.Getenv("VSWARMU_ARM_GUEST") != "1" {
		t.Skip("set VSWARMU_ARM_GUEST=1 to cross-build the arm64 kernel and boot the tiny arm64 disk under qemu")
	}
	for _, tool := range []string{"qemu-system-aarch64", "aarch64-linux-gnu-objcopy", "debugfs", "busybox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf(
				"%s is not installed (packages qemu-system-arm, binutils-aarch64-linux-gnu, e2fsprogs, busybox-static)",
				tool,
			)
		}
	}
	ctx := context.Background()
	kernel := testKernelFor(t, "arm64")
	dir := t.TempDir()
	res := filepath.Join(dir, "res")
	r := magetest.Mage(t, dir, []string{"ARCH=arm64", "RESOURCES=" + res, "WORKING_DIR=" + filepath.Join(dir, "wk"),
		"INSTALLED_DISK=tiny", "EXEC_MODE=process", "FUNCTIONS=fibonacci-go", "GEM5=standin"}, "functions:tiny")
	if r.Code != 0 {
		t.Fatalf("functions:tiny for arm64: exit %d\n%s", r.Code, r.Output)
	}
	// qemu boots an arm64 Image: vmlinux without its ELF wrapping.
	img := filepath.Join(dir, "Image")
	if out, err := exec.Command("aarch64-linux-gnu-objcopy", "-O", "binary", "-R", ".note", "-R", ".note.gnu.build-id",
		"-R", ".comment", "-S", kernel, img).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	raw := filepath.Join(res, "tiny-arm64.raw")
	writeFile(t, filepath.Join(dir, "t.sh"), `#!/bin/sh
export PATH=/usr/local/bin:/usr/bin:/usr/sbin:/bin:/sbin
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev 2> /dev/null
ip link set lo up
echo "ARM-GUEST $(uname -m)"
/opt/vswarmu/functions/fibonacci-go/rootfs/app/server -addr=127.0.0.1:50051 &
/usr/local/bin/test-client -function-name fibonacci-go -url 127.0.0.1 -port 50051 -n 5 -w 2 -input 10 -timeout 120s
echo "CLIENT-EXIT $?"
poweroff -f
`)
	off, err := image.RootOffset(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	fs := fmt.Sprintf("%s?offset=%d", raw, off)
	for _, cmd := range []string{"write " + filepath.Join(dir, "t.sh") + " /t.sh", "sif /t.sh mode 0100755"} {
		if out, err := exec.Command("debugfs", "-w", "-R", cmd, fs).CombinedOutput(); err != nil {
			t.Fatalf("debugfs %s: %v\n%s", cmd, err, out)
		}
	}
	var console strings.Builder
	m := qemu.Machine{Arch: "arm64", Kernel: img, Append: "root=/dev/vda2 rw init=/t.sh", MemoryMiB: 1024, CPUs: 2,
		CPU: "cortex-a57", Accel: "tcg", Disks: []qemu.Disk{{Path: raw, Format: "raw"}}}
	if _, err := qemu.Run(ctx, qemu.Unregistered{}, m, &console, 5*time.Minute); err != nil {
		t.Fatalf("boot: %v\n%s", err, console.String())
	}
	for _, want := range []string{"ARM-GUEST aarch64", "SUCCESS: Calling functions for 5 times", "CLIENT-EXIT 0"} {
		if !strings.Contains(console.String(), want) {
			t.Fatalf("console lacks %q:\n%s", want, console.String())
		}
	}
}
