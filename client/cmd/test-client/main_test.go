package main

import (
	"debug/elf"
	"encoding/csv"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"google.golang.org/grpc"

	fibpb "github.com/vswarmu/vswarmu-mage/client/pb/fibonacci"
	"github.com/vswarmu/vswarmu-mage/functions/reference"
)

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// binary builds the client as client:build does: static, for linux.
func binary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "test-client-")
		if built.err != nil {
			return
		}
		os.Chmod(built.dir, 0o755)
		built.bin = filepath.Join(built.dir, "test-client")
		cmd := exec.Command("go", "build", "-trimpath", "-o", built.bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = &exec.ExitError{Stderr: out}
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

func fibServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	fibpb.RegisterGreeterServer(s, reference.Fibonacci{})
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

func TestBinaryIsStatic(t *testing.T) {
	f, err := elf.Open(binary(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the client has an ELF interpreter: it is dynamically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("the client needs shared libraries: %v", libs)
	}
}

func runClient(t *testing.T, asNobody bool, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = built.dir
	if asNobody && os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

func TestM5OpsWithoutRootDegradeToAWarning(t *testing.T) {
	host, port, _ := net.SplitHostPort(fibServer(t))
	out, code := runClient(t, true, "-function-name", "fibonacci-go", "-url", host, "-port", port, "-n", "3", "-w", "2", "-m5ops", "-input", "10")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if strings.Count(out, "warning: m5 ops disabled") != 1 || !strings.Contains(out, "SUCCESS: Calling functions for 3 times") {
		t.Fatalf("output:\n%s", out)
	}
}

func TestLatencyOutput(t *testing.T) {
	host, port, _ := net.SplitHostPort(fibServer(t))
	dir := t.TempDir()
	for _, ext := range []string{"csv", "json"} {
		p := filepath.Join(dir, "lat."+ext)
		out, code := runClient(t, false, "-function-name", "fibonacci-go", "-url", host, "-port", port, "-n", "5", "-w", "2", "-latency-out", p)
		if code != 0 || !strings.Contains(out, "latency: first (cold)") || !strings.Contains(out, "measured 5 ok, 0 failed: p50") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if ext == "csv" {
			recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
			if err != nil || len(recs) != 9 || strings.Join(recs[0], ",") != "phase,index,start,duration_us,ok,error" ||
				recs[1][0] != "first" || recs[2][0] != "warm" || recs[8][0] != "measured" || recs[8][4] != "true" {
				t.Fatalf("csv %v %v", recs, err)
			}
		} else {
			var recs []map[string]any
			if err := json.Unmarshal(b, &recs); err != nil || len(recs) != 8 || recs[7]["phase"] != "measured" || recs[7]["duration_ns"].(float64) <= 0 {
				t.Fatalf("json %v %v", recs, err)
			}
		}
	}
}

func TestCommandLineErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-function-name", "nosuch"}, 2, "unknown function \"nosuch\"; known functions:"},
		{[]string{"-genType", "zipf"}, 2, "unknown generator \"zipf\""},
		{[]string{"-latency-out", "x.txt"}, 2, "must end in .csv or .json"},
		{[]string{"-function-name", "aes-go", "-url", "127.0.0.1", "-port", "1", "-timeout", "1s", "-n", "1"}, 1, "cannot reach the function at 127.0.0.1:1 within 1s"},
		{[]string{"-version"}, 0, "vswarmu-mage test-client"},
	}
	for _, c := range cases {
		out, code := runClient(t, false, c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, output:\n%s\nwant exit %d with %q", c.args, code, out, c.code, c.want)
		}
	}
}
