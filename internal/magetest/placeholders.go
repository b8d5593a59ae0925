package magetest

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// Placeholders writes files that stand for the artifacts the stand-in
// pipeline only passes on, each of the kind its setting requires (the
// plan refuses a kernel that is not an ELF file, a disk without a
// partition table), and returns the settings naming them: KERNEL, DISK,
// INSTALLED_DISK and CLIENT. They are test doubles: a header and nothing
// a simulator could boot.
func Placeholders(tb testing.TB, dir string) []string {
	tb.Helper()
	elf := append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 57)...)
	disk := make([]byte, 4096)
	disk[446+4] = 0x83 // one Linux partition
	binary.LittleEndian.PutUint32(disk[446+8:], 1)
	binary.LittleEndian.PutUint32(disk[446+12:], 7)
	disk[510], disk[511] = 0x55, 0xaa
	files := []struct {
		setting, name string
		data          []byte
	}{
		{"KERNEL", "placeholder-vmlinux", elf},
		{"DISK", "placeholder-disk.raw", disk},
		{"INSTALLED_DISK", "placeholder-installed.raw", disk},
		{"CLIENT", "placeholder-client", elf},
		{"BOOTLOADER", "placeholder-boot_foundation.arm64", elf},
	}
	var env []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, f.data, 0o644); err != nil {
			tb.Fatal(err)
		}
		env = append(env, f.setting+"="+p)
	}
	return env
}
