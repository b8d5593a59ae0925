package targets

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// TestQemuAccelWithAGivenKernel: deciding qemu's accelerator declares the
// kernel's rule (a leaf for KERNEL=), which locks the plan; it must not
// already hold that lock (functions:install hung there).
func TestQemuAccelWithAGivenKernel(t *testing.T) {
	dir := t.TempDir()
	kernel := filepath.Join(dir, "vmlinux")
	os.WriteFile(kernel, []byte("x"), 0o644)
	env := map[string]string{"KERNEL": kernel, "CPU": "tcg", "WORKING_DIR": filepath.Join(dir, "wk"),
		"RESOURCES": filepath.Join(dir, "res"), "GEM5": "standin", "DISK": kernel, "CLIENT": kernel}
	p := testPlan(t, env, dir)
	done := make(chan string, 1)
	go func() { accel, _ := p.qemuAccel(context.Background(), nil); done <- accel }()
	select {
	case accel := <-done:
		if accel != "tcg" {
			t.Fatalf("CPU=tcg gave %q", accel)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("qemuAccel did not return: it waits for the plan's lock it holds")
	}
}

// testPlan declares the plan of the settings env (nothing else of the
// environment) with project as the project directory.
func testPlan(t *testing.T, env map[string]string, project string) *plan {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, project)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlan(cfg, ui.New(os.Stdout, false))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
