package gem5configs

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vswarmu/vswarmu-mage/results"
)

// Files identifies the input files of runs (the gem5 binary, the kernel,
// the disk, the config), hashing each file once per size and
// modification time: one pipeline shares one Files.
type Files struct {
	mu   sync.Mutex
	seen map[string]results.FileID
}

// hashLimit is the largest file hashed; larger ones (disks) are named by
// size and modification time.
const hashLimit = 2 << 30

// ID identifies the file at path ("" gives nil).
func (f *Files) ID(path string) *results.FileID {
	if path == "" {
		return nil
	}
	if f == nil {
		f = &Files{}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return &results.FileID{Path: path}
	}
	id := results.FileID{Path: path, Size: fi.Size(), ModTime: fi.ModTime().UTC().Format(time.RFC3339Nano)}
	if fi.Size() > hashLimit || !fi.Mode().IsRegular() {
		return &id
	}
	key := fmt.Sprintf("%s\x00%d\x00%s", path, id.Size, id.ModTime)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen == nil {
		f.seen = map[string]results.FileID{}
	}
	if got, ok := f.seen[key]; ok {
		return &got
	}
	if sum, err := fileSHA256(path); err == nil {
		id.SHA256 = sum
	}
	f.seen[key] = id
	return &id
}

func fileSHA256(path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// parameters are the settings a run was made with, by their names.
func (s Simulation) parameters(setupCPU string) map[string]string {
	m := map[string]string{
		"SYSTEM": s.System, "DETAILED_CPU": s.detailedCPU(), "CPUS": fmt.Sprint(s.CPUs),
		"MEMORY": fmt.Sprintf("%dMB", s.MemoryMiB), "ATOMIC_WARMING": fmt.Sprint(s.AtomicWarming),
		"NUM_INVOCATIONS": fmt.Sprint(s.Invocations), "WARMUP_INVOCATIONS": fmt.Sprint(s.Warmup),
		"SETUP_CPU": setupCPU, "ROOT_DEVICE": s.Root, "EXEC_MODE": s.execMode(),
		"CLIENT_INVOCATIONS": fmt.Sprint(s.ClientInvocations()), "MEASUREMENT": cmp.Or(s.Measurement, "window"),
	}
	if s.KernelArgs != "" {
		m["KERNEL_ARGS"] = s.KernelArgs
	}
	if s.CPUTimes {
		m["GUEST_CPU_TIMES"] = "1"
	}
	if s.Board.Idle == IdleKernel {
		m["GUEST_IDLE"] = IdleKernel
	}
	if s.BootCheckpoint != "" {
		m["BOOT_CHECKPOINT"] = s.BootCheckpoint
	}
	s.topology().Parameters(s, m)
	if s.Point != "" {
		m["SWEEP_POINT"], m["OVERRIDES"] = s.Point, strings.Join(s.Overrides, " ")
	}
	return m
}
