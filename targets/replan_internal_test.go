package targets

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReplanSeesWhatTheInstallPutOnPath: a plan made before AUTO_INSTALL
// installed busybox-static declares functions:tiny without the host's
// busybox among its inputs; the plan made anew after the install names it,
// so the run records what the next run's plan reads (a fresh machine's
// second run of README's tiny line rebuilt the disk and every simulation
// when it did not), and becomes the session's plan.
func TestReplanSeesWhatTheInstallPutOnPath(t *testing.T) {
	dir, bin := t.TempDir(), t.TempDir()
	t.Setenv("PATH", bin) // no busybox yet
	project, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"WORKING_DIR": filepath.Join(dir, "wk"), "RESOURCES": filepath.Join(dir, "res"),
		"GEM5": "standin", "KERNEL": "/dev/null", "INSTALLED_DISK": "tiny", "EXEC_MODE": "process",
		"FUNCTIONS": "fibonacci-go"}
	p := testPlan(t, env, project)
	rules, err := p.g.Lookup(ruleFunctionsTiny)
	if err != nil {
		t.Fatal(err)
	}
	busybox := filepath.Join(bin, "busybox")
	if slices.Contains(rules[0].Inputs, busybox) {
		t.Fatalf("functions:tiny reads %s before it exists: %v", busybox, rules[0].Inputs)
	}
	if err := os.WriteFile(busybox, []byte("#!/bin/sh\n"), 0o755); err != nil { // the install
		t.Fatal(err)
	}
	session.p = p
	t.Cleanup(func() { session.p = nil })
	fresh, again, err := p.replan(rules)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0].Target != ruleFunctionsTiny || !slices.Contains(again[0].Inputs, busybox) {
		t.Fatalf("after the install functions:tiny reads %v, want %s among them", again[0].Inputs, busybox)
	}
	if session.p != fresh {
		t.Error("the session keeps the plan made before the install")
	}
}
