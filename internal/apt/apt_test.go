package apt

import (
	"errors"
	"slices"
	"testing"
)

func TestNeedNamesMissingTools(t *testing.T) {
	cases := []struct {
		tools []string
		want  []string // nil for no error
	}{
		{[]string{"sh"}, nil},
		{nil, nil},
		{
			[]string{"sh", "vswarmu-no-such-tool", "vswarmu-nor-this"},
			[]string{"vswarmu-no-such-tool", "vswarmu-nor-this"},
		},
	}
	for _, c := range cases {
		err := Need(c.tools...)
		var missing *MissingToolsError
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%v: %v", c.tools, err)
		case c.want != nil && (!errors.As(err, &missing) || !slices.Equal(missing.Tools, c.want)):
			t.Errorf("%v: error %v, want %v missing", c.tools, err, c.want)
		}
	}
}
