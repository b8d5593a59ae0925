// Package compilelock keeps two mage compiles of one magefiles directory
// apart: mage writes its generated main file into that directory, so two
// compiles at once (a run in one terminal, status in another, or two test
// packages) would overwrite and remove each other's file.
package compilelock

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Lock takes the compile lock of the magefiles directory dir, waiting for
// another holder; waiting is called once first when it has to wait.
// The returned function releases it.
func Lock(dir string, waiting func()) (unlock func(), err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("compile lock of %s: %w", dir, err)
	}
	sum := sha256.Sum256([]byte(abs))
	name := fmt.Sprintf("vswarmu-mage-compile-%x.lock", sum[:8])
	f, err := os.OpenFile(filepath.Join(os.TempDir(), name), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("compile lock of %s: %w", dir, err)
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		if waiting != nil {
			waiting()
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("compile lock of %s: %w", dir, err)
		}
	}
	return func() { f.Close() }, nil
}
