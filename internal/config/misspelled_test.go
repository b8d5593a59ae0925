package config

import (
	"strings"
	"testing"
)

func TestMisspelledSettingsAreNamed(t *testing.T) {
	cases := []struct {
		env  string
		want string // the setting suggested, "" for no warning
	}{
		{"FUNCTION=fibonacci-go", "FUNCTIONS"},
		{"NUM_INVOCATION=3", "NUM_INVOCATIONS"},
		{"SYSTM=skylake", "SYSTEM"},
		{"WORKIN_DIR=/tmp/x", "WORKING_DIR"},
		{"FUNCTIONS=fibonacci-go", ""}, // a setting
		{"VERSION=v24.0.0.1", ""},      // a setting's legacy name
		{"PATH=/usr/bin", ""},
		{"HOME=/root", ""},
		{"USER=root", ""},
		{"TERM=xterm", ""},
		{"GOPATH=/root/go", ""},
		{"CI=true", ""},
		{"PWD=/work", ""},
		{"LANG=C.UTF-8", ""},
		{"SHELL=/bin/bash", ""},
		{"GOROOT=/usr/local/go", ""},
		{"GOFLAGS=-mod=mod", ""},
		{"TMPDIR=/tmp", ""},
		{"HOSTNAME=vm", ""},
		{"RUNNER_TEMP=/tmp", ""},
		{"GITHUB_ACTIONS=true", ""},
		{"DEBIAN_FRONTEND=noninteractive", ""},
		{"system=skylake", ""}, // lower case: not setting-like
	}
	for _, c := range cases {
		got := Misspelled([]string{c.env})
		name, _, _ := strings.Cut(c.env, "=")
		switch {
		case c.want == "" && len(got) > 0:
			t.Errorf("%s: warned %q", name, got)
		case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], name+" is not a setting") ||
			!strings.Contains(got[0], "did you mean "+c.want+"?")):
			t.Errorf("%s: %q, want a warning naming %s", name, got, c.want)
		}
	}
}
