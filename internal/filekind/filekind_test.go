package filekind

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mbr() []byte {
	b := make([]byte, 2048)
	b[510], b[511] = 0x55, 0xaa
	b[446+4] = 0x83                                 // Linux
	binary.LittleEndian.PutUint32(b[446+12:], 2048) // sectors
	return b
}

func TestClassify(t *testing.T) {
	ext4 := make([]byte, 2048)
	binary.LittleEndian.PutUint16(ext4[1080:], 0xef53)
	bootSector := make([]byte, 2048) // a bzImage: 55aa, no partition
	bootSector[510], bootSector[511] = 0x55, 0xaa
	gpt := mbr()
	copy(gpt[512:], "EFI PART")
	cases := []struct {
		name string
		data []byte
		want Kind
	}{
		{"empty", nil, Empty},
		{"vmlinux", append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...), ELF},
		{"qcow2", []byte("QFI\xfb\x00\x00\x00\x03"), QCOW2},
		{"raw disk", mbr(), MBRDisk},
		{"gpt disk", gpt, GPTDisk},
		{"ext4", ext4, Ext4},
		{"hostname", []byte("debian\n"), Text},
		{"wrapper", []byte("#!/bin/sh\nexec gem5.opt \"$@\"\n"), Script},
		{"utf-8 cut short", []byte("naïve"[:3]), Text},
		{"boot sector", bootSector, Data},
	}
	for _, c := range cases {
		if got := Classify(c.data); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestWant(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	text := write("hostname", []byte("debian\n"))
	disk := write("disk.raw", mbr())
	empty := write("empty", nil)
	if err := Want(disk, MBRDisk, GPTDisk, QCOW2); err != nil {
		t.Errorf("a raw disk: %v", err)
	}
	cases := []struct {
		path string
		want string
	}{
		{text, "is a text file, not an ELF executable"},
		{empty, "is an empty file, not a disk image with an MBR partition table or a qcow2 disk image"},
		{filepath.Join(dir, "nope"), "is missing"},
		{dir, "is a directory"},
		{"/dev/null", "is a device or other special file"},
	}
	for _, c := range cases {
		var err error
		if strings.Contains(c.want, "disk") {
			err = Want(c.path, MBRDisk, QCOW2)
		} else {
			err = Want(c.path, ELF)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Want(%s): %v, want %q", c.path, err, c.want)
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add([]byte("\x7fELF"))
	f.Add(mbr())
	f.Fuzz(func(t *testing.T, b []byte) {
		if Classify(b) == "" {
			t.Fatal("no kind")
		}
	})
}
