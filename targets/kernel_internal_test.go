package targets

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vswarmu/vswarmu-mage/kernel"
)

func TestKernelPatchesLeaveAUsersSourceDirectoryAlone(t *testing.T) {
	project := t.TempDir()
	builtin := filepath.Join(project, "kernel", "patches", "0001-x.patch")
	if err := os.MkdirAll(filepath.Dir(builtin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(builtin, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	extra := []string{"/patches/mine.patch"}
	cases := []struct {
		kind string
		want []string
	}{
		{"tarball", []string{builtin, extra[0]}},
		{"debian", []string{builtin, extra[0]}},
		{"git", []string{builtin, extra[0]}},
		{"dir", extra},
	}
	for _, c := range cases {
		got, err := kernelPatches(project, kernel.Source{Kind: c.kind}, extra)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("KERNEL_SOURCE of kind %s: patches %v, %v; want %v", c.kind, got, err, c.want)
		}
	}
}

func TestKernelPatchesParameterIsNamesAndContentsNotPaths(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if err := os.WriteFile(filepath.Join(d, "0001-x.patch"), []byte("same"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pa, pb := patchesParam([]string{filepath.Join(a, "0001-x.patch")}), patchesParam([]string{filepath.Join(b, "0001-x.patch")})
	if pa != pb {
		t.Errorf("the same patch in two checkouts: %q and %q", pa, pb)
	}
	if err := os.WriteFile(filepath.Join(b, "0001-x.patch"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	if patchesParam([]string{filepath.Join(b, "0001-x.patch")}) == pa {
		t.Error("an edited patch leaves the parameter unchanged")
	}
}
