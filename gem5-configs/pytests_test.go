package gem5configs

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// standinPython is a python3 command running args in this directory with
// the configs and the stand-in's m5 library on its path (no gem5, no
// bytecode files left behind); the test is skipped without python3.
func standinPython(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: apt-get install python3")
	}
	cmd := exec.Command(py, args...)
	cmd.Env = append(os.Environ(), "PYTHONPATH=.:standin/lib", "PYTHONDONTWRITEBYTECODE=1")
	return cmd
}

// TestPythonUnitTests runs the configs' own Python tests (pytests/) on
// the stand-in's m5 library, so they need no gem5: the systems catalogue,
// the sweep overrides, the topologies, the guest protocol's handlers and
// run_sim.py's parts (its command line, Workload, Machine).
func TestPythonUnitTests(t *testing.T) {
	out, err := standinPython(t, "-m", "unittest", "discover", "-v", "-s", "pytests", "-t", "pytests").CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m unittest: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), " ... ok"); n < 30 {
		t.Fatalf("%d Python tests passed, want at least 30:\n%s", n, out)
	}
}
