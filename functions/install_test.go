package functions

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallScriptDrivesEachFunctionByItsClientName(t *testing.T) {
	cat, err := Load("f.yaml", []byte(`version: "3.3"
services:
  aes-go:
    image: vhiveease/aes-go:latest
    container_name: function
    ports: ["50000:50051"]
  aes-rust:
    image: example/aes-rust:1
    container_name: function
    ports: ["50000:50051"]
    labels: {vswarmu.client: aes}
`))
	if err != nil {
		t.Fatal(err)
	}
	in := Install{Selection: &Selection{Catalog: cat, Functions: []string{"aes-go", "aes-rust"}}}
	script, err := in.script([]string{"a.tar"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\ninstall_one aes-go aes-go\n", "\ninstall_one aes-rust aes\n", `test-client -function-name "$2"`, `$compose up -d "$1"`, "fetch a.tar /tmp/image.tar",
		"docker inspect function > \"$dir/container.json\"", "dir=/opt/vswarmu/functions/$1"} {
		if !strings.Contains(script, want) {
			t.Errorf("install script lacks %q:\n%s", want, script)
		}
	}
	check := exec.Command("sh", "-n")
	check.Stdin = strings.NewReader(script)
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s\n%s", err, out, script)
	}
}

// TestTinyLooksUpBusyboxWhenItMakesTheDisk: the plan may be made before
// AUTO_INSTALL installs busybox-static; the disk's recipe looks the host's
// busybox up again, and keeps one it was given.
func TestTinyLooksUpBusyboxWhenItMakesTheDisk(t *testing.T) {
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	if got := (Tiny{}).withHostBusybox(); got.Busybox != "" {
		t.Fatalf("no busybox on PATH, found %q", got.Busybox)
	}
	// Installed after the plan was made.
	bb := filepath.Join(bin, "busybox")
	if err := os.WriteFile(bb, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := (Tiny{}).withHostBusybox(); got.Busybox != bb || got.Applets != bb {
		t.Fatalf("busybox installed after the plan: %+v, want %s", got, bb)
	}
	if got := (Tiny{Busybox: "/res/busybox-arm64"}).withHostBusybox(); got.Busybox != "/res/busybox-arm64" || got.Applets != bb {
		t.Fatalf("a given busybox: %+v", got)
	}
}
