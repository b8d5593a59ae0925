package engine

import (
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// stamp is the modification time of one path, or its absence.
type stamp struct {
	path   string
	mod    time.Time
	exists bool
	dir    bool
}

// newest is the newest stamp of a set of inputs.
type newest struct {
	stamp
	count int // how many paths were looked at
}

// statCache remembers stats and directory walks for the length of one
// evaluation; the engine forgets a rule's outputs when the rule has run.
type statCache struct {
	fs    FS
	mu    sync.Mutex
	stats map[string]stamp
	walks map[string]newest
}

func newStatCache(fsys FS) *statCache {
	return &statCache{fs: fsys, stats: map[string]stamp{}, walks: map[string]newest{}}
}

// stat returns the stamp of p, following symbolic links as make does.
func (c *statCache) stat(p string) (stamp, error) {
	c.mu.Lock()
	s, ok := c.stats[p]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	info, err := c.fs.Stat(p)
	if err != nil {
		return stamp{}, err
	}
	s = stamp{path: p, mod: info.Mod, exists: info.Exists, dir: info.Dir}
	c.mu.Lock()
	c.stats[p] = s
	c.mu.Unlock()
	return s, nil
}

// prefetch stats paths with a few goroutines, a directory at a time
// (fstatat relative to the open directory resolves one name per file, not
// the whole path), so judging many rules does not make its system calls
// one after another.
func (c *statCache) prefetch(paths []string) {
	byDir := map[string][]string{}
	for _, p := range paths {
		d := filepath.Dir(p)
		byDir[d] = append(byDir[d], p)
	}
	c.mu.Lock()
	if len(c.stats) == 0 {
		c.stats = make(map[string]stamp, len(paths))
	}
	c.mu.Unlock()
	workers := min(max(2*runtime.GOMAXPROCS(0), 2), 16)
	ch := make(chan []string, 64)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for group := range ch {
				c.statDir(group)
			}
		}()
	}
	for _, group := range byDir {
		ch <- group
	}
	close(ch)
	wg.Wait()
}

// statDir stats files of one directory in one batch.
func (c *statCache) statDir(paths []string) {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	infos, err := c.fs.StatDir(filepath.Dir(paths[0]), names)
	if err != nil {
		for _, p := range paths {
			_, _ = c.stat(p) // keeps the error for the rule that reads it
		}
		return
	}
	c.mu.Lock()
	for i, info := range infos {
		c.stats[paths[i]] = stamp{path: paths[i], mod: info.Mod, exists: info.Exists, dir: info.Dir}
	}
	c.mu.Unlock()
}

// prewalk walks, in parallel, the directories that rules take as inputs
// (after prefetch has statted them), with each rule's excludes.
func (c *statCache) prewalk(rules []*Rule) {
	type walk struct {
		dir string
		in  inputSet
	}
	var walks []walk
	for _, r := range rules {
		in := splitInputs(r.Inputs)
		for _, p := range in.include {
			if hasMeta(p) {
				continue
			}
			if s, err := c.stat(filepath.Clean(p)); err == nil && s.dir {
				walks = append(walks, walk{filepath.Clean(p), in})
			}
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, min(max(runtime.GOMAXPROCS(0), 2), 8))
	for _, w := range walks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, _ = c.newestPath(w.dir, w.in)
		}()
	}
	wg.Wait()
}

// forget drops everything cached at or below p.
func (c *statCache) forget(p string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prefix := p + string(filepath.Separator)
	for k := range c.stats {
		if k == p || strings.HasPrefix(k, prefix) {
			delete(c.stats, k)
		}
	}
	for k := range c.walks {
		dir := k[:strings.IndexByte(k, 0)]
		if dir == p || strings.HasPrefix(dir, prefix) || strings.HasPrefix(p, dir+string(filepath.Separator)) {
			delete(c.walks, k)
		}
	}
}

// inputSet is a rule's input patterns, split into includes and excludes.
type inputSet struct {
	include []string
	exclude []string
}

func splitInputs(patterns []string) inputSet {
	var s inputSet
	for _, p := range patterns {
		if rest, ok := strings.CutPrefix(p, "!"); ok {
			s.exclude = append(s.exclude, filepath.Clean(rest))
		} else {
			s.include = append(s.include, p)
		}
	}
	return s
}

func (s inputSet) excluded(p string) bool {
	for _, ex := range s.exclude {
		if ex == p || strings.HasPrefix(p, ex+string(filepath.Separator)) {
			return true
		}
		if hasMeta(ex) && matchPath(ex, p) {
			return true
		}
	}
	return false
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// newestOf returns the newest stamp among the inputs and the plain (non-glob)
// inputs that do not exist.
func (c *statCache) newestOf(in inputSet) (newest, []string, error) {
	var best newest
	var missing []string
	take := func(s stamp, n int) {
		best.count += n
		if s.exists && (best.path == "" || s.mod.After(best.mod)) {
			best.stamp = s
		}
	}
	for _, p := range in.include {
		if hasMeta(p) {
			matches, err := c.glob(p)
			if err != nil {
				return best, nil, err
			}
			for _, m := range matches {
				if in.excluded(m) {
					continue
				}
				n, err := c.newestPath(m, in)
				if err != nil {
					return best, nil, err
				}
				take(n.stamp, n.count)
			}
			continue
		}
		p = filepath.Clean(p)
		if in.excluded(p) {
			continue
		}
		n, err := c.newestPath(p, in)
		if err != nil {
			return best, nil, err
		}
		if !n.exists {
			missing = append(missing, p)
			continue
		}
		take(n.stamp, n.count)
	}
	return best, missing, nil
}

// newestPath stats a file, or walks a directory for its newest entry (the
// directory's own time counts, so a deleted file shows).
func (c *statCache) newestPath(p string, in inputSet) (newest, error) {
	s, err := c.stat(p)
	if err != nil || !s.exists || !s.dir {
		return newest{stamp: s, count: 1}, err
	}
	key := p + "\x00" + strings.Join(in.exclude, "\x00")
	c.mu.Lock()
	w, ok := c.walks[key]
	c.mu.Unlock()
	if ok {
		return w, nil
	}
	w = newest{stamp: s}
	err = c.fs.WalkDir(p, func(q string, d fs.DirEntry, err error) error { return w.visit(p, q, d, err, in) })
	if err != nil {
		return w, err
	}
	c.mu.Lock()
	c.walks[key] = w
	c.mu.Unlock()
	return w, nil
}

// visit takes one entry of a walk of root into the newest: .git and
// excluded paths are skipped, files removed while walking are ignored.
func (w *newest) visit(root, q string, d fs.DirEntry, err error, in inputSet) error {
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while walking
		}
		return err
	}
	if q != root && (d.IsDir() && d.Name() == ".git" || in.excluded(q)) {
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	}
	fi, err := d.Info()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	w.count++
	if fi.ModTime().After(w.mod) {
		w.stamp = stamp{path: q, mod: fi.ModTime(), exists: true, dir: d.IsDir()}
	}
	return nil
}

// glob expands a pattern; "**" matches any number of directories.
func (c *statCache) glob(pattern string) ([]string, error) {
	if !strings.Contains(pattern, "**") {
		return c.fs.Glob(pattern)
	}
	// Walk from the longest directory prefix without metacharacters.
	root := pattern[:strings.Index(pattern, "**")]
	if i := strings.IndexAny(root, "*?["); i >= 0 {
		root = root[:i]
	}
	root = filepath.Dir(root + "x")
	var out []string
	err := c.fs.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return filepath.SkipAll
			}
			return nil
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if matchPath(pattern, p) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// matchPath reports whether name matches pattern, segment by segment, where
// a "**" segment matches zero or more segments.
func matchPath(pattern, name string) bool {
	return matchSegs(strings.Split(filepath.ToSlash(pattern), "/"), strings.Split(filepath.ToSlash(name), "/"))
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegs(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], segs[0]); err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
