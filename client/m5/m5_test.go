package m5

import (
	"encoding/binary"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

func TestOffsets(t *testing.T) {
	cases := []struct {
		op   int
		want uintptr
	}{
		{OpExit, 0x2100}, {OpFail, 0x2200}, {OpResetStats, 0x4000}, {OpDumpStats, 0x4100},
		{OpDumpResetStats, 0x4200}, {OpWorkBegin, 0x5a00}, {OpWorkEnd, 0x5b00}, {OpWorkload, 0x7000},
	}
	for _, c := range cases {
		if got := Offset(c.op); got != c.want {
			t.Errorf("Offset(%#x) = %#x, want %#x", c.op, got, c.want)
		}
		if c.want+8 > MapSize {
			t.Errorf("op %#x falls outside the %#x-byte region", c.op, MapSize)
		}
	}
	if Base("amd64") != 0xffff0000 || Base("arm64") != 0x10010000 {
		t.Fatal("bases")
	}
}

// TestLoadReadsTheOpWord maps ordinary memory where gem5's region would be
// and checks that each op loads the 64-bit word at base + op<<8: the
// access gem5 traps.
func TestLoadReadsTheOpWord(t *testing.T) {
	if !supported {
		t.Skip("no assembly stub for this architecture")
	}
	mem, err := syscall.Mmap(-1, 0, MapSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	for _, op := range []int{OpExit, OpFail, OpWorkBegin, OpWorkEnd, OpDumpResetStats} {
		binary.LittleEndian.PutUint64(mem[Offset(op):], 0xC0DE0000+uint64(op))
	}
	o := &Ops{mem: mem, enabled: true}
	for _, op := range []int{OpExit, OpFail, OpWorkBegin, OpWorkEnd, OpDumpResetStats} {
		if got := o.call(op, 100, 7); got != 0xC0DE0000+uint64(op) {
			t.Errorf("op %#x loaded %#x", op, got)
		}
	}
	if got := load(uintptr(unsafe.Pointer(&mem[0]))+Offset(OpFail), 1, 2, 3, 4); got != 0xC0DE0000+OpFail {
		t.Errorf("load = %#x", got)
	}
	// Disabled ops touch nothing.
	if Disabled("test").call(OpFail, 0, 1) != 0 {
		t.Error("disabled ops ran")
	}
}

func TestOpenWithoutRootIsDisabled(t *testing.T) {
	if os.Geteuid() != 0 {
		var b strings.Builder
		o := Open(&b)
		if o.Enabled() || !strings.Contains(b.String(), "not root") {
			t.Fatalf("non-root Open: enabled=%v warning %q", o.Enabled(), b.String())
		}
		o.Fail(0, 1) // a no-op
		return
	}
	// As root, run this test again as nobody, from a copy nobody can read.
	exe, _ := os.Executable()
	dir, err := os.MkdirTemp("", "m5-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	b, _ := os.ReadFile(exe)
	copyPath := dir + "/m5.test"
	if err := os.WriteFile(copyPath, b, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copyPath, "-test.run", "^TestOpenWithoutRootIsDisabled$", "-test.v")
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

func TestBuildsForArm64(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles")
	}
	cmd := exec.Command("go", "vet", ".")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("arm64 vet: %v\n%s", err, out)
	}
}
