package targets

import (
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/config"
)

// TestMissingToolsNameTheTarget: a recipe's missing tools are named with
// the depInstall target that installs them (the helpers that find them
// missing know no target).
func TestMissingToolsNameTheTarget(t *testing.T) {
	cfg, err := config.Load(func(string) (string, bool) { return "", false }, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := &plan{cfg: cfg}
	cases := []struct{ rule, want string }{
		{
			"image:base",
			"vswarmu-no-such-tool, vswarmu-nor-this not found: install them with `mage image:depInstall` (as root)",
		},
		{
			"gem5:build",
			"vswarmu-no-such-tool, vswarmu-nor-this not found: install them with `mage gem5:depInstall` (as root)",
		},
		{"kernel:build", "install them with `mage kernel:depInstall`"},
	}
	for _, c := range cases {
		err := p.advise(c.rule, apt.Need("sh", "vswarmu-no-such-tool", "vswarmu-nor-this"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.rule, err, c.want)
		}
	}
}
