package gem5configs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestProjectPatchesAreCommitReady: each of the project's gem5 patches is
// a git format-patch file with an author, a subject in gem5's form
// ("<tag>: <summary>", at most 65 characters) and a message whose lines
// fit gem5's 72 columns.
func TestProjectPatchesAreCommitReady(t *testing.T) {
	set, err := ReadPatches(BuiltinPatches)
	if err != nil {
		t.Fatal(err)
	}
	if len(set) == 0 {
		t.Fatal("gem5-configs/patches holds no patch")
	}
	for _, p := range set {
		t.Run(p.Name, func(t *testing.T) {
			if !strings.HasPrefix(p.Text, "From: ") {
				t.Errorf("no From: header")
			}
			subject := p.Subject()
			if tag, _, ok := strings.Cut(subject, ": "); !ok || strings.ContainsAny(tag, " ") || len(subject) > 65 {
				t.Errorf("subject %q is not gem5's \"<tag>: <summary>\" of at most 65 characters", subject)
			}
			msg, diff, ok := strings.Cut(p.Text, "\n---\n")
			if !ok || !strings.Contains(diff, "diff --git ") {
				t.Fatalf("no message/diff separator or no diff")
			}
			for i, line := range strings.Split(msg, "\n") {
				if !strings.HasPrefix(line, "Subject: ") && len(line) > 72 {
					t.Errorf("message line %d is %d columns (gem5 wraps at 72): %q", i+1, len(line), line)
				}
			}
		})
	}
}

// TestPatchesChangeWhatTheySay: the first patch is the decoder's fix (in
// the one-byte opcode table's row 0x12, 0x90 is decoded on REX.B, NOP
// without it and XCHG(Bv,rAv) with it); the second, the XCHG fix
// (XCHG_R_R exchanges through t1 instead of three xors, which zero a
// register exchanged with itself).
func TestPatchesChangeWhatTheySay(t *testing.T) {
	set, err := ReadPatches(BuiltinPatches)
	if err != nil {
		t.Fatal(err)
	}
	cases := [][]string{
		{
			"+++ b/src/arch/x86/isa/decoder/one_byte_opcodes.isa",
			"-            0x0: NopInst::NOP(); //XXX repe makes this a \"pause\"",
			"+            0x0: decode REX_B {",
			"+                0x0: NopInst::NOP(); //XXX repe makes this a \"pause\"",
			"+                default: XCHG(Bv,rAv);",
		},
		{
			"+++ b/src/arch/x86/isa/insts/general_purpose/data_transfer/xchg.py",
			"-    xor reg, reg, regm",
			"-    xor regm, regm, reg",
			"+    mov t1, t1, reg",
			"+    mov reg, reg, regm",
			"+    mov regm, regm, t1",
		},
	}
	if len(set) != len(cases) {
		t.Fatalf("gem5-configs/patches holds %d patches, want %d", len(set), len(cases))
	}
	for i, lines := range cases {
		for _, want := range lines {
			if !strings.Contains(set[i].Text, want+"\n") {
				t.Errorf("%s lacks the line %q", set[i].Name, want)
			}
		}
	}
}

// TestProjectPatchesApplyToGem5V24: with VSWARMU_GEM5_REPO (a local gem5
// clone), every patch applies cleanly, in order, to the files of gem5
// v24.0.0.1 it changes.
func TestProjectPatchesApplyToGem5V24(t *testing.T) {
	repo := os.Getenv("VSWARMU_GEM5_REPO")
	if repo == "" {
		t.Skip("set VSWARMU_GEM5_REPO=<a local gem5 clone with tag v24.0.0.1> to apply the patches to gem5's source")
	}
	set, err := ReadPatches(BuiltinPatches)
	if err != nil {
		t.Fatal(err)
	}
	tree := t.TempDir()
	for _, p := range set {
		for _, line := range strings.Split(p.Text, "\n") {
			path, ok := strings.CutPrefix(line, "--- a/")
			if !ok {
				continue
			}
			if _, err := os.Stat(filepath.Join(tree, path)); err == nil {
				continue // an earlier patch's version of it
			}
			src, err := exec.Command("git", "-C", repo, "show", "v24.0.0.1:"+path).Output()
			if err != nil {
				t.Fatalf("%s in gem5 v24.0.0.1: %v", path, err)
			}
			if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, path)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(tree, path), src, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c := exec.Command("git", "apply", "-")
		c.Dir, c.Stdin = tree, strings.NewReader(p.Text)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%s does not apply to gem5 v24.0.0.1: %v\n%s", p.Name, err, out)
		}
	}
}
