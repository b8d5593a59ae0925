package targets

import (
	"slices"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/config"
)

// TestDepInstallTakesOnlyWhatTheConfigurationUses: ccache only with
// CCACHE=1, the aarch64 cross compilers only for arm64 guests, no disk
// builder, qemu or keyring for the tiny disk, no Ubuntu keyring package
// (the host's, else image:keyring fetches it from Ubuntu's archive).
func TestDepInstallTakesOnlyWhatTheConfigurationUses(t *testing.T) {
	cases := []struct {
		name      string
		env       map[string]string
		target    string
		want, not []string
	}{
		{
			"defaults",
			nil,
			"gem5:depInstall",
			[]string{"scons", "libprotobuf-dev"},
			[]string{"ccache", "g++-aarch64-linux-gnu"},
		},
		{"ccache", map[string]string{"CCACHE": "1"}, "gem5:depInstall", []string{"ccache"}, nil},
		{"arm64 guest", map[string]string{"ARCH": "arm64"}, "gem5:depInstall", []string{"g++-aarch64-linux-gnu"}, nil},
		{"amd64 kernel", nil, "kernel:depInstall", []string{"flex", "bison"}, []string{"gcc-aarch64-linux-gnu"}},
		{
			"tiny disk",
			map[string]string{"INSTALLED_DISK": "tiny", "EXEC_MODE": "process"},
			"image:depInstall",
			[]string{"busybox-static", "e2fsprogs"},
			[]string{"mmdebstrap", "debootstrap", "qemu-system-x86", "qemu-utils", "ubuntu-keyring"},
		},
		{"ubuntu disk", nil, "image:depInstall", []string{"mmdebstrap", "qemu-system-x86"}, []string{"ubuntu-keyring"}},
		{"debian disk", map[string]string{"DISTRO": "debian"}, "image:depInstall", []string{"mmdebstrap", "debian-archive-keyring"}, nil},
		{"ubuntu keyring given", map[string]string{"UBUNTU_KEYRING": "/etc/hostname"}, "image:depInstall",
			[]string{"mmdebstrap"}, []string{"ubuntu-keyring"}},
		{
			"kernel from a release",
			map[string]string{"RESOURCES_FROM": "release"},
			"kernel:depInstall",
			nil,
			[]string{"flex", "bison"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := config.Load(func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			got := packagesOf(cfg, c.target)
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s lacks %s: %v", c.target, w, got)
				}
			}
			for _, n := range c.not {
				if slices.Contains(got, n) {
					t.Errorf("%s installs %s, which this configuration does not use: %v", c.target, n, got)
				}
			}
		})
	}
}
