// Package filekind tells what a file given for an artifact is, from its
// first bytes, so that a kernel that is a text file or an empty disk image
// is refused before a simulator spends minutes finding out.
package filekind

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// Kind names what a file is.
type Kind string

// The kinds Detect tells apart.
const (
	Missing   Kind = "missing"
	Directory Kind = "a directory"
	Device    Kind = "a device or other special file"
	Empty     Kind = "an empty file"
	ELF       Kind = "an ELF executable"
	QCOW2     Kind = "a qcow2 disk image"
	MBRDisk   Kind = "a disk image with an MBR partition table"
	GPTDisk   Kind = "a disk image with a GPT partition table"
	Ext4      Kind = "an ext2/3/4 file system image"
	Script    Kind = "a script (#!)"
	Text      Kind = "a text file"
	Data      Kind = "data of no known kind"
)

// head is how much of a file Detect reads: enough for the ext4
// superblock's magic at 1080 and GPT's header at 512.
const head = 2048

// Detect reads the start of path and says what it is.
func Detect(path string) (Kind, error) {
	fi, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return Missing, nil
	case err != nil:
		return "", err
	case fi.IsDir():
		return Directory, nil
	case !fi.Mode().IsRegular():
		return Device, nil
	case fi.Size() == 0:
		return Empty, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, head)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return Classify(buf[:n]), nil
}

// Classify says what a file starting with b is.
func Classify(b []byte) Kind {
	switch {
	case len(b) == 0:
		return Empty
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return ELF
	case bytes.HasPrefix(b, []byte("QFI\xfb")):
		return QCOW2
	case len(b) >= 520 && string(b[512:520]) == "EFI PART":
		return GPTDisk
	case len(b) >= 512 && b[510] == 0x55 && b[511] == 0xaa && hasPartition(b):
		return MBRDisk
	case len(b) >= 1082 && binary.LittleEndian.Uint16(b[1080:]) == 0xef53:
		return Ext4
	case bytes.HasPrefix(b, []byte("#!")) && isText(b):
		return Script
	case isText(b):
		return Text
	}
	return Data
}

// hasPartition reports whether an MBR's table has a partition of non-zero
// type (a boot sector alone, such as a bzImage's, has none).
func hasPartition(b []byte) bool {
	for i := 0; i < 4; i++ {
		e := b[446+16*i : 446+16*(i+1)]
		if e[4] != 0 && binary.LittleEndian.Uint32(e[12:]) != 0 {
			return true
		}
	}
	return false
}

// isText reports whether b looks like text: valid UTF-8 without NULs.
func isText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	// A cut multi-byte character at the end is still text.
	for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// Want checks that path is one of kinds, saying what it is otherwise:
// "is a text file, not an ELF executable".
func Want(path string, kinds ...Kind) error {
	k, err := Detect(path)
	if err != nil {
		return err
	}
	for _, w := range kinds {
		if k == w {
			return nil
		}
	}
	want := string(kinds[0])
	for i, w := range kinds[1:] {
		sep := ", "
		if i == len(kinds)-2 {
			sep = " or "
		}
		want += sep + string(w)
	}
	return fmt.Errorf("%s is %s, not %s", path, k, want)
}
