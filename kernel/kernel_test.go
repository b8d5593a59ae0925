package kernel

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	in := `#
# Automatically generated file; DO NOT EDIT.
CONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"
CONFIG_64BIT=y
CONFIG_OVERLAY_FS=m
# CONFIG_IDE is not set
CONFIG_LOG_BUF_SHIFT=17

  CONFIG_TRAILING=y  
`
	c, err := ParseConfig(strings.NewReader(in), "x.config")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{"CC_VERSION_TEXT": `"gcc (Debian 12.2.0-14) 12.2.0"`, "64BIT": "y", "OVERLAY_FS": "m",
		"IDE": "n", "LOG_BUF_SHIFT": "17", "TRAILING": "y"}
	if len(c) != len(want) {
		t.Fatalf("parsed %v", c)
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s = %q, want %q", k, c[k], v)
		}
	}
	if c.Get("ABSENT") != "n" {
		t.Error("absent option is not n")
	}
	_, err = ParseConfig(strings.NewReader("CONFIG_A=y\nBOGUS LINE\n"), "bad.config")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !strings.Contains(err.Error(), "bad.config:2") {
		t.Fatalf("malformed line: %v", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("CONFIG_A=y\n# CONFIG_B is not set\n")
	f.Add("CONFIG_S=\"x=y\"\n#comment\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConfig(strings.NewReader(s), "fuzz")
		if err == nil {
			for k := range c {
				if k == "" || strings.ContainsAny(k, "= \n") {
					t.Fatalf("bad symbol %q from %q", k, s)
				}
			}
		}
	})
}

func TestCheckMerge(t *testing.T) {
	frag := Config{"OVERLAY_FS": "y", "IDE": "y", "ATA_PIIX": "y", "STRICT_DEVMEM": "n", "VETH": "y"}
	final := Config{"OVERLAY_FS": "y", "ATA_PIIX": "m", "VETH": "y"}
	defined := map[string]bool{"OVERLAY_FS": true, "ATA_PIIX": true, "STRICT_DEVMEM": true, "VETH": true}
	r := CheckMerge(frag, final, defined)
	if strings.Join(r.Skipped, ",") != "CONFIG_IDE" {
		t.Errorf("skipped %v", r.Skipped)
	}
	if strings.Join(r.Lost, ",") != "CONFIG_ATA_PIIX=y (final config: m)" {
		t.Errorf("lost %v", r.Lost)
	}
}

func fullConfig(t *testing.T, arch string) Config {
	t.Helper()
	c := Config{}
	for _, g := range Requirements {
		for _, r := range g.Items {
			if r.Arch != "" && r.Arch != arch || len(r.AnyOf) == 0 {
				continue
			}
			for _, s := range r.AnyOf[len(r.AnyOf)-1] {
				c[s] = "y"
			}
		}
	}
	return c
}

func TestCheckRequirements(t *testing.T) {
	cases := []struct {
		name   string
		change func(Config)
		fails  []string
	}{
		{"complete", func(Config) {}, nil},
		{
			"no overlayfs",
			func(c Config) { delete(c, "OVERLAY_FS") },
			[]string{"CONFIG_OVERLAY_FS (Docker: storage driver overlay2"},
		},
		{"overlayfs as module is fine", func(c Config) { c["OVERLAY_FS"] = "m" }, nil},
		{"optional missing is fine", func(c Config) { delete(c, "NFT_CT") }, nil},
		{"legacy IDE instead of libata", func(c Config) {
			delete(c, "ATA_PIIX")
			c["IDE"], c["BLK_DEV_IDEDISK"], c["BLK_DEV_PIIX"] = "y", "y", "y"
		}, nil},
		{"no disk driver", func(c Config) { delete(c, "ATA_PIIX") }, []string{"CONFIG_ATA_PIIX (gem5 full system"}},
		{"no devmem", func(c Config) { c["DEVMEM"] = "n" }, []string{"CONFIG_DEVMEM (gem5 full system: m5 ops"}},
		{"P2SB (6.1's defconfig with I2C_I801)", func(c Config) { c["P2SB"], c["I2C_I801"] = "y", "y" },
			[]string{"CONFIG_P2SB unset (gem5 full system: gem5 panics at boot"}},
		{"P2SB unset", func(c Config) { c["P2SB"] = "n" }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := fullConfig(t, "amd64")
			tc.change(c)
			failed := Check(c, "amd64", "test.config").Failed()
			if len(failed) != len(tc.fails) {
				t.Fatalf("failed %v, want %v", failed, tc.fails)
			}
			for i, want := range tc.fails {
				if !strings.HasPrefix(failed[i], want) {
					t.Errorf("failure %q, want prefix %q", failed[i], want)
				}
			}
		})
	}
	arm := fullConfig(t, "arm64")
	if failed := Check(arm, "arm64", "arm.config").Failed(); len(failed) != 0 {
		t.Fatalf("arm64 complete config failed: %v", failed)
	}
	if _, ok := arm["SERIAL_8250"]; ok {
		t.Fatal("arm64 requirements include the x86 UART")
	}
	// The Arm tier's board.terminal stayed empty: tinyconfig leaves out the
	// driver of the clocks gem5's PL011 names, so the UART never probed.
	delete(arm, "CLK_VEXPRESS_OSC")
	if failed := Check(arm, "arm64", "arm.config").Failed(); len(failed) != 1 ||
		!strings.Contains(failed[0], "board.terminal stays empty") {
		t.Fatalf("arm64 without the VExpress oscillators' driver: %v", failed)
	}
	frags, err := Fragments(t.TempDir(), "arm64", "6.1", nil)
	if err != nil {
		t.Fatal(err)
	}
	merged, _ := ParseConfig(strings.NewReader(Merged(frags)), "merged")
	for _, sym := range []string{"VEXPRESS_CONFIG", "CLK_VEXPRESS_OSC", "SERIAL_AMBA_PL011_CONSOLE"} {
		if merged[sym] != "y" {
			t.Errorf("the arm64 fragments leave CONFIG_%s %q", sym, merged[sym])
		}
	}
}

func TestResolveSource(t *testing.T) {
	dir := t.TempDir()
	tarball := filepath.Join(dir, "linux-source-6.1.tar.xz")
	os.WriteFile(tarball, []byte("x"), 0o644)
	tree := filepath.Join(dir, "linux")
	os.MkdirAll(tree, 0o755)
	os.WriteFile(filepath.Join(tree, "Kconfig"), nil, 0o644)
	mirror := "https://cdn.kernel.org/pub/linux/kernel"
	cases := []struct {
		spec, version string
		want          Source
		err           string
	}{
		{"kernel.org", "5.4.84", Source{Kind: "tarball", Location: mirror + "/v5.x/linux-5.4.84.tar.xz",
			Checksum: "file:" + mirror + "/v5.x/sha256sums.asc", Name: "linux-5.4.84"}, ""},
		{"kernel.org", "6.1", Source{Kind: "tarball", Location: mirror + "/v6.x/linux-6.1.tar.xz",
			Checksum: "file:" + mirror + "/v6.x/sha256sums.asc", Name: "linux-6.1"}, ""},
		{"git", "5.15.59", Source{Kind: "git", Location: StableGit, Ref: "v5.15.59", Name: "linux-5.15.59-git"}, ""},
		{
			"git::https://mirror/linux.git",
			"6.6.1",
			Source{Kind: "git", Location: "https://mirror/linux.git", Ref: "v6.6.1", Name: "linux-6.6.1-git"},
			"",
		},
		{tree, "6.1", Source{Kind: "dir", Location: tree, Name: "linux"}, ""},
		{"kernel.org", "latest", Source{}, "not a kernel.org release version"},
		{filepath.Join(dir, "nope.tar.xz"), "6.1", Source{}, "no such file"},
		{dir, "6.1", Source{}, "not a kernel source tree"},
	}
	for _, c := range cases {
		got, err := ResolveSource(c.spec, c.version, mirror, "")
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ResolveSource(%q, %q) error %v, want %q", c.spec, c.version, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ResolveSource(%q, %q) = %+v, %v; want %+v", c.spec, c.version, got, err, c.want)
		}
	}
	got, err := ResolveSource(tarball, "6.1", mirror, "")
	if err != nil || got.Kind != "tarball" || got.Location != tarball ||
		!strings.HasPrefix(got.Name, "linux-source-6.1-") {
		t.Errorf("local tarball: %+v, %v", got, err)
	}
}

func TestFragmentsFromDiskOrEmbedded(t *testing.T) {
	empty := t.TempDir()
	frags, err := Fragments(empty, "amd64", "5.4.84", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) != 2 || frags[0].Name != "common.config" || frags[1].Name != "amd64.config" || frags[0].Path != "" {
		t.Fatalf("embedded fragments: %+v", frags)
	}
	proj := t.TempDir()
	os.MkdirAll(filepath.Join(proj, "kernel", "configs"), 0o755)
	os.WriteFile(filepath.Join(proj, "kernel", "configs", "v5.4.config"), []byte("CONFIG_FOO=y\n"), 0o644)
	extra := filepath.Join(proj, "mine.config")
	os.WriteFile(extra, []byte("# CONFIG_BAR is not set\n"), 0o644)
	frags, err = Fragments(proj, "arm64", "5.4.84", []string{extra})
	if err != nil {
		t.Fatal(err)
	}
	if len(frags) != 4 || frags[2].Name != "v5.4.config" || frags[2].Path == "" || frags[3].Name != "mine.config" {
		t.Fatalf("fragments: %+v", frags)
	}
	merged, _ := ParseConfig(strings.NewReader(Merged(frags)), "merged")
	if merged["FOO"] != "y" || merged["BAR"] != "n" || merged["SERIAL_AMBA_PL011"] != "y" ||
		merged["OVERLAY_FS"] != "y" {
		t.Fatalf("merged: %v", merged)
	}
	os.WriteFile(extra, []byte("garbage\n"), 0o644)
	if _, err := Fragments(proj, "arm64", "5.4.84", []string{extra}); err == nil ||
		!strings.Contains(err.Error(), "mine.config:1") {
		t.Fatalf("bad fragment: %v", err)
	}
}

func TestSourceVersionAndSymbols(t *testing.T) {
	src := t.TempDir()
	os.WriteFile(
		filepath.Join(src, "Makefile"),
		[]byte("# SPDX\nVERSION = 5\nPATCHLEVEL = 4\nSUBLEVEL = 84\nEXTRAVERSION =\n"),
		0o644,
	)
	os.WriteFile(filepath.Join(src, "Kconfig"), []byte("config COMMON\n\tbool\nmenuconfig NET\n"), 0o644)
	os.MkdirAll(filepath.Join(src, "arch", "x86"), 0o755)
	os.MkdirAll(filepath.Join(src, "arch", "arm64"), 0o755)
	os.WriteFile(filepath.Join(src, "arch", "x86", "Kconfig"), []byte("config PVH\n"), 0o644)
	os.WriteFile(filepath.Join(src, "arch", "arm64", "Kconfig.platforms"), []byte("config ARCH_VEXPRESS\n"), 0o644)
	v, err := SourceVersion(src)
	if err != nil || v != "5.4.84" {
		t.Fatalf("version %q, %v", v, err)
	}
	syms, err := KconfigSymbols(src, "arm64")
	if err != nil {
		t.Fatal(err)
	}
	if !syms["COMMON"] || !syms["NET"] || !syms["ARCH_VEXPRESS"] || syms["PVH"] {
		t.Fatalf("arm64 symbols: %v", syms)
	}
}

func TestDebianSource(t *testing.T) {
	s, err := ResolveSource("debian", "6.1", "", "")
	if err != nil || s.Kind != "debian" || s.Location != "/usr/src/linux-source-6.1.tar.xz" ||
		SourcePackage("debian", "6.1.84") != "linux-source-6.1" {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := ResolveSource("debian", "latest", "", ""); err == nil || !strings.Contains(err.Error(), "like v6.1") {
		t.Fatalf("bad version: %v", err)
	}
	if SourcePackage("kernel.org", "6.1") != "" {
		t.Fatal("kernel.org has no package")
	}
}

// TestBuiltinPatchesApplyToDebiansSource checks the project's kernel
// patches against the files they change in Debian's linux-source-6.1
// tarball (the source README's lines build), with git apply --check.
func TestBuiltinPatchesApplyToDebiansSource(t *testing.T) {
	const tarball = "/usr/src/linux-source-6.1.tar.xz"
	if _, err := os.Stat(tarball); err != nil {
		t.Skip("needs Debian's linux-source-6.1 package (apt-get install linux-source-6.1)")
	}
	project, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	patches, err := BuiltinPatches(project)
	if err != nil || len(patches) == 0 {
		t.Fatalf("BuiltinPatches(..) = %v, %v: want the project's kernel/patches", patches, err)
	}
	dir := t.TempDir()
	for _, p := range patches {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var members []string
		for _, line := range strings.Split(string(b), "\n") {
			if f, ok := strings.CutPrefix(line, "+++ b/"); ok {
				members = append(members, "linux-source-6.1/"+f)
			}
		}
		args := append([]string{"-xJf", tarball, "-C", dir}, members...)
		if out, err := exec.Command("tar", args...).CombinedOutput(); err != nil {
			t.Fatalf("tar %v: %v\n%s", members, err, out)
		}
		check := exec.Command("git", "apply", "--check", p)
		check.Dir = filepath.Join(dir, "linux-source-6.1")
		if out, err := check.CombinedOutput(); err != nil {
			t.Errorf("%s does not apply to Debian's 6.1 source: %v\n%s", filepath.Base(p), err, out)
		}
	}
}

func TestBuiltinPatchesAreTheProjectsInNameOrder(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "kernel", "patches"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"0002-b.patch", "0001-a.patch", "README"} {
		if err := os.WriteFile(filepath.Join(dir, "kernel", "patches", n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := BuiltinPatches(dir)
	want := []string{filepath.Join(dir, "kernel", "patches", "0001-a.patch"), filepath.Join(dir, "kernel", "patches", "0002-b.patch")}
	if err != nil || strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("BuiltinPatches = %v, %v; want %v", got, err, want)
	}
	if got, err := BuiltinPatches(t.TempDir()); err != nil || len(got) != 0 {
		t.Fatalf("outside a checkout: %v, %v; want none", got, err)
	}
}
