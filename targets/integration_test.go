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
	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
)

// The integration tests build a real kernel and a real disk image and
// boot them under qemu (TCG): about ten minutes on two cores. They run when
// VSWARMU_INTEGRATION=1 (.ci/run sets it); VSWARMU_TEST_RESOURCES keeps
// the artifacts between runs.

func integration(t *testing.T) {
	t.Helper()
	if os.Getenv("VSWARMU_INTEGRATION") != "1" {
		t.Skip("set VSWARMU_INTEGRATION=1 to build and boot a real kernel and disk image")
	}
	for _, tool := range []string{"qemu-system-x86_64", "mmdebstrap", "busybox", "cpio", "debugfs", "make", "gcc", "flex", "bison", "bc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; .ci/run installs what the integration tests need", tool)
		}
	}
}

// linuxSource is Debian's linux-source package tarball.
func linuxSource(t *testing.T) string {
	t.Helper()
	m, _ := filepath.Glob("/usr/src/linux-source-*.tar.xz")
	if len(m) == 0 {
		t.Fatal("no /usr/src/linux-source-*.tar.xz: apt-get install linux-source-6.1")
	}
	return m[len(m)-1]
}

// project is a project directory with the repository's kernel fragments,
// so the test can touch them without touching the checkout.
func project(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(magetest.RepoRoot(t), "kernel", "configs")
	dst := filepath.Join(dir, "kernel", "configs")
	os.MkdirAll(dst, 0o755)
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(src, e.Name()))
		os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644)
	}
	return dir
}

// testKernel builds the tiny kernel the real-gem5 tier boots with the
// project's kernel stage (Debian's linux-source, tinyconfig + the
// project's fragments: gem5's disk controller, serial console, m5 ops,
// and what containers need) and returns its path. Its own working
// directory under the resources keeps it up to date between runs.
func testKernel(t *testing.T) string { return testKernelFor(t, "amd64") }

// testKernelFor is testKernel for arch (arm64: cross-built with
// aarch64-linux-gnu-).
func testKernelFor(t *testing.T, arch string) string {
	t.Helper()
	tools := []string{"make", "gcc", "flex", "bison", "bc"}
	if arch == "arm64" {
		tools = append(tools, "aarch64-linux-gnu-gcc")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf(
				"%s is not installed: `mage kernel:depInstall` installs what kernels build with (ARCH=%s)",
				tool,
				arch,
			)
		}
	}
	res := resourcesDir(t)
	out := filepath.Join(res, "vmlinux-test-"+arch)
	work := "wk-test-kernel"
	if arch != "amd64" {
		work += "-" + arch
	}
	env := []string{"RESOURCES=" + res, "WORKING_DIR=" + filepath.Join(res, work), "KERNEL_SOURCE=" + linuxSource(t),
		"KVERSION=v6.1", "KERNEL_BASE=tinyconfig", "KERNEL_OUT=" + out, "GEM5=/bin/true", "JOBS=2", "ARCH=" + arch}
	start := time.Now()
	r := magetest.Start(t, magetest.RepoRoot(t), env, "kernel:save").Wait(t, 40*time.Minute)
	if r.Code != 0 {
		t.Fatalf("kernel:save of the %s test kernel: exit %d\n%s", arch, r.Code, r.Output)
	}
	t.Logf("test kernel %s ready in %v", out, time.Since(start).Round(time.Second))
	return out
}

// busyboxInitramfs makes a gzip'd cpio with busybox and an init script.
func busyboxInitramfs(t *testing.T, init string) string {
	t.Helper()
	return busyboxInitramfsWith(t, init, nil)
}

// busyboxInitramfsWith also copies files (name in / → host path) in.
func busyboxInitramfsWith(t *testing.T, init string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	for _, d := range []string{"bin", "proc", "sys", "dev"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	bb, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(bb)
	os.WriteFile(filepath.Join(root, "bin", "busybox"), b, 0o755)
	os.WriteFile(filepath.Join(root, "init"), []byte(init), 0o755)
	for name, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(root, name), b, 0o755)
	}
	out := filepath.Join(dir, "initramfs.cpio.gz")
	cmd := exec.Command("sh", "-c", "find . | cpio -o -H newc 2>/dev/null | gzip > "+out)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("initramfs: %v\n%s", err, b)
	}
	return out
}

// hostMirror is the Debian mirror apt uses on this machine.
func hostMirror(t *testing.T) string {
	b, _ := os.ReadFile("/etc/apt/sources.list.d/debian.sources")
	if m := regexp.MustCompile(`(?m)^URIs:\s*(\S+/debian)\s*$`).FindSubmatch(b); m != nil {
		return string(m[1])
	}
	b, _ = os.ReadFile("/etc/apt/sources.list")
	if m := regexp.MustCompile(`(?m)^deb\s+(\S+/debian)\s+\S+\s+main`).FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return "http://deb.debian.org/debian"
}

func TestIntegrationKernelAndImage(t *testing.T) {
	integration(t)
	res := resourcesDir(t)
	proj := project(t)
	work := filepath.Join(t.TempDir(), "wk")
	kernelOut := filepath.Join(res, "vmlinux-test-amd64")
	env := []string{"RESOURCES=" + res, "WORKING_DIR=" + work, "KERNEL_SOURCE=" + linuxSource(t), "KVERSION=v6.1",
		"KERNEL_BASE=tinyconfig", "KERNEL_OUT=" + kernelOut, "GEM5=/bin/true", "JOBS=2"}
	mage := func(t *testing.T, extra []string, args ...string) magetest.Result {
		t.Helper()
		start := time.Now()
		// A guard against a hang, not a speed goal: a kernel build took
		// over 10 minutes on 2 cores shared with a gem5 run.
		r := magetest.Start(t, proj, append(append([]string(nil), env...), extra...), args...).Wait(t, 40*time.Minute)
		t.Logf("mage %s: exit %d in %v", strings.Join(args, " "), r.Code, time.Since(start).Round(time.Second))
		return r
	}

	t.Run("kernel builds from the fragment on a tinyconfig base", func(t *testing.T) {
		r := mage(t, nil, "kernel:save")
		if r.Code != 0 {
			t.Fatalf("kernel:save: exit %d\n%s", r.Code, r.Output)
		}
		if r := mage(t, nil, "kernel:check"); r.Code != 0 || !strings.Contains(r.Output, "has every required option") {
			t.Fatalf("kernel:check on the built kernel: exit %d\n%s", r.Code, r.Output)
		}
		if r := mage(t, nil, "kernel:save"); r.Code != 0 || !strings.Contains(r.Output, "nothing to do") {
			t.Fatalf("second run: exit %d\n%s", r.Code, r.Output)
		}
	})

	t.Run("the kernel boots a busybox initramfs under qemu", func(t *testing.T) {
		initrd := busyboxInitramfs(
			t,
			"#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\necho \"VSWARMU-BOOT-MARKER $(/bin/busybox uname -r)\"\n/bin/busybox poweroff -f\n",
		)
		var console strings.Builder
		out, err := qemu.Run(
			context.Background(),
			qemu.Unregistered{},
			qemu.Machine{Arch: "amd64", Kernel: kernelOut, Initrd: initrd,
				MemoryMiB: 256, Accel: "tcg"},
			&console,
			2*time.Minute,
		)
		if err != nil {
			t.Fatalf("boot: %v\n%s", err, console.String())
		}
		if !strings.Contains(console.String(), "VSWARMU-BOOT-MARKER 6.1") {
			t.Fatalf("no marker on the serial console:\n%s", console.String())
		}
		t.Logf("boot to power-off: %v", out.Elapsed.Round(10*time.Millisecond))
	})

	t.Run("touching the fragment rebuilds", func(t *testing.T) {
		frag := filepath.Join(proj, "kernel", "configs", "common.config")
		now := time.Now()
		os.Chtimes(frag, now, now)
		r := mage(t, nil, "kernel:save")
		if r.Code != 0 || !strings.Contains(r.Output, "▶ kernel:config — input "+frag) ||
			!strings.Contains(r.Output, "▶ kernel:build") {
			t.Fatalf("after touching the fragment: exit %d\n%s", r.Code, r.Output)
		}
	})

	t.Run("defconfig plus the fragment has what Docker and gem5 need", func(t *testing.T) {
		r := mage(t, []string{"KERNEL_BASE=defconfig"}, "kernel:check")
		if r.Code != 0 || !strings.Contains(r.Output, "▶ kernel:config") ||
			!strings.Contains(r.Output, "has every required option") {
			t.Fatalf("defconfig: exit %d\n%s", r.Code, r.Output)
		}
	})

	t.Run("arm64 defconfig plus the fragment with the cross compiler", func(t *testing.T) {
		if _, err := exec.LookPath("aarch64-linux-gnu-gcc"); err != nil {
			t.Fatal("aarch64-linux-gnu-gcc is not installed; .ci/run installs gcc-aarch64-linux-gnu")
		}
		r := mage(t, []string{"ARCH=arm64", "KERNEL_BASE=defconfig"}, "kernel:check")
		if r.Code != 0 || !strings.Contains(r.Output, "▶ kernel:config") ||
			!strings.Contains(r.Output, "has every required option") {
			t.Fatalf("arm64 defconfig: exit %d\n%s", r.Code, r.Output)
		}
		cfgs, _ := filepath.Glob(filepath.Join(res, "kernel", "build-*-arm64-defconfig", ".config"))
		if len(cfgs) != 1 {
			t.Fatalf("arm64 build directories: %v", cfgs)
		}
		b, _ := os.ReadFile(cfgs[0])
		for _, want := range []string{"CONFIG_ARM64=y", "CONFIG_CC_VERSION_TEXT=\"aarch64-linux-gnu-gcc", "CONFIG_OVERLAY_FS=y"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s lacks %s", cfgs[0], want)
			}
		}
		// An option the merge cannot keep (i915 exists only on x86) is an
		// error naming it, and the config is not left looking done.
		extra := filepath.Join(t.TempDir(), "i915.config")
		os.WriteFile(extra, []byte("CONFIG_DRM_I915=y\n"), 0o644)
		lost := []string{"ARCH=arm64", "KERNEL_BASE=defconfig", "KERNEL_FRAGMENTS=" + extra}
		r = mage(t, lost, "kernel:config")
		if r.Code == 0 || !strings.Contains(r.Output, "CONFIG_DRM_I915=y (final config: not set)") {
			t.Fatalf("lost option: exit %d\n%s", r.Code, r.Output)
		}
		if r := mage(t, append(lost, "DRY_RUN=1"), "kernel:config"); !strings.Contains(
			r.Output,
			"would run kernel:config",
		) {
			t.Fatalf("after the failure kernel:config looks up to date:\n%s", r.Output)
		}
	})

	t.Run("the static client runs in a busybox-only guest", func(t *testing.T) {
		r := mage(t, nil, "client:build")
		if r.Code != 0 {
			t.Fatalf("client:build: exit %d\n%s", r.Code, r.Output)
		}
		clientBin := filepath.Join(res, "test-client-amd64")
		server := filepath.Join(t.TempDir(), "fibonacci")
		build := exec.Command("go", "build", "-o", server, "./functions/src/fibonacci")
		build.Dir = magetest.RepoRoot(t)
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build the reference server: %v\n%s", err, out)
		}
		init := `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox ip link set lo up
/fibonacci -addr 127.0.0.1:50051 &
/client -function-name fibonacci-go -url 127.0.0.1 -port 50051 -n 5 -w 2 -input 10 -m5ops -timeout 30s
echo "CLIENT-EXIT $?"
/bin/busybox poweroff -f
`
		initrd := busyboxInitramfsWith(t, init, map[string]string{"client": clientBin, "fibonacci": server})
		var console strings.Builder
		if _, err := qemu.Run(context.Background(), qemu.Unregistered{}, qemu.Machine{Arch: "amd64", Kernel: kernelOut, Initrd: initrd,
			MemoryMiB: 512, Accel: "tcg"}, &console, 3*time.Minute); err != nil {
			t.Fatalf("boot: %v\n%s", err, console.String())
		}
		out := console.String()
		for _, want := range []string{"SUCCESS: Calling functions for 5 times", "CLIENT-EXIT 0", "warning: m5 ops disabled"} {
			if !strings.Contains(out, want) {
				t.Fatalf("guest console lacks %q:\n%s", want, out)
			}
		}
	})

	imgEnv := []string{
		"KERNEL=" + kernelOut,
		"DISTRO=debian",
		"DEBIAN_VERSION=bookworm",
		"MIRROR=" + hostMirror(t),
		"DISK_SIZE=3G",
	}
	t.Run("the debootstrap builder makes a disk with systemd and docker", func(t *testing.T) {
		start := time.Now()
		r := mage(t, imgEnv, "image:raw")
		if r.Code != 0 {
			t.Fatalf("image:raw: exit %d\n%s", r.Code, r.Output)
		}
		t.Logf("image:base + image:build + image:raw took %v", time.Since(start).Round(time.Second))
		if r := mage(t, imgEnv, "image:raw"); r.Code != 0 || !strings.Contains(r.Output, "nothing to do") {
			t.Fatalf("second image:raw: exit %d\n%s", r.Code, r.Output)
		}
		for _, c := range []struct{ env, want string }{
			{"IMAGE_PACKAGES=htop", "would run image:base: parameters changed: packages"},
			{"DEBIAN_VERSION=trixie", "would run image:base:"},
			{"DISTRO=ubuntu", "would run image:base:"},
		} {
			r := mage(t, append(append([]string(nil), imgEnv...), c.env, "DRY_RUN=1"), "image:raw")
			if r.Code != 0 || !strings.Contains(r.Output, c.want) ||
				!strings.Contains(r.Output, "would run image:build: dependency image:base will run") {
				t.Fatalf("%s: exit %d\n%s", c.env, r.Code, r.Output)
			}
		}
	})

	t.Run("the image boots and gem5init runs a script from the host", func(t *testing.T) {
		raw := filepath.Join(res, "disk-image.raw")
		var console strings.Builder
		script := "echo hello from $(hostname); systemctl is-active docker; docker info --format 'storage={{.Driver}}'\n" +
			"echo vswarmu-marker > /root/vswarmu-marker; sync\n" +
			"/usr/local/sbin/vswarmu-seed /etc/vswarmu/random-seed; grep disabled_plugins /etc/containerd/config.toml\n"
		m := qemu.Machine{Arch: "amd64", Kernel: kernelOut, Append: image.RootAppend("amd64"), MemoryMiB: 2048, CPUs: 2,
			Accel: "tcg", Disks: []qemu.Disk{{Path: raw, Format: "raw"}}}
		out, err := qemu.RunScript(context.Background(), qemu.Unregistered{}, m, script, nil, &console, 5*time.Minute)
		if err != nil {
			t.Fatalf("boot: %v\n%s", err, console.String())
		}
		t.Logf("boot, script and power-off: %v", out.Elapsed.Round(100*time.Millisecond))
		log := string(out.Log)
		// The seed's tool runs (qemu's guest has entropy already) and
		// containerd is active with the disk's configuration.
		for _, want := range []string{"hello from vswarmu", "active", "storage=overlay2", "random number generator", `"io.containerd.grpc.v1.cri"`} {
			if !strings.Contains(log, want) {
				t.Errorf("uploaded log lacks %q:\n%s", want, log)
			}
		}
		if out.Status != 0 {
			t.Errorf("script status %d", out.Status)
		}
		marker, err := image.ReadFile(context.Background(), raw, "/root/vswarmu-marker")
		if err != nil || string(marker) != "vswarmu-marker\n" {
			t.Fatalf("marker read with debugfs: %q, %v", marker, err)
		}
		manifest, err := image.ReadFile(context.Background(), raw, "/etc/vswarmu/image.json")
		if err != nil || !strings.Contains(string(manifest), "agent/gem5init") {
			t.Fatalf("image manifest: %s, %v", manifest, err)
		}
		fmt.Fprintln(os.Stderr, "image boot console tail:\n"+out.Tail[max(0, len(out.Tail)-400):])
	})

	t.Run("functions install into the disk under qemu, then the main job runs", func(t *testing.T) {
		fnEnv := append(append([]string(nil), imgEnv...), "IMAGES=reference", "FUNCTIONS=fibonacci-go fibonacci-nodejs fibonacci-python", "GEM5=standin",
			"SETUP_CPU=kvm", "BOOT_TIMEOUT=15m")
		start := time.Now()
		r := mage(t, fnEnv, "functions:install")
		if r.Code != 0 {
			t.Fatalf("functions:install: exit %d\n%s", r.Code, r.Output)
		}
		t.Logf("functions:reference + functions:install took %v", time.Since(start).Round(time.Second))
		// The Node.js and Python images are built here too, and each
		// function answered the install's invocation rightly in its container.
		for _, want := range []string{"✔ functions:referenceNodejs", "✔ functions:referencePython"} {
			if !strings.Contains(r.Output, want) {
				t.Errorf("functions:install did not build the interpreted images (%q):\n%s", want, r.Output)
			}
		}
		// Each function's container is created and pinned for the setup.
		installLog, _ := os.ReadFile(filepath.Join(work, "logs", "functions-install.log"))
		for _, fn := range []string{"fibonacci-go", "fibonacci-nodejs", "fibonacci-python"} {
			if !strings.Contains(string(installLog), "VSWARMU-PREPARED "+fn) {
				t.Errorf("the install did not prepare %s's container:\n%s", fn, installLog)
			}
		}
		r = mage(t, fnEnv, "functions:check")
		for _, fn := range []string{"fibonacci-go", "fibonacci-nodejs", "fibonacci-python"} {
			if r.Code != 0 || !strings.Contains(r.Output, "✔ "+fn) {
				t.Fatalf("functions:check (%s): exit %d\n%s", fn, r.Code, r.Output)
			}
		}
		r = mage(t, fnEnv, "simulate:all")
		if r.Code != 0 || !strings.Contains(r.Output, "fibonacci-go                 succeeded") ||
			!strings.Contains(r.Output, "fibonacci-python             succeeded") {
			t.Fatalf("simulate:all: exit %d\n%s", r.Code, r.Output)
		}
		if r := mage(t, fnEnv, "simulate:all"); r.Code != 0 || !strings.Contains(r.Output, "nothing to do") {
			t.Fatalf("second simulate:all: exit %d\n%s", r.Code, r.Output)
		}
		// The installed disk holds the image and the compose file.
		raw := filepath.Join(work, "disk", "functions.raw")
		if b, err := image.ReadFile(context.Background(), raw, "/root/vswarmu/functions.yaml"); err != nil ||
			!strings.Contains(string(b), "fibonacci-go:") {
			t.Fatalf("compose file in the installed disk: %v", err)
		}
	})
}

func TestIntegrationAutoinstallWithAFakeISO(t *testing.T) {
	integration(t)
	if _, err := exec.LookPath("xorriso"); err != nil {
		t.Fatal("xorriso is not installed")
	}
	res := resourcesDir(t)
	kernelOut := filepath.Join(res, "vmlinux-test-amd64")
	if _, err := os.Stat(kernelOut); err != nil {
		t.Skip("needs the kernel of TestIntegrationKernelAndImage")
	}
	dir := t.TempDir()
	// The ISO: casper/vmlinuz (the kernel stage's kernel) and casper/initrd.
	shims := map[string]string{}
	for name, body := range installerShims {
		p := filepath.Join(dir, "shim-"+name)
		os.WriteFile(p, []byte(body), 0o755)
		shims["shims/"+name] = p
	}
	initrd := busyboxInitramfsWith(t, fakeInstaller, nil)
	// busyboxInitramfsWith puts files at the top; the shims go in a directory.
	tree := filepath.Join(dir, "iso")
	os.MkdirAll(filepath.Join(tree, "casper"), 0o755)
	copyFile(t, kernelOut, filepath.Join(tree, "casper", "vmlinuz"))
	initrd = withShims(t, initrd, shims)
	copyFile(t, initrd, filepath.Join(tree, "casper", "initrd"))
	iso := filepath.Join(dir, "ubuntu-fake-live-server-amd64.iso")
	if out, err := exec.Command("xorriso", "-as", "mkisofs", "-quiet", "-R", "-J", "-V", "FAKE_UBUNTU", "-o", iso, tree).CombinedOutput(); err != nil {
		t.Fatalf("make the ISO: %v\n%s", err, out)
	}
	srv := isoServer(t, map[string]string{"/releases/fake.iso": iso})
	env := []string{
		"WORKING_DIR=" + filepath.Join(dir, "wk"),
		"RESOURCES=" + filepath.Join(dir, "res"),
		"IMAGE_BUILDER=autoinstall",
		"ISO_URL=" + srv.URL + "/releases/fake.iso",
		"ISO_SHA256=" + sha256File(t, iso),
		"DISK_SIZE=64M",
		"KERNEL=" + kernelOut,
		"GEM5=/bin/true",
		"CLIENT=/bin/true",
		"MEMORY=512M",
		"ROOT_PASSWORD=s3cret",
	}
	start := time.Now()
	r := magetest.Mage(t, dir, env, "image:base")
	if r.Code != 0 {
		log, _ := os.ReadFile(filepath.Join(dir, "wk", "logs", "image-base.log"))
		t.Fatalf("autoinstall: exit %d\n%s\n%s", r.Code, r.Output, log)
	}
	t.Logf("fake autoinstall and finalize took %v", time.Since(start).Round(time.Second))
	log, _ := os.ReadFile(filepath.Join(dir, "wk", "logs", "image-base.log"))
	for _, want := range []string{"late-command: /target/usr/local/sbin/gem5init", "gem5init: running run.sh", "finalized"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("image:base log lacks %q:\n%s", want, log)
		}
	}
	if r := magetest.Mage(t, dir, env, "image:base"); r.Code != 0 || !strings.Contains(r.Output, "nothing to do") {
		t.Fatalf("second run: exit %d\n%s", r.Code, r.Output)
	}
}
