package qemu

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestArgs(t *testing.T) {
	cases := []struct {
		name string
		m    Machine
		want []string // fragments of the joined command line
		not  []string
	}{
		{
			name: "tcg boot of a disk with network",
			m: Machine{Arch: "amd64", Kernel: "/k/vmlinux", Append: "root=/dev/vda2 rw", MemoryMiB: 4096, CPUs: 2,
				Accel: "tcg", Network: true, Disks: []Disk{{Path: "/d/disk.qcow2", Snapshot: true}}},
			want: []string{
				"-machine pc",
				"-accel tcg -cpu max",
				"-m 4096 -smp 2",
				"-no-reboot",
				"-serial stdio -monitor none",
				"-kernel /k/vmlinux",
				"-append console=ttyS0 root=/dev/vda2 rw panic=-1",
				"-drive file=/d/disk.qcow2,format=qcow2,if=virtio,snapshot=on",
				"-netdev user,id=net0 -device virtio-net-pci,netdev=net0",
			},
			not: []string{"-initrd"},
		},
		{
			name: "kvm uses the host cpu",
			m:    Machine{Arch: "amd64", Kernel: "/k", Accel: "kvm", Disks: []Disk{{Path: "/d/disk.img"}}},
			want: []string{"-accel kvm -cpu host", "-m 2048 -smp 1", "file=/d/disk.img,format=raw,if=virtio"},
		},
		{
			name: "console and panic given are kept",
			m:    Machine{Arch: "amd64", Kernel: "/k", Append: "console=hvc0 panic=5", Initrd: "/i.gz"},
			want: []string{"-append console=hvc0 panic=5", "-initrd /i.gz"},
			not:  []string{"ttyS0", "panic=-1"},
		},
		{
			name: "arm64",
			m:    Machine{Arch: "arm64", Kernel: "/k/Image", Disks: []Disk{{Path: "/i.iso", CDROM: true}}},
			want: []string{"-machine virt", "-cpu cortex-a72", "console=ttyAMA0", "media=cdrom", "scsi-cd,drive=cd0"},
		},
		{
			name: "interactive",
			m:    Machine{Arch: "amd64", Kernel: "/k", Interactive: true, CPU: "EPYC"},
			want: []string{"-serial mon:stdio", "-cpu EPYC"},
			not:  []string{"-monitor none"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line := strings.Join(c.m.Args(), " ")
			for _, w := range c.want {
				if !strings.Contains(line, w) {
					t.Errorf("command line lacks %q:\n%s", w, line)
				}
			}
			for _, n := range c.not {
				if strings.Contains(line, n) {
					t.Errorf("command line has %q:\n%s", n, line)
				}
			}
		})
	}
	if (Machine{Arch: "arm64"}).Binary() != "qemu-system-aarch64" || (Machine{}).Binary() != "qemu-system-x86_64" {
		t.Fatal("binaries")
	}
}

// plain makes unregistered commands.

func TestRunReportsMissingFiles(t *testing.T) {
	_, err := Run(context.Background(), Unregistered{}, Machine{Kernel: "/no/such/vmlinux"}, os.Stderr, time.Second)
	if err == nil || !strings.Contains(err.Error(), "/no/such/vmlinux") {
		t.Fatalf("err = %v", err)
	}
}

func TestProbeCache(t *testing.T) {
	dir := t.TempDir()
	k := filepath.Join(dir, "vmlinux")
	os.WriteFile(k, []byte("k"), 0o644)
	c := ProbeCache{Path: filepath.Join(dir, "state", "kvm-probe")}
	if _, _, found := c.Get("amd64", k); found {
		t.Fatal("empty cache answered")
	}
	if err := c.Put("amd64", k, false, "KVM internal error"); err != nil {
		t.Fatal(err)
	}
	ok, why, found := c.Get("amd64", k)
	if !found || ok || why != "KVM internal error" {
		t.Fatalf("Get = %v %q %v", ok, why, found)
	}
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(k, []byte("new kernel"), 0o644)
	if _, _, found := c.Get("amd64", k); found {
		t.Fatal("a new kernel reused the old answer")
	}
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 10}
	b.Write([]byte("0123456789abc"))
	b.Write([]byte("\r\nde"))
	if got := b.String(); got != "789abc\nde" {
		t.Fatalf("tail %q", got)
	}
	if got := lastLines("a\nb\nc\nd\n", 2); got != "  c\n  d" {
		t.Fatalf("lastLines %q", got)
	}
}
