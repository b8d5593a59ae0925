package targets

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// report:steps says where a setup's guest CPU time went, from the run
// script's snapshots on the console, and nothing for a setup without them.
func TestStepsSayWhereTheGuestsTimeWent(t *testing.T) {
	dir := t.TempDir()
	console := `VSWARMU-CPU start cpu0 100 0 50 900 10 0 0 0 0 0
VSWARMU-CPU start 300 (containerd) S 1 300 300 0 -1 4194560 1000 0 3 0 60 15 0 0 20 0 9 0 50 1000 100
VSWARMU-CPU start 400 (dockerd) S 1 400 400 0 -1 4194560 1000 0 3 0 40 10 0 0 20 0 9 0 60 1000 100
VSWARMU-CPU client cpu0 130 0 70 950 10 0 0 0 0 0
VSWARMU-CPU client 300 (containerd) S 1 300 300 0 -1 4194560 1000 0 3 0 65 15 0 0 20 0 9 0 50 1000 100
VSWARMU-CPU client 400 (dockerd) S 1 400 400 0 -1 4194560 1000 0 3 0 50 15 0 0 20 0 9 0 60 1000 100
VSWARMU-CPU client 500 (runc) S 1 500 500 0 -1 4194560 1000 0 3 0 10 10 0 0 20 0 9 0 60 1000 100
`
	if err := os.WriteFile(filepath.Join(dir, "board.pc.com_1.device"), []byte(console), 0o644); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	printCPUShares(ui.New(&b, false), dir)
	for _, want := range []string{
		"guest CPU time of the boot, to the setup's start: 150 ticks busy (10 ms each), 33% in the kernel; by program: containerd 50%, dockerd 33%",
		"guest CPU time of the setup, to its client's start: 50 ticks busy (10 ms each), 40% in the kernel; by program: runc 40%, dockerd 30%, containerd 10%",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report:steps lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	os.WriteFile(filepath.Join(dir, "board.pc.com_1.device"), []byte("no snapshots\n"), 0o644)
	if printCPUShares(ui.New(&b, false), dir); b.Len() != 0 {
		t.Errorf("a setup without snapshots: %q", b.String())
	}
}
