package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name, json string
		want       Launch
		err        string
	}{
		{"docker inspect output",
			`[{"Path":"/app/server","Args":["-addr=0.0.0.0:50051"],"Config":{"Env":["PATH=/bin","A=b c"],"WorkingDir":"/app"}}]`,
			Launch{Root: "/r", Dir: "/app", Argv: []string{"/app/server", "-addr=0.0.0.0:50051"}, Env: []string{"PATH=/bin", "A=b c"}}, ""},
		{"one object, no working directory, no PATH",
			`{"Path":"node","Args":["server.js"],"Config":{"Env":[]}}`,
			Launch{Root: "/r", Dir: "/", Argv: []string{"node", "server.js"},
				Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}, ""},
		{"two containers", `[{"Path":"a"},{"Path":"b"}]`, Launch{}, "lists 2 containers"},
		{"no command", `[{"Args":["x"]}]`, Launch{}, "no command"},
		{"not JSON", `hello`, Launch{}, "not a docker inspect description"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(c.json))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l := got.Resolve("/r")
			if l.Root != c.want.Root || l.Dir != c.want.Dir || strings.Join(l.Argv, "|") != strings.Join(c.want.Argv, "|") ||
				strings.Join(l.Env, "|") != strings.Join(c.want.Env, "|") {
				t.Fatalf("got %+v, want %+v", l, c.want)
			}
		})
	}
}

func TestParseCPUs(t *testing.T) {
	cases := []struct {
		in   string
		want []int
		bad  bool
	}{
		{"1", []int{1}, false}, {"0,2-3", []int{0, 2, 3}, false}, {"3-1", nil, true}, {"x", nil, true}, {"-1", nil, true},
	}
	for _, c := range cases {
		set, err := ParseCPUs(c.in)
		if (err != nil) != c.bad {
			t.Fatalf("%q: err %v", c.in, err)
		}
		if c.bad {
			continue
		}
		if set.Count() != len(c.want) {
			t.Fatalf("%q: %d CPUs, want %v", c.in, set.Count(), c.want)
		}
		for _, cpu := range c.want {
			if !set.IsSet(cpu) {
				t.Fatalf("%q: CPU %d not set", c.in, cpu)
			}
		}
	}
}

// TestLaunchRunsTheContainersCommand builds a root file system with a
// static program that reports where and how it runs, and launches it as a
// plain process the way a run script does (needs root for chroot).
func TestLaunchRunsTheContainersCommand(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	os.MkdirAll(filepath.Join(root, "app"), 0o755)
	src := filepath.Join(dir, "probe.go")
	os.WriteFile(src, []byte(`package main

import (
	"fmt"
	"os"
	"golang.org/x/sys/unix"
)

func main() {
	wd, _ := os.Getwd()
	var set unix.CPUSet
	unix.SchedGetaffinity(0, &set)
	_, hostOnly := os.Stat("/probe-is-not-here")
	fmt.Printf("wd=%s greeting=%s args=%v cpus=%d cpu0=%v chrooted=%v\n", wd, os.Getenv("GREETING"), os.Args[1:], set.Count(), set.IsSet(0), hostOnly != nil)
}
`), 0o644)
	build := exec.Command("go", "build", "-o", filepath.Join(root, "app", "probe"), src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the probe: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(dir, "probe-is-not-here"), nil, 0o644) // exists outside the root only
	spec := filepath.Join(dir, "container.json")
	os.WriteFile(spec, []byte(`[{"Path":"/app/probe","Args":["-x","y z"],"Config":{"Env":["GREETING=hello"],"WorkingDir":"/app"}}]`), 0o644)
	self := filepath.Join(dir, "vswarmu-run")
	if out, err := exec.Command("go", "build", "-o", self, ".").CombinedOutput(); err != nil {
		t.Fatalf("build vswarmu-run: %v\n%s", err, out)
	}
	out, err := exec.Command(self, "-cpus", "0", spec).CombinedOutput()
	if err != nil {
		t.Fatalf("vswarmu-run: %v\n%s", err, out)
	}
	want := "wd=/app greeting=hello args=[-x y z] cpus=1 cpu0=true chrooted=true\n"
	if string(out) != want {
		t.Fatalf("the function saw:\n%s\nwant:\n%s", out, want)
	}
	out, err = exec.Command(self, "-rootfs", filepath.Join(dir, "nowhere"), spec).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "chroot "+filepath.Join(dir, "nowhere")) {
		t.Fatalf("a missing root: %v\n%s", err, out)
	}
}
