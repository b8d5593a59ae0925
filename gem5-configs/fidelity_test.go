package gem5configs

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// spinKernel writes an x86-64 ELF whose entry point spins (jmp .): gem5
// loads and runs it like a kernel, which is all a configuration check
// needs.
func spinKernel(t *testing.T, path string) {
	t.Helper()
	const base, ehdr, phdr = 0x100000, 64, 56
	code := []byte{0xeb, 0xfe}
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.Write([]byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0})
	b.Write(make([]byte, 8))
	w(uint16(2))                        // ET_EXEC
	w(uint16(0x3e))                     // x86-64
	w(uint32(1))                        // version
	w(uint64(base + ehdr + phdr))       // entry
	w(uint64(ehdr))                     // program headers
	w(uint64(0))                        // section headers
	w(uint32(0))                        // flags
	w([]uint16{ehdr, phdr, 1, 0, 0, 0}) // sizes and counts
	w(uint32(1))                        // PT_LOAD
	w(uint32(5))                        // R+X
	w(uint64(0))                        // offset
	w(uint64(base))                     // vaddr
	w(uint64(base))                     // paddr
	size := uint64(ehdr + phdr + len(code))
	w(size)
	w(size)
	w(uint64(0x1000))
	b.Write(code)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gem5s are the gem5 binaries a check runs on: the stand-in always, and
// the real gem5 named by VSWARMU_GEM5.
func gem5s(t *testing.T) map[string]string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed (apt-get install python3)")
	}
	abs, _ := filepath.Abs("standin/gem5.opt")
	out := map[string]string{"stand-in": abs}
	if g := os.Getenv("VSWARMU_GEM5"); g != "" {
		out["real gem5"] = g
	}
	return out
}

// TestStandinFailsLikeGem5 runs configurations that gem5 v24.0 rejects,
// or treats in a way a config can get wrong, on the stand-in and (with
// VSWARMU_GEM5) on the real gem5: both must behave alike, so the fast
// tests keep catching what only a real gem5 showed at first.
func TestStandinFailsLikeGem5(t *testing.T) {
	dir := t.TempDir()
	kernel, disk, cpt := filepath.Join(dir, "spin.elf"), filepath.Join(dir, "disk.img"), filepath.Join(dir, "cpt")
	spinKernel(t, kernel)
	os.WriteFile(disk, make([]byte, 1<<20), 0o644)
	here, _ := filepath.Abs(".")
	cases := []struct {
		config string
		args   []string
		ok     bool
		want   string
	}{
		{"no_compat.py", nil, false, "Protocol '' not recognized"},
		{"unknown_parameter.py", nil, false, "has no parameter sizee"},
		{
			"path_checkpoint.py",
			[]string{here, kernel, disk, cpt},
			false,
			"getCheckpoint(): incompatible function arguments",
		},
		{"work_items_default.py", []string{here, kernel, disk}, true, "exit_on_work_items=True"},
		{"vector_orphan.py", []string{here, kernel, disk}, false, "Attempt to instantiate orphan node"},
	}
	for name, gem5 := range gem5s(t) {
		for _, c := range cases {
			t.Run(name+"/"+c.config, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "m5out")
				args := append([]string{"--outdir=" + out, filepath.Join("testdata", "fidelity", c.config)}, c.args...)
				b, err := exec.Command(gem5, args...).CombinedOutput()
				if (err == nil) != c.ok || !strings.Contains(string(b), c.want) {
					t.Fatalf("%s %s: err %v, want success %v and %q in:\n%s", name, c.config, err, c.ok, c.want, b)
				}
			})
		}
	}
}
