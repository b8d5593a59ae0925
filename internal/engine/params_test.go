package engine

import (
	"slices"
	"strings"
	"testing"
)

// TestChangedParams: a record's parameters against the current ones, long
// texts compared by the digest the build log keeps of them.
func TestChangedParams(t *testing.T) {
	script := strings.Repeat("echo hello\n", 10)
	rec := Record{paramsJSON: encodeParams(Params{"functions": "a b", "script": script, "IMAGES": "reference"}.summary())}
	for _, c := range []struct {
		name string
		cur  Params
		want []string
	}{
		{"alike", Params{"functions": "a b", "script": script, "IMAGES": "reference"}, nil},
		{"one changed", Params{"functions": "a", "script": script, "IMAGES": "reference"}, []string{"functions"}},
		{"a text changed", Params{"functions": "a b", "script": script + "exit 1\n", "IMAGES": "reference"},
			[]string{"script"}},
		{"added and removed", Params{"functions": "a b", "script": script, "MEMORY": "2GB"},
			[]string{"IMAGES", "MEMORY"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := rec.ChangedParams(c.cur); !slices.Equal(got, c.want) {
				t.Errorf("ChangedParams = %v, want %v", got, c.want)
			}
		})
	}
	if rec.Param("script") == script || !strings.HasPrefix(rec.Param("script"), hashedPrefix) || rec.Param("functions") != "a b" {
		t.Errorf("Param: script %q, functions %q", rec.Param("script"), rec.Param("functions"))
	}
}
