package apt

import (
	"strings"
	"testing"
)

func TestNeedNamesMissingToolsAndTheTarget(t *testing.T) {
	cases := []struct {
		tools []string
		want  string // "" for no error
	}{
		{[]string{"sh"}, ""},
		{nil, ""},
		{[]string{"sh", "vswarmu-no-such-tool", "vswarmu-nor-this"}, "vswarmu-no-such-tool, vswarmu-nor-this not found: install them with `mage image:depInstall` (as root)"},
	}
	for _, c := range cases {
		err := Need("image:depInstall", c.tools...)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.tools, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: error %v, want %q", c.tools, err, c.want)
		}
	}
}
