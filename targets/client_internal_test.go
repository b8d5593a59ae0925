package targets

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestGuestToolSourcesCoverTheirPackages keeps each guest tool's declared
// source directories (its rule's inputs) in step with what the Go tool
// builds it from: a change in any of its packages must rebuild it, and a
// change elsewhere must not.
func TestGuestToolSourcesCoverTheirPackages(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not on PATH")
	}
	for _, tool := range []guestTool{clientTool, m5Tool, runTool, seedTool, scanTool} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if eq .Module.Path \""+modulePath+"\"}}{{.ImportPath}}{{end}}{{end}}", "../"+tool.pkg).
			Output()
		if err != nil {
			t.Fatalf("go list %s: %v", tool.pkg, err)
		}
		for _, pkg := range strings.Fields(string(out)) {
			rel := strings.TrimPrefix(pkg, modulePath+"/")
			covered := slices.ContainsFunc(tool.src, func(src string) bool {
				if dir, ok := strings.CutSuffix(src, "/**"); ok {
					return rel == dir || strings.HasPrefix(rel, dir+"/")
				}
				return rel == src
			})
			if !covered {
				t.Errorf("%s is built from %s, which its sources %v do not cover", tool.name, rel, tool.src)
			}
		}
	}
}
