// Package recdir keeps records of running work as JSON files in a
// directory, one per key, each with an optional kill mark: who stopped it
// with `mage kill`. The process registry and the Slurm job records are two
// such directories.
package recdir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Dir is a directory of records of type T.
type Dir[T any] struct {
	Path string // the directory
	Name string // what a record is called in errors ("process registry entry")
}

// Item is a listed record with its key and kill mark.
type Item[T any] struct {
	Key    string
	Value  T
	Killed string // who marked it killed ("" when nobody did)
}

func (d Dir[T]) path(key, ext string) string { return filepath.Join(d.Path, key+ext) }

// Add writes key's record, replacing an older one, creating the directory.
func (d Dir[T]) Add(key string, v T) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	err = os.MkdirAll(d.Path, 0o755)
	if err == nil {
		err = WriteFileAtomic(d.path(key, ".json"), b)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", d.Name, key, err)
	}
	return nil
}

// Remove forgets key's record and its kill mark.
func (d Dir[T]) Remove(key string) {
	_ = os.Remove(d.path(key, ".json"))
	_ = os.Remove(d.path(key, ".killed"))
}

// MarkKilled records that who is stopping key's work, so whoever started it
// reports it as killed rather than as ended by itself.
func (d Dir[T]) MarkKilled(key, who string) error {
	return WriteFileAtomic(d.path(key, ".killed"), []byte(who+"\n"))
}

// KilledBy returns who marked key as killed, if anyone did.
func (d Dir[T]) KilledBy(key string) (string, bool) {
	b, err := os.ReadFile(d.path(key, ".killed"))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// List returns the records in directory order (a missing directory has
// none); unreadable ones are errors naming the file.
func (d Dir[T]) List() ([]Item[T], error) {
	ents, err := os.ReadDir(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s directory %s: %w", d.Name, d.Path, err)
	}
	var out []Item[T]
	var errs []error
	for _, de := range ents {
		name := de.Name()
		if !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(d.Path, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed while listing: the work ended
		}
		it := Item[T]{Key: strings.TrimSuffix(name, ".json")}
		if err == nil {
			err = json.Unmarshal(b, &it.Value)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", d.Name, p, err))
			continue
		}
		it.Killed, _ = d.KilledBy(it.Key)
		out = append(out, it)
	}
	return out, errors.Join(errs...)
}

// Values lists the records' values, each given its kill mark by marked,
// sorted by less (oldest first, say).
func (d Dir[T]) Values(marked func(v *T, who string), less func(a, b T) bool) ([]T, error) {
	items, err := d.List()
	var out []T
	for _, it := range items {
		marked(&it.Value, it.Killed)
		out = append(out, it.Value)
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out, err
}

// WriteFileAtomic writes b to a temporary file beside path and renames it
// into place, so readers never see a partial file.
func WriteFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
