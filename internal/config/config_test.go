package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsAndSources(t *testing.T) {
	c, err := Load(env(nil), "/proj")
	if err != nil {
		t.Fatal(err)
	}
	if c.Resources != "/proj/resources" || c.Gem5Dir != "/proj/resources/gem5" || c.WorkingDir != "/proj/wkdir" {
		t.Fatalf("paths: %q %q %q", c.Resources, c.Gem5Dir, c.WorkingDir)
	}
	if c.Gem5Version != "v24.0.0.1" || c.KVersion != "v5.4.84" || c.Gem5Arch != "X86" || c.Jobs != runtime.NumCPU() {
		t.Fatalf("defaults: %+v", c)
	}
	if c.Memory != 2<<30 || c.DiskSize != 16<<30 || c.SimTimeout != 6*time.Hour {
		t.Fatalf("sizes: %v %v %v", c.Memory, c.DiskSize, c.SimTimeout)
	}
	if c.KernelOut != "/proj/resources/vmlinux-v5.4.84-amd64" {
		t.Fatalf("KERNEL_OUT %q", c.KernelOut)
	}
	src := map[string]string{}
	for _, v := range c.Values() {
		src[v.Name] = v.Source
	}
	if src["GEM5_DIR"] != "default, from RESOURCES" || src["JOBS"] != "default (number of CPUs)" ||
		src["KVERSION"] != "default" {
		t.Fatalf("sources: %v", src)
	}
}

func TestKeywordsWherePathsGo(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ gem5, images, wantGem5, wantImages string }{
		{"standin", "reference", "standin", "reference"},
		{"", "registry", "", "registry"},
		{"/bin/true", dir, "/bin/true", dir},
		{"../bin/true", ".", "/bin/true", "/etc"},
	} {
		got, err := Load(env(map[string]string{"GEM5": c.gem5, "IMAGES": c.images}), "/etc")
		if err != nil {
			t.Errorf("GEM5=%q IMAGES=%q: %v", c.gem5, c.images, err)
			continue
		}
		if got.Gem5 != c.wantGem5 || got.Images != c.wantImages {
			t.Errorf(
				"GEM5=%q IMAGES=%q: got %q %q, want %q %q",
				c.gem5,
				c.images,
				got.Gem5,
				got.Images,
				c.wantGem5,
				c.wantImages,
			)
		}
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	c, err := Load(env(map[string]string{
		"RESOURCES": "/data/res", "VERSION": "v23.1.0.0", "ARCH": "arm64", "FUNCTIONS": "fibonacci-go, aes-go\nauth-go",
		"MEMORY": "4GiB", "KEEP_GOING": "yes", "JOBS": "3",
	}), "/proj")
	if err != nil {
		t.Fatal(err)
	}
	if c.Gem5Dir != "/data/res/gem5" || c.Gem5Version != "v23.1.0.0" || c.Gem5Arch != "ARM" || !c.KeepGoing ||
		c.Jobs != 3 {
		t.Fatalf("overrides: %+v", c)
	}
	if strings.Join(c.Functions, "|") != "fibonacci-go|aes-go|auth-go" || c.Memory.String() != "4G" {
		t.Fatalf("list/size: %v %v", c.Functions, c.Memory)
	}
	for _, v := range c.Values() {
		if v.Name == "GEM5_VERSION" && !strings.Contains(v.Source, "VERSION, the original Makefile's name") {
			t.Fatalf("legacy source: %q", v.Source)
		}
	}
}

func TestInvalidValuesNameVariableAndAllowed(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"GEM5_ARCH": "MIPS"}, []string{`GEM5_ARCH="MIPS"`, "allowed values are X86, ARM"}},
		{map[string]string{"UBUNTU_VERSION": "noble"}, []string{"UBUNTU_VERSION", "focal, jammy"}},
		{map[string]string{"JOBS": "0"}, []string{"JOBS", "at least 1"}},
		{map[string]string{"JOBS": "many"}, []string{"JOBS", "not a whole number"}},
		{map[string]string{"MEMORY": "lots"}, []string{"MEMORY", "not a size"}},
		{map[string]string{"SIM_TIMEOUT": "forever"}, []string{"SIM_TIMEOUT", "duration"}},
		{map[string]string{"DRY_RUN": "maybe"}, []string{"DRY_RUN", "1/true"}},
		{map[string]string{"KVERSION": "latest"}, []string{"KVERSION", "valid value"}},
		{
			map[string]string{"GEM5": "/no/such/gem5.opt"},
			[]string{"GEM5", "no such file: set it to standin or an existing file"},
		},
		{
			map[string]string{"IMAGES": "/no/such/archives"},
			[]string{"IMAGES", "no such directory: set it to registry, reference or an existing directory"},
		},
		{map[string]string{"IMAGES": "/etc/hostname"}, []string{"IMAGES", "no such directory"}},
		{
			map[string]string{"ARCH": "arm64", "GEM5_ARCH": "X86"},
			[]string{"GEM5_ARCH=X86 does not simulate ARCH=arm64"},
		},
		{map[string]string{"ARCH": "arm64", "GUEST_IDLE": "kernel"}, []string{"GUEST_IDLE=kernel is for ARCH=amd64"}},
		{map[string]string{"GUEST_IDLE": "mwait"}, []string{"GUEST_IDLE"}},
		{
			map[string]string{"GRAPH_FORMAT": "svg", "SYSTEM": "tiny"},
			[]string{"GRAPH_FORMAT", "dot, mermaid", "SYSTEM", "simple, simple-ddr4, skylake"},
		},
	}
	for _, c := range cases {
		_, err := Load(env(c.env), "/proj")
		if err == nil {
			t.Errorf("%v: accepted", c.env)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q lacks %q", c.env, err, w)
			}
		}
	}
	// KVM runs only guests of the host's architecture.
	if runtime.GOARCH == "amd64" {
		_, err := Load(env(map[string]string{"ARCH": "arm64", "SETUP_CPU": "kvm"}), "/proj")
		if err == nil || !strings.Contains(err.Error(), "SETUP_CPU=kvm runs ARCH=arm64 guests only on an arm64 host") {
			t.Errorf("ARCH=arm64 SETUP_CPU=kvm on amd64: %v", err)
		}
	}
	// A default made from an invalid setting is not a second error.
	_, err := Load(env(map[string]string{"ARCH": "riscv"}), "/proj")
	var cfgErr *Error
	if !errors.As(err, &cfgErr) || len(cfgErr.Errs) != 1 || !strings.Contains(err.Error(), `ARCH="riscv"`) {
		t.Errorf("ARCH=riscv: %v, want its one error", err)
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want Size
		ok   bool
	}{
		{"512M", 512 << 20, true}, {"2G", 2 << 30, true}, {"16GiB", 16 << 30, true}, {"2gb", 2 << 30, true},
		{"1048576", 1 << 20, true}, {"1T", 1 << 40, true}, {"", 0, false}, {"2.5G", 0, false}, {"-1G", 0, false},
		{"99999999999999999999G", 0, false},
	}
	for _, c := range cases {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"512M", "2G", "16GiB", "1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err == nil && n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if err == nil && n > 0 {
			again, err := ParseSize(n.String())
			if err != nil || again != n {
				t.Fatalf("round trip of %q: %v → %q → %v, %v", s, n, n.String(), again, err)
			}
		}
	})
}

func TestRelativePathsResolveAgainstProject(t *testing.T) {
	c, err := Load(env(map[string]string{"WORKING_DIR": "runs/a"}), "/proj")
	if err != nil {
		t.Fatal(err)
	}
	if c.StateDir() != filepath.Join("/proj/runs/a", ".vswarmu") {
		t.Fatal(c.StateDir())
	}
}

func TestEverySettingIsDeclaredOnceAndBindsItsOwnField(t *testing.T) {
	c := &Config{}
	seen := map[string]bool{}
	fields := map[any]string{}
	for _, s := range Settings() {
		if seen[s.Name] {
			t.Errorf("%s declared twice", s.Name)
		}
		seen[s.Name] = true
		if s.Doc == "" || s.Group == "" || s.Kind == nil || s.Kind.Describe() == "" {
			t.Errorf("%s lacks a doc line, group or kind", s.Name)
		}
		ptr := s.field(c)
		if other, ok := fields[ptr]; ok {
			t.Errorf("%s and %s write the same field", s.Name, other)
		}
		fields[ptr] = s.Name
	}
	bound := 0
	for _, f := range reflect.VisibleFields(reflect.TypeOf(*c)) {
		if f.IsExported() && !f.Anonymous && f.Name != "ProjectDir" {
			bound++
		}
	}
	if bound != len(fields) {
		t.Errorf("Config has %d setting fields, the table binds %d", bound, len(fields))
	}
}

func TestKindsDescribeWhatTheyAccept(t *testing.T) {
	cases := []struct {
		kind Kind
		want string
	}{
		{Choice{"a", "b"}, "one of a, b"},
		{Path{Exists: "file", Keywords: []string{"standin"}}, "standin or existing file"},
		{Path{Exists: "dir"}, "existing directory"},
		{Int{Min: 1}, "whole number ≥ 1"},
		{Bool{}, "0 or 1"},
	}
	for _, c := range cases {
		if got := c.kind.Describe(); got != c.want {
			t.Errorf("%T.Describe() = %q, want %q", c.kind, got, c.want)
		}
	}
}

func TestChoicesFromElsewhere(t *testing.T) {
	systems := WithChoices("SYSTEM", "simple", "skylake", "icelake")
	if c, err := Load(env(map[string]string{"SYSTEM": "icelake"}), "/proj", systems); err != nil ||
		c.System != "icelake" {
		t.Fatalf("SYSTEM=icelake with icelake declared: %v", err)
	}
	_, err := Load(env(map[string]string{"SYSTEM": "zen"}), "/proj", systems)
	if err == nil || !strings.Contains(err.Error(), "allowed values are simple, skylake, icelake") {
		t.Fatalf("SYSTEM=zen: %v", err)
	}
}

// TestGroupsMatchTheTable: each setting's field lies in the Config group
// named for its Setting.Group (the simulation group is two: workload and
// measure), so a stage that takes its group gets all of its settings.
func TestGroupsMatchTheTable(t *testing.T) {
	c, err := Load(env(nil), "/proj")
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string][]any{
		"paths": {&c.Paths}, "gem5": {&c.Gem5Settings}, "kernel": {&c.KernelSettings},
		"image": {&c.ImageSettings}, "guest": {&c.GuestSettings},
		"simulation": {&c.WorkloadSettings, &c.MeasureSettings}, "engine": {&c.EngineSettings},
		"release": {&c.ReleaseSettings}, "slurm": {&c.SlurmSettings},
	}
	for _, s := range Settings() {
		ptr := reflect.ValueOf(s.field(c)).Pointer()
		inside := false
		for _, g := range groups[s.Group] {
			v := reflect.ValueOf(g)
			start, size := v.Pointer(), v.Elem().Type().Size()
			inside = inside || ptr >= start && ptr < start+size
		}
		if !inside {
			t.Errorf("%s (group %s) is not a field of the %s group's struct", s.Name, s.Group, s.Group)
		}
	}
}
