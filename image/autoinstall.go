package image

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/internal/serve"
)

// Runner makes registered commands (a job.Job is one).
type Runner = qemu.Commander

// ISO is an installer image and its published sha256.
type ISO struct {
	URL    string
	SHA256 string
}

// ISOs are the Ubuntu live-server releases the original installed from.
var ISOs = map[string]ISO{
	"focal": {URL: "https://releases.ubuntu.com/20.04/ubuntu-20.04.6-live-server-amd64.iso",
		SHA256: "b8f31413336b9393ad5d8ef0282717b2ab19f007df2e9ed5196c13d8f9153c8b"},
	"jammy": {URL: "https://old-releases.ubuntu.com/releases/22.04.4/ubuntu-22.04.4-live-server-amd64.iso",
		SHA256: "45f873de9f8cb637345d6e66a583762730bbea30277ef7b32c9c3bd6700a32b2"},
}

// Autoinstall configures the installer path.
type Autoinstall struct {
	ISO       ISO
	Kernel    string // boots the installed disk to finalize it (the kernel stage's vmlinux)
	MemoryMiB int64
	CPUs      int
	Timeout   time.Duration
	// Accel decides how qemu runs (kvm or tcg, and a -cpu model).
	Accel func(ctx context.Context, r Runner) (accel, cpu string)
}

// userData is the autoinstall configuration the installer fetches from the
// file server (cloud-init nocloud-net). Late commands install the guest
// agent so the finalize boot can run its script.
func (s Spec) userData(server string) string {
	return fmt.Sprintf(`#cloud-config
autoinstall:
  version: 1
  locale: en_US.UTF-8
  keyboard: {layout: us}
  identity:
    hostname: vswarmu
    username: vswarmu
    password: "!"
  ssh:
    install-server: true
  storage:
    layout: {name: direct}
  packages: [docker.io, docker-compose, curl]
  late-commands:
    - curl -fsS -o /target/usr/local/sbin/gem5init %[1]s/gem5init
    - chmod 0755 /target/usr/local/sbin/gem5init
    - curl -fsS -o /target/etc/systemd/system/gem5init.service %[1]s/gem5init.service
    - curtin in-target --target=/target -- systemctl enable gem5init.service
    - curtin in-target --target=/target -- sh -c 'echo "root:%[2]s" | chpasswd'
    - sh -c 'tar -cz -C /var/log installer | curl -fsS -T - %[1]s/upload/install.log' || true
  shutdown: poweroff
`, server, s.RootPassword)
}

// finalizeScript runs in the installed system booted with the kernel stage's
// kernel: what the installer cannot do.
const finalizeScript = `set -e
systemctl enable docker.service
systemctl mask apt-daily.timer apt-daily-upgrade.timer motd-news.timer e2scrub_all.timer fstrim.timer || true
mkdir -p /etc/systemd/network /etc/docker /etc/vswarmu
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' > /etc/systemd/network/20-dhcp.network
systemctl enable systemd-networkd.service
printf '{\n  "storage-driver": "overlay2"\n}\n' > /etc/docker/daemon.json
docker info > /dev/null 2>&1 && echo "docker runs"
apt-get clean
echo finalized
`

// autoinstall installs Ubuntu from the live-server ISO in qemu, as the
// original did, then finalizes the installed disk with the kernel stage's
// kernel.
func (s Spec) autoinstall(ctx context.Context, j job.Job) error {
	if s.Auto.ISO.URL == "" {
		return fmt.Errorf(
			"IMAGE_BUILDER=autoinstall: no installer ISO known for %s %s; set ISO_URL and ISO_SHA256",
			s.Distro,
			s.Suite,
		)
	}
	if err := apt.Need("xorriso", "qemu-img"); err != nil {
		return err
	}
	iso := filepath.Join(s.Dir, "downloads", filepath.Base(s.Auto.ISO.URL))
	j.Logf("go-getter: %s (sha256 %s) -> %s", s.Auto.ISO.URL, s.Auto.ISO.SHA256, iso)
	if err := download.File(ctx, s.Auto.ISO.URL, "sha256:"+s.Auto.ISO.SHA256, iso, download.Report("ISO", j.Progress)); err != nil {
		return err
	}
	// The installer's kernel and initrd, read from the ISO without mounting it.
	boot, err := os.MkdirTemp(s.Dir, ".iso-boot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(boot)
	vmlinuz, initrd := filepath.Join(boot, "vmlinuz"), filepath.Join(boot, "initrd")
	if err := j.Run(ctx, "xorriso", "-osirrox", "on", "-indev", iso,
		"-extract", "/casper/vmlinuz", vmlinuz, "-extract", "/casper/initrd", initrd); err != nil {
		return fmt.Errorf("read the installer kernel and initrd from %s: %w", iso, err)
	}
	raw := j.Out(s.Base())
	if err := j.Run(ctx, "qemu-img", "create", "-f", "raw", raw, fmt.Sprint(s.DiskSize)); err != nil {
		return err
	}
	agent, _, err := s.guestFile("gem5init")
	if err != nil {
		return err
	}
	unit, _, err := s.guestFile("gem5init.service")
	if err != nil {
		return err
	}
	srv, err := serve.Start(serve.Options{
		Data: map[string][]byte{"meta-data": []byte("instance-id: vswarmu\n"), "vendor-data": nil,
			"gem5init": agent, "gem5init.service": unit},
		Uploads: []string{"install.log"}, Log: j.Log(),
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.SetData("user-data", []byte(s.userData(srv.GuestURL())))
	accel, cpu := "tcg", ""
	if s.Auto.Accel != nil {
		accel, cpu = s.Auto.Accel(ctx, j)
	}
	j.Progress("installing %s %s (autoinstall)", s.Distro, s.Suite)
	m := qemu.Machine{Arch: s.Arch, Kernel: vmlinuz, Initrd: initrd, Network: true,
		Append:    "autoinstall ds=nocloud-net;s=" + srv.GuestURL() + "/ console=" + qemu.Console(s.Arch),
		MemoryMiB: max(s.Auto.MemoryMiB, 4096), CPUs: s.Auto.CPUs, Accel: accel, CPU: cpu,
		Disks: []qemu.Disk{{Path: raw, Format: "raw"}, {Path: iso, CDROM: true}}}
	if _, err := qemu.Run(ctx, j, m, j.Log(), s.Auto.Timeout); err != nil {
		return fmt.Errorf("autoinstall: %w", err)
	}
	if _, ok := srv.Uploaded("install.log"); !ok {
		return fmt.Errorf(
			"autoinstall: the installer powered off without reporting (no install.log upload); its console is in the log",
		)
	}
	j.Progress("finalizing with the kernel stage's kernel")
	res, err := qemu.RunScript(ctx, j, qemu.Machine{Arch: s.Arch, Kernel: s.Auto.Kernel, MemoryMiB: s.Auto.MemoryMiB,
		CPUs: s.Auto.CPUs, Accel: accel, CPU: cpu, Append: RootAppend(s.Arch),
		Disks: []qemu.Disk{{Path: raw, Format: "raw"}}}, finalizeScript, nil, j.Log(), s.Auto.Timeout)
	j.Logf("---- finalize script output ----\n%s---- end ----", res.Log)
	if err != nil {
		return fmt.Errorf("finalize: %w", err)
	}
	if res.Status != 0 {
		return fmt.Errorf("finalize script failed with status %d:\n%s", res.Status, res.Log)
	}
	return nil
}

// RootAppend is the kernel command line for booting an image's root
// partition under qemu (virtio disk).
func RootAppend(arch string) string {
	return fmt.Sprintf("root=/dev/vda%d rw console=%s", RootPart, qemu.Console(arch))
}
