package functions

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/results"
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

// TestInstallScansEachContainerInTheGuest: with a scanner, the install
// script fetches it and scans each running container's exported file
// system; the guest's lines become the scan record, beside the host's scan
// of an archive, and what only the guest found is warned of.
func TestInstallScansEachContainerInTheGuest(t *testing.T) {
	cat, err := Load("f.yaml", []byte(`version: "3.3"
services:
  fibonacci-go:
    image: vhiveease/fibonacci-go:latest
    container_name: function
    ports: ["50000:50051"]
  shippingservice:
    image: vhiveease/shippingservice:latest
    container_name: function
    ports: ["50000:50051"]
`))
	if err != nil {
		t.Fatal(err)
	}
	in := Install{Selection: &Selection{Catalog: cat, Functions: []string{"fibonacci-go", "shippingservice"}}, Scanner: "/res/vswarmu-scan-amd64"}
	script, err := in.script(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fetch vswarmu-scan /tmp/vswarmu-scan", `docker export function | /tmp/vswarmu-scan -function "$1"`} {
		if !strings.Contains(script, want) {
			t.Errorf("install script lacks %q:\n%s", want, script)
		}
	}
	if out, err := (&exec.Cmd{Path: "/bin/sh", Args: []string{"sh", "-n"}, Stdin: strings.NewReader(script)}).CombinedOutput(); err != nil {
		t.Fatalf("sh -n: %v\n%s", err, out)
	}
	if s, _ := (Install{Selection: in.Selection}).script(nil); strings.Contains(s, "vswarmu-scan") {
		t.Errorf("without a scanner (an arm64 guest) the script scans:\n%s", s)
	}
	log := []byte("=== shippingservice\r\n" +
		`VSWARMU-SCAN shippingservice {"path":"/app/server","go_version":"go1.18.4","count":2,"misdecodes":["xchg-rex-b"],"first":"0x45de40 49 90 xchg %rax,%r8 (gem5: nop) in runtime.gcWriteBarrierR8"}` + "\r\n" +
		"VSWARMU-SCAN-DONE shippingservice 1\nVSWARMU-SCAN-DONE fibonacci-go 0\n")
	host := map[string]results.ImageScan{"fibonacci-go": {Image: "vhiveease/fibonacci-go:latest", Where: "host"}}
	var warnings bytes.Buffer
	scans := in.mergeScans(host, log, job.Local{W: &warnings})
	ship := scans["shippingservice"]
	if ship.Where != "guest" || len(ship.Programs) != 1 || ship.Programs[0].GoVersion != "go1.18.4" ||
		scans["fibonacci-go"].Where != "host and guest" || len(scans["fibonacci-go"].Programs) != 0 {
		t.Fatalf("scans: %+v", scans)
	}
	if !strings.Contains(warnings.String(), "function shippingservice (image vhiveease/shippingservice:latest, scanned in the guest): /app/server (built with go1.18.4) holds 2") {
		t.Errorf("no warning of the guest's finding:\n%s", warnings.String())
	}
}

// The install's guest may run BOOT_TIMEOUT per function: three functions
// under TCG on a loaded machine took more than 20 minutes.
func TestInstallLimitGrowsWithTheFunctions(t *testing.T) {
	for _, c := range []struct {
		fns  []string
		want time.Duration
	}{
		{nil, 20 * time.Minute},
		{[]string{"fibonacci-go"}, 20 * time.Minute},
		{[]string{"fibonacci-go", "fibonacci-nodejs", "fibonacci-python"}, time.Hour},
	} {
		in := Install{Selection: &Selection{Functions: c.fns}, Timeout: 20 * time.Minute}
		if got := in.Limit(); got != c.want {
			t.Errorf("%d functions: limit %v, want %v", len(c.fns), got, c.want)
		}
	}
}
