package engine

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// FS is what the engine reads of the file system to judge rules, and how
// it dates the outputs it finishes. OS is the real one; a test gives the
// engine one whose clock it controls, so nothing needs to sleep for
// distinct modification times.
type FS interface {
	// Stat says whether path exists (following links), is a directory,
	// and when it was modified; a missing path is not an error.
	Stat(path string) (Info, error)
	// StatDir stats names in one directory, in order: the real file
	// system opens the directory once.
	StatDir(dir string, names []string) ([]Info, error)
	// WalkDir walks a tree as filepath.WalkDir does.
	WalkDir(root string, fn fs.WalkDirFunc) error
	// Glob expands a pattern as filepath.Glob does.
	Glob(pattern string) ([]string, error)
	// Now is the time an output finished now is dated.
	Now() time.Time
	// Chtimes sets a path's modification time.
	Chtimes(path string, t time.Time) error
}

// Info is what the engine knows of one path.
type Info struct {
	Exists bool
	Dir    bool
	Mod    time.Time
}

// OS is the real file system and clock.
type OS struct{}

// Stat stats path.
func (OS) Stat(path string) (Info, error) {
	fi, err := os.Stat(path)
	switch {
	case err == nil:
		return Info{Exists: true, Dir: fi.IsDir(), Mod: fi.ModTime()}, nil
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return Info{}, nil
	}
	return Info{}, err
}

// StatDir stats names relative to an open handle on dir (fstatat resolves
// one name per file, not the whole path).
func (o OS) StatDir(dir string, names []string) ([]Info, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return o.statEach(dir, names)
	}
	defer unix.Close(fd)
	out := make([]Info, len(names))
	var st unix.Stat_t
	for i, n := range names {
		err := unix.Fstatat(fd, n, &st, 0)
		switch {
		case err == nil:
			out[i] = Info{Exists: true, Dir: st.Mode&unix.S_IFMT == unix.S_IFDIR, Mod: time.Unix(st.Mtim.Unix())}
		case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR):
		default:
			return nil, err
		}
	}
	return out, nil
}

func (o OS) statEach(dir string, names []string) ([]Info, error) {
	out := make([]Info, len(names))
	for i, n := range names {
		var err error
		if out[i], err = o.Stat(filepath.Join(dir, n)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WalkDir walks a tree.
func (OS) WalkDir(root string, fn fs.WalkDirFunc) error { return filepath.WalkDir(root, fn) }

// Glob expands a pattern.
func (OS) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }

// Now is the wall clock.
func (OS) Now() time.Time { return time.Now() }

// Chtimes sets a path's times.
func (OS) Chtimes(path string, t time.Time) error { return os.Chtimes(path, t, t) }

// SteppedClock is the real file system with a clock that never goes
// back and never repeats: every Now is after the last one and after the
// wall clock. Tests date files with Next, so each change is newer than
// everything before it without waiting.
type SteppedClock struct {
	OS
	mu   sync.Mutex
	last time.Time
}

// Now returns a time after every earlier one.
func (c *SteppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := time.Now()
	if !t.After(c.last) {
		t = c.last.Add(time.Millisecond)
	}
	c.last = t
	return t
}

// Touch dates path with Now.
func (c *SteppedClock) Touch(path string) error { return c.Chtimes(path, c.Now()) }
