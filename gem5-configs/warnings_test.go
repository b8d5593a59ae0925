package gem5configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGem5Warnings(t *testing.T) {
	cases := []struct{ log, want string }{
		{"", ""},
		{"src/sim/simulate.cc:199: info: Entering event queue @ 0.  Starting simulation...\n", ""},
		{"build/X86/arch/x86/generated/exec-ns.cc.inc:27: warn: instruction 'sgdt_Ms' unimplemented\n" +
			"build/X86/arch/x86/generated/exec-ns.cc.inc:27: warn: instruction 'fninit' unimplemented\n" +
			"build/X86/arch/x86/generated/exec-ns.cc.inc:27: warn: instruction 'fninit' unimplemented\n",
			"instructions gem5 does not implement: sgdt_Ms, fninit"},
		{"src/arch/x86/faults.cc:101: panic: Tried to read unmapped address 0x20.\n",
			"gem5 reported: src/arch/x86/faults.cc:101: panic: Tried to read unmapped address 0x20."},
	}
	for _, c := range cases {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "gem5.log"), []byte(c.log), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := Gem5Warnings(dir); got != c.want {
			t.Errorf("%q: %q, want %q", strings.TrimSpace(c.log), got, c.want)
		}
	}
}
