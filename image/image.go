// Package image is the base disk image stage: a bootable disk with
// systemd, Docker and compose, ssh and the gem5init guest agent, made by
// debootstrap (mmdebstrap, from any apt mirror, no installer VM) or by the
// original's Ubuntu live-server autoinstall, then the m5 utility, the
// client and the agent are written into it.
package image

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

//go:embed guest/*
var guestFS embed.FS

// Packages are the host packages the image stage needs to build and boot
// a disk of distro for arch with builder (debootstrap or autoinstall).
func Packages(builder, distro, arch string) []string {
	pkgs := append([]string{"e2fsprogs", "fdisk"}, QemuPackages(arch)...)
	switch builder {
	case "autoinstall":
		pkgs = append(pkgs, "xorriso")
	default:
		pkgs = append(pkgs, "mmdebstrap", "debootstrap")
		if distro == "debian" {
			pkgs = append(pkgs, "debian-archive-keyring")
		}
		// Ubuntu's keyring: the host's (every Ubuntu has it), else
		// image:keyring fetches it from the Ubuntu archive.
	}
	return pkgs
}

// QemuPackages are what booting an arch guest under qemu needs.
func QemuPackages(arch string) []string {
	if arch == "arm64" {
		return []string{"qemu-utils", "qemu-system-arm", "qemu-efi-aarch64"}
	}
	return []string{"qemu-utils", "qemu-system-x86"}
}

// KeyringHint says what to do when Ubuntu's archive keyring cannot be
// installed (Debian does not package it).
const KeyringHint = "Ubuntu's archive keyring (ubuntu-keyring) is not packaged for this host and was not fetched: set UBUNTU_KEYRING to Ubuntu's ubuntu-archive-keyring.gpg (from an Ubuntu machine, /usr/share/keyrings), or build a Debian disk with DISTRO=debian"

// Spec describes the disk image to build.
type Spec struct {
	Builder string // debootstrap or autoinstall
	Distro  string // ubuntu or debian
	Suite   string // focal, jammy, bookworm, ...
	Arch    string // amd64 or arm64
	Mirror  string // apt mirror ("" = the distribution's public one)
	Keyring string // the archive keyring of an Ubuntu image ("" = the host's ubuntu-keyring)
	// KeyringFetched: Keyring is image:keyring's, made before the disk.
	KeyringFetched bool
	DiskSize       int64 // bytes
	RootPassword   string
	Extra          []string // extra packages
	Dir            string   // $RESOURCES/image: base disks and downloads
	Out            string   // the qcow2 image
	Raw            string   // the raw copy gem5 reads
	ProjectDir     string   // guest files are taken from ProjectDir/image/guest when there
	GuestTools              // this project's programs the image gets
	Auto           Autoinstall
	// Runtime are container runtime programs written over the
	// distribution's (Runtime.Injects); none keeps the distribution's.
	Runtime []Inject
}

// GuestTools are this project's programs an image gets.
type GuestTools struct {
	M5           string // the m5 utility to install, "" for none
	Client       string // the client to install, "" for none
	ClientName   string // its name in the guest
	Launcher     string // vswarmu-run (functions as plain processes), "" for none
	LauncherPath string // its path in the guest
	Seeder       string // vswarmu-seed (credits RandomSeedPath at a simulated boot), "" for none
}

// DefaultMirror is the public apt mirror of a distribution and arch.
func DefaultMirror(distro, arch string) string {
	switch {
	case distro == "debian":
		return "http://deb.debian.org/debian"
	case arch == "arm64":
		return "http://ports.ubuntu.com/ubuntu-ports"
	}
	return "http://archive.ubuntu.com/ubuntu"
}

func (s Spec) mirror() string {
	if s.Mirror != "" {
		return s.Mirror
	}
	return DefaultMirror(s.Distro, s.Arch)
}

// BasePackages are what the debootstrap builder installs on top of minbase.
func (s Spec) BasePackages() []string {
	pkgs := []string{
		"systemd-sysv", "udev", "dbus", "kmod", "iproute2", "iputils-ping", "ifupdown", "ca-certificates",
		"curl", "openssh-server", "procps", "less", "iptables", "docker.io", "docker-compose",
	}
	pkgs = append(pkgs, s.Extra...)
	sort.Strings(pkgs)
	return pkgs
}

// Base is the raw disk with the operating system, before the agent, m5 and
// the client are added.
func (s Spec) Base() string {
	return filepath.Join(s.Dir, fmt.Sprintf("base-%s-%s-%s-%s.raw", s.Builder, s.Distro, s.Suite, s.Arch))
}

// guestFile returns a guest file: from the project checkout when present
// (and its path, so the engine sees its time), else the built-in copy.
func (s Spec) guestFile(name string) ([]byte, string, error) { return GuestFile(s.ProjectDir, name) }

// GuestFile returns a file of image/guest (the agent, units, init
// scripts): projectDir's copy when it has one (and its path, so the engine
// sees its time), else the copy built into the tool.
func GuestFile(projectDir, name string) ([]byte, string, error) {
	p := filepath.Join(projectDir, "image", "guest", name)
	if b, err := os.ReadFile(p); err == nil {
		return b, p, nil
	}
	b, err := guestFS.ReadFile("guest/" + name)
	return b, "", err
}

// LeanInit is the disk's init for simulated boots without systemd
// (SIMULATED_INIT=lean): the kernel command line names it.
const LeanInit = "/usr/local/sbin/vswarmu-init"

// agentFiles are the guest agent's files and where they go.
var agentFiles = []struct {
	name, dst string
	mode      os.FileMode
}{
	{"gem5init", "/usr/local/sbin/gem5init", 0o755},
	{"gem5init.service", "/etc/systemd/system/gem5init.service", 0o644},
	{"vswarmu-init", LeanInit, 0o755},
}

// BaseDescription is what shapes the base disk (for a build's
// parameters: a change makes the disk stale).
func (s Spec) BaseDescription() map[string]string {
	d := map[string]string{"IMAGE_BUILDER": s.Builder, "DISTRO": s.Distro, "suite": s.Suite, "ARCH": s.Arch,
		"MIRROR": s.mirror(), "DISK_SIZE": fmt.Sprint(s.DiskSize), "packages": strings.Join(s.BasePackages(), " "),
		"ROOT_PASSWORD": hashed(s.RootPassword)}
	if s.Builder == "autoinstall" {
		d["iso"] = s.Auto.ISO.URL + " " + s.Auto.ISO.SHA256
	}
	return d
}

// MakeBase builds the operating system disk at j.Out(Base()) with the
// spec's builder.
func (s Spec) MakeBase(ctx context.Context, j job.Job) error {
	if s.Builder == "autoinstall" {
		return s.autoinstall(ctx, j)
	}
	return s.debootstrap(ctx, j)
}

// ToRaw converts the disk image (Out) to the raw format gem5 reads.
func (s Spec) ToRaw(ctx context.Context, j job.Job) error {
	return j.Run(ctx, "qemu-img", "convert", "-O", "raw", s.Out, j.Out(s.Raw))
}

func hashed(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// debootstrap makes the operating system with mmdebstrap into a directory,
// configures it, and builds the partitioned raw disk around it with
// mkfs.ext4 -d (no mounts).
func (s Spec) debootstrap(ctx context.Context, j job.Job) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("the debootstrap builder needs root (mmdebstrap and chroot); run it as root or with sudo")
	}
	if err := apt.Need("mmdebstrap", "mkfs.ext4", "sfdisk", "qemu-img", "debugfs"); err != nil {
		return err
	}
	rootfs := filepath.Join(s.Dir, ".rootfs-"+filepath.Base(s.Base()))
	if err := os.RemoveAll(rootfs); err != nil {
		return err
	}
	defer os.RemoveAll(rootfs)
	components := "main"
	var keyring []string
	if s.Distro == "ubuntu" {
		components = "main,universe"
		k, err := s.ubuntuKeyring()
		if err != nil {
			return err
		}
		keyring = []string{"--keyring=" + k}
	}
	j.Progress("mmdebstrap %s %s", s.Distro, s.Suite)
	start := time.Now()
	err := j.Run(ctx, "mmdebstrap", append(keyring, "--variant=minbase", "--mode=root",
		"--architectures="+s.Arch, "--components="+components,
		"--include="+strings.Join(s.BasePackages(), ","),
		"--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
		"--dpkgopt=path-exclude=/usr/share/locale/*", "--dpkgopt=path-include=/usr/share/locale/locale.alias",
		s.Suite, rootfs, s.mirror())...)
	if err != nil {
		return fmt.Errorf("mmdebstrap %s %s from %s: %w", s.Distro, s.Suite, s.mirror(), err)
	}
	j.Logf("mmdebstrap took %s", time.Since(start).Round(time.Second))
	if err := s.configure(ctx, j, rootfs); err != nil {
		return err
	}
	j.Progress("making the disk")
	return MakeDisk(ctx, j, rootfs, j.Out(s.Base()), s.DiskSize)
}

// ubuntuKeyring is the keyring that checks the Ubuntu archive: the one
// given, else the host's ubuntu-keyring package's.
func (s Spec) ubuntuKeyring() (string, error) {
	if s.Keyring != "" {
		return s.Keyring, nil
	}
	if _, err := os.Stat(hostUbuntuKeyring); err != nil {
		return "", fmt.Errorf("DISTRO=ubuntu: no %s: %s", hostUbuntuKeyring, KeyringHint)
	}
	return hostUbuntuKeyring, nil
}

// hostUbuntuKeyring is where the ubuntu-keyring package puts the archive's key.
const hostUbuntuKeyring = "/usr/share/keyrings/ubuntu-archive-keyring.gpg"

// configure sets up the root file system: hostname, fstab, DHCP with
// systemd-networkd, DNS for qemu's user network, the root password, and
// no periodic apt jobs (they would disturb measurements).
func (s Spec) configure(ctx context.Context, j job.Job, root string) error {
	network, _, err := s.guestFile("20-dhcp.network")
	if err != nil {
		return err
	}
	files := map[string]string{
		"etc/hostname":                                "vswarmu\n",
		"etc/hosts":                                   "127.0.0.1 localhost\n127.0.1.1 vswarmu\n::1 localhost ip6-localhost ip6-loopback\n",
		"etc/fstab":                                   "LABEL=" + rootLabel + " / ext4 defaults,noatime 0 1\n",
		"etc/systemd/network/20-dhcp.network":         string(network),
		"etc/docker/daemon.json":                      "{\n  \"storage-driver\": \"overlay2\",\n  \"log-driver\": \"json-file\"\n}\n",
		"etc/vswarmu/base.json":                       s.manifestBase(),
		"etc/systemd/system/getty.target.wants/.keep": "",
	}
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return err
		}
	}
	_ = os.Remove(filepath.Join(root, "etc/resolv.conf"))
	if err := os.WriteFile(filepath.Join(root, "etc/resolv.conf"), []byte("nameserver 10.0.2.3\n"), 0o644); err != nil {
		return err
	}
	links := map[string]string{
		"etc/systemd/system/multi-user.target.wants/systemd-networkd.service": "/lib/systemd/system/systemd-networkd.service",
		"etc/systemd/system/sockets.target.wants/systemd-networkd.socket":     "/lib/systemd/system/systemd-networkd.socket",
		"etc/systemd/system/apt-daily.timer":                                  "/dev/null",
		"etc/systemd/system/apt-daily-upgrade.timer":                          "/dev/null",
		"etc/systemd/system/e2scrub_all.timer":                                "/dev/null",
		"etc/systemd/system/fstrim.timer":                                     "/dev/null",
		"etc/systemd/system/systemd-networkd-wait-online.service":             "/dev/null",
	}
	for p, target := range links {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		_ = os.Remove(full)
		if err := os.Symlink(target, full); err != nil {
			return err
		}
	}
	_ = os.Remove(filepath.Join(root, "etc/systemd/system/getty.target.wants/.keep"))
	c := j.Command("chroot", root, "chpasswd")
	c.Stdin = strings.NewReader("root:" + s.RootPassword + "\n")
	if err := j.RunCmd(ctx, c); err != nil {
		return fmt.Errorf("set the root password: %w", err)
	}
	// The image gets ssh host keys at its first boot, not shared copies.
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*"))
	for _, k := range keys {
		_ = os.Remove(k)
	}
	regen := "[Unit]\nDescription=Generate ssh host keys\nBefore=ssh.service\nConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\n\n[Service]\nType=oneshot\nExecStart=/usr/bin/ssh-keygen -A\n\n[Install]\nWantedBy=multi-user.target\n"
	if err := os.WriteFile(filepath.Join(root, "etc/systemd/system/ssh-keygen.service"), []byte(regen), 0o644); err != nil {
		return err
	}
	return os.Symlink(
		"/etc/systemd/system/ssh-keygen.service",
		filepath.Join(root, "etc/systemd/system/multi-user.target.wants/ssh-keygen.service"),
	)
}

func (s Spec) manifestBase() string {
	b, _ := json.MarshalIndent(map[string]any{
		"builder": s.Builder, "distro": s.Distro, "suite": s.Suite, "arch": s.Arch, "mirror": s.mirror(),
		"packages": s.BasePackages(), "built": time.Now().UTC().Format(time.RFC3339),
	}, "", "  ")
	return string(b) + "\n"
}

// MakeDisk creates a sparse raw disk of size bytes with this stage's
// partition table and writes an ext4 file system made from the directory
// root into partition 2 (mkfs.ext4 -d: no mount, no loop device).
func MakeDisk(ctx context.Context, r Runner, root, raw string, size int64) error {
	f, err := os.Create(raw)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return fmt.Errorf("disk of %d bytes: %w", size, err)
	}
	f.Close()
	c := r.Command("sfdisk", "--no-reread", "--no-tell-kernel", raw)
	c.Stdin = strings.NewReader(partitionTable())
	if err := c.Run(ctx); err != nil {
		return fmt.Errorf("partition %s: %w", raw, err)
	}
	fsBytes := size - rootStart*sector
	if err := r.Command("mkfs.ext4", "-q", "-F", "-L", rootLabel, "-d", root,
		"-E", fmt.Sprintf("offset=%d", rootStart*sector), raw, fmt.Sprintf("%dk", fsBytes/1024)).Run(ctx); err != nil {
		return fmt.Errorf("make the root file system: %w", err)
	}
	return nil
}

// FinishInputs are the files image:build copies into the disk and
// what they hold (for a build's inputs and parameters).
func (s Spec) FinishInputs() (inputs []string, description map[string]string) {
	description = map[string]string{"m5": s.M5, "client": s.Client, "launcher": s.Launcher, "seeder": s.Seeder,
		"containerd-config": containerdConfig, "gem5-skipped": strings.Join(Gem5SkippedUnits, " "), "gem5-skip": gem5Skip,
		"masked-generators": strings.Join(MaskedGenerators, " ")}
	for _, a := range agentFiles {
		b, p, err := s.guestFile(a.name)
		if err == nil {
			description["agent:"+a.name] = string(b)
		}
		if p != "" {
			inputs = append(inputs, p)
		}
	}
	for _, p := range []string{s.M5, s.Client, s.Launcher, s.Seeder} {
		if p != "" {
			inputs = append(inputs, p)
		}
	}
	for _, r := range s.Runtime {
		inputs = append(inputs, r.Src)
		description["runtime:"+r.Dst] = filepath.Base(r.Src)
	}
	return inputs, description
}

// Finish copies the base disk, writes the agent, m5, the client and the
// launcher into it with debugfs and converts it to qcow2 at j.Out(Out):
// seconds, so changing the agent or the client never rebuilds the
// operating system.
func (s Spec) Finish(ctx context.Context, j job.Job) error {
	if err := apt.Need("debugfs", "qemu-img", "sfdisk", "cp"); err != nil {
		return err
	}
	work := filepath.Join(s.Dir, ".work-"+filepath.Base(s.Out)+".raw")
	defer os.Remove(work)
	if err := j.Run(ctx, "cp", "--sparse=always", s.Base(), work); err != nil {
		return err
	}
	if len(s.Runtime) == 0 && s.Arch == "amd64" {
		warnDistributionRuntime(ctx, j, work)
	}
	tmp, err := os.MkdirTemp(s.Dir, ".agent-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var files []Inject
	manifest := map[string]any{"base": filepath.Base(s.Base()), "made": time.Now().UTC().Format(time.RFC3339)}
	for _, a := range agentFiles {
		b, _, err := s.guestFile(a.name)
		if err != nil {
			return err
		}
		src := filepath.Join(tmp, a.name)
		if err := os.WriteFile(src, b, 0o644); err != nil {
			return err
		}
		files = append(files, Inject{Src: src, Dst: a.dst, Mode: a.mode})
		manifest["agent/"+a.name] = sha(b)
	}
	if s.M5 != "" {
		files = append(files, Inject{Src: s.M5, Dst: "/sbin/m5", Mode: 0o755})
		manifest["m5"] = fileSHA(s.M5)
	} else {
		j.Warnf("no m5 utility to install: the image cannot talk to gem5 (M5_UTIL=builtin installs this project's)")
	}
	if s.Client != "" {
		files = append(files, Inject{Src: s.Client, Dst: "/usr/local/bin/" + s.ClientName, Mode: 0o755})
		manifest["client"] = fileSHA(s.Client)
	}
	if s.Launcher != "" {
		files = append(files, Inject{Src: s.Launcher, Dst: s.LauncherPath, Mode: 0o755})
		manifest["launcher"] = fileSHA(s.Launcher)
	}
	for _, r := range s.Runtime {
		files = append(files, r)
		manifest["runtime"+r.Dst] = fileSHA(r.Src)
	}
	guest, err := s.simulationFiles(tmp)
	if err != nil {
		return err
	}
	files = append(files, guest...)
	mb, _ := json.MarshalIndent(manifest, "", "  ")
	mpath := filepath.Join(tmp, "image.json")
	if err := os.WriteFile(mpath, append(mb, '\n'), 0o644); err != nil {
		return err
	}
	files = append(files, Inject{Src: mpath, Dst: "/etc/vswarmu/image.json", Mode: 0o644})
	links := append(
		[]Link{
			{
				Path:   "/etc/systemd/system/multi-user.target.wants/gem5init.service",
				Target: "/etc/systemd/system/gem5init.service",
			},
		},
		notStartedAtBoot...)
	for _, g := range MaskedGenerators {
		links = append(links, Link{Path: "/etc/systemd/system-generators/" + g, Target: "/dev/null"})
	}
	skip, err := s.gem5Skips(tmp)
	if err != nil {
		return err
	}
	files = append(files, skip...)
	j.Progress("writing the agent, m5 and the client")
	if err := injectFiles(ctx, j, work, files, links); err != nil {
		return err
	}
	j.Progress("converting to qcow2")
	return j.Run(ctx, "qemu-img", "convert", "-O", "qcow2", work, j.Out(s.Out))
}

// SeederPath is where vswarmu-seed is in the guest, RandomSeedPath the
// seed it credits (written once per disk by image:build).
const (
	SeederPath     = "/usr/local/sbin/vswarmu-seed"
	RandomSeedPath = "/etc/vswarmu/random-seed"
)

// containerdConfig is the guest's /etc/containerd/config.toml: the
// Kubernetes CRI plugin off, as in Docker's containerd.io package that
// vSwarm-u's guest runs (Docker does not use it; it starts a CNI watcher,
// a streaming server and its own image service, minutes on atomic cores),
// and the metadata collector on a fixed interval. Its scheduler sets the
// interval from how long its last collection took (pause_threshold); in
// a simulated guest the clock advances in jiffies (4 ms), a collection of
// an empty store measures 0, and the scheduler re-arms a zero timer
// forever: containerd kept core 0 busy in an idle window on gem5.
const containerdConfig = `# vswarmu-mage: containerd as Docker uses it. The CRI plugin serves
# Kubernetes only; Docker's own containerd.io package disables it too.
version = 2
disabled_plugins = ["io.containerd.grpc.v1.cri"]

# The metadata collector every second instead of an interval computed from
# its last collection's duration: a simulated guest's clock advances in
# 4 ms steps, a quick collection measures 0 and the interval becomes 0.
[plugins."io.containerd.gc.v1.scheduler"]
  pause_threshold = 0.0
`

// simulationFiles are the files a simulated boot needs beyond the agent:
// containerd's configuration and, with a Seeder, vswarmu-seed and a fresh
// random seed for it, written under tmp.
func (s Spec) simulationFiles(tmp string) ([]Inject, error) {
	conf := filepath.Join(tmp, "containerd-config.toml")
	if err := os.WriteFile(conf, []byte(containerdConfig), 0o644); err != nil {
		return nil, err
	}
	files := []Inject{{Src: conf, Dst: "/etc/containerd/config.toml", Mode: 0o644}}
	if s.Seeder == "" {
		return files, nil
	}
	seed := make([]byte, 64)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("make the disk's random seed: %w", err)
	}
	seedFile := filepath.Join(tmp, "random-seed")
	if err := os.WriteFile(seedFile, seed, 0o600); err != nil {
		return nil, err
	}
	return append(
		files,
		Inject{Src: s.Seeder, Dst: SeederPath, Mode: 0o755},
		Inject{Src: seedFile, Dst: RandomSeedPath, Mode: 0o600},
	), nil
}

// notStartedAtBoot are the container runtime's enablements, removed: a
// boot starts neither Docker nor containerd. Under gem5 a container-mode
// boot starts them before its checkpoint (gem5init, vswarmu.docker=1), a
// process-mode boot never pays for them; under qemu the install starts
// them itself.
var notStartedAtBoot = []Link{
	{Path: "/etc/systemd/system/multi-user.target.wants/docker.service"},
	{Path: "/etc/systemd/system/sockets.target.wants/docker.socket"},
	{Path: "/etc/systemd/system/multi-user.target.wants/containerd.service"},
}

// MaskedGenerators are systemd's generators the disk never needs (no
// encrypted, verity or integrity volumes, no SysV scripts, no gettys, no
// hibernation): each is a program systemd runs at every boot, before any
// unit, which costs minutes on gem5's atomic cores. A link to /dev/null in
// /etc/systemd/system-generators masks one; fstab's generator stays.
var MaskedGenerators = []string{
	"systemd-cryptsetup-generator", "systemd-debug-generator", "systemd-getty-generator", "systemd-gpt-auto-generator",
	"systemd-hibernate-resume-generator", "systemd-integritysetup-generator", "systemd-rc-local-generator",
	"systemd-run-generator", "systemd-system-update-generator", "systemd-sysv-generator", "systemd-veritysetup-generator",
}

// Gem5SkippedUnits are units a simulated boot never needs: under gem5
// (vswarmu.gem5=1 on the kernel command line) a drop-in's condition skips
// each; under qemu they run as usual. Every unit skipped is minutes of
// atomic-core boot saved.
var Gem5SkippedUnits = []string{
	"ssh.service", "ssh-keygen.service", "systemd-networkd.service", "systemd-networkd.socket",
	"getty@tty1.service", "serial-getty@ttyS0.service", "systemd-logind.service", "systemd-timesyncd.service",
	"systemd-modules-load.service", "systemd-sysctl.service", "e2scrub_reap.service", "cron.service",
	"systemd-update-utmp.service", "systemd-update-utmp-runlevel.service", "systemd-random-seed.service",
	"man-db.timer", "logrotate.timer", "dpkg-db-backup.timer", "systemd-tmpfiles-clean.timer",
}

// gem5Skip is the drop-in that skips a unit under gem5.
const gem5Skip = "# vswarmu-mage: a simulated boot does not need this unit (minutes on gem5's atomic cores).\n[Unit]\nConditionKernelCommandLine=!vswarmu.gem5=1\n"

// gem5Skips are the drop-ins of Gem5SkippedUnits, written under tmp.
func (s Spec) gem5Skips(tmp string) ([]Inject, error) {
	src := filepath.Join(tmp, "vswarmu-gem5-skip.conf")
	if err := os.WriteFile(src, []byte(gem5Skip), 0o644); err != nil {
		return nil, err
	}
	out := make([]Inject, len(Gem5SkippedUnits))
	for i, u := range Gem5SkippedUnits {
		out[i] = Inject{Src: src, Dst: "/etc/systemd/system/" + u + ".d/vswarmu-gem5-skip.conf", Mode: 0o644}
	}
	return out, nil
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func fileSHA(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return "unreadable"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unreadable"
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
