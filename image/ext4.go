package image

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/proc"
)

// Layout of the disks this stage makes: an MBR with a 1 MiB first
// partition (where the original's installer put its boot partition) and
// the root file system in partition 2, so gem5's root=/dev/hda2 (sda2 with
// libata, vda2 under qemu) finds it.
const (
	sector     = 512
	rootStart  = 4096 // sectors: 2 MiB
	RootPart   = 2
	rootLabel  = "vswarmu-root"
	firstStart = 2048
	firstSize  = 2048
)

// partitionTable is the sfdisk script of the layout; partition 2 fills the
// rest of the disk.
func partitionTable() string {
	return fmt.Sprintf("label: dos\nunit: sectors\n\nstart=%d, size=%d, type=da\nstart=%d, type=83, bootable\n",
		firstStart, firstSize, rootStart)
}

// RootOffset returns the byte offset of partition 2 of a raw disk, read
// from its partition table with sfdisk.
func RootOffset(ctx context.Context, raw string) (int64, error) {
	out, err := proc.Command("sfdisk", "--json", raw).Output(ctx)
	if err != nil {
		return 0, fmt.Errorf("read partition table of %s: %w", raw, err)
	}
	var t struct {
		PartitionTable struct {
			SectorSize int64 `json:"sectorsize"`
			Partitions []struct {
				Start int64 `json:"start"`
			} `json:"partitions"`
		} `json:"partitiontable"`
	}
	if err := json.Unmarshal(out, &t); err != nil {
		return 0, fmt.Errorf("partition table of %s: %w", raw, err)
	}
	p := t.PartitionTable
	if len(p.Partitions) < RootPart {
		return 0, fmt.Errorf(
			"%s has %d partitions; the root file system is expected in partition %d",
			raw,
			len(p.Partitions),
			RootPart,
		)
	}
	size := p.SectorSize
	if size == 0 {
		size = sector
	}
	return p.Partitions[RootPart-1].Start * size, nil
}

// ReadFile returns a file from the root file system of a raw disk without
// mounting it (debugfs).
func ReadFile(ctx context.Context, raw, path string) ([]byte, error) {
	off, err := RootOffset(ctx, raw)
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	c := proc.Command("debugfs", "-R", "cat "+path, fmt.Sprintf("%s?offset=%d", raw, off))
	c.Stderr = &stderr
	out, err := c.Output(ctx)
	if err != nil {
		return nil, fmt.Errorf("debugfs cat %s in %s: %w", path, raw, err)
	}
	if msg := debugfsError(stderr.String()); msg != "" {
		return nil, fmt.Errorf("read %s from %s: %s", path, raw, msg)
	}
	return out, nil
}

// debugfsError finds an error in debugfs's output; debugfs exits 0 when a
// command fails.
func debugfsError(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "debugfs ") ||
			strings.HasPrefix(l, "debugfs:") && !strings.Contains(l, ": ") {
			continue
		}
		if strings.Contains(l, "not found") || strings.Contains(l, "No such") || strings.Contains(l, "error") ||
			strings.Contains(
				l,
				"Could not",
			) || strings.Contains(l, "Bad magic") || strings.Contains(l, "Operation not permitted") {
			return l
		}
	}
	return ""
}

// Inject is a file to put into an image's root file system.
type Inject struct {
	Src  string // host file
	Dst  string // absolute path in the guest
	Mode os.FileMode
}

// Link is a symbolic link to create in an image; with an empty Target,
// the path is removed (a unit's enablement, say).
type Link struct {
	Path, Target string
}

// linkDest matches debugfs's stat of a symbolic link.
var linkDest = regexp.MustCompile(`(?m)Type: symlink|(?:Fast link dest|Link target): "([^"]*)"`)

// dirResolver resolves directories of an image's root file system through
// its symbolic links (merged-/usr systems have /sbin -> usr/sbin), which
// debugfs does not follow when it writes.
type dirResolver struct {
	image string // raw?offset=...
	seen  map[string]string
}

// resolve returns dir with every symbolic link among its components
// replaced by its target.
func (d *dirResolver) resolve(ctx context.Context, dir string, depth int) (string, error) {
	dir = filepath.Clean(dir)
	if dir == "/" {
		return dir, nil
	}
	if r, ok := d.seen[dir]; ok {
		return r, nil
	}
	if depth > 40 {
		return "", fmt.Errorf("%s: too many levels of symbolic links in the image", dir)
	}
	parent, err := d.resolve(ctx, filepath.Dir(dir), depth+1)
	if err != nil {
		return "", err
	}
	here := filepath.Join(parent, filepath.Base(dir))
	out, _ := proc.Command("debugfs", "-R", "stat "+here, d.image).Output(ctx)
	if m := linkDest.FindAllSubmatch(out, -1); len(m) == 2 {
		target := string(m[1][1])
		if !filepath.IsAbs(target) {
			target = filepath.Join(parent, target)
		}
		if here, err = d.resolve(ctx, target, depth+1); err != nil {
			return "", err
		}
	}
	d.seen[dir] = here
	return here, nil
}

// injectFiles writes files and links into the root file system of a raw
// disk with debugfs (no mount, no root needed for the image file), then
// reads each file back to check it arrived. Directories are resolved
// through the image's symbolic links first.
func injectFiles(ctx context.Context, r Runner, raw string, files []Inject, links []Link) error {
	off, err := RootOffset(ctx, raw)
	if err != nil {
		return err
	}
	resolver := &dirResolver{image: fmt.Sprintf("%s?offset=%d", raw, off), seen: map[string]string{}}
	for i := range files {
		d, err := resolver.resolve(ctx, filepath.Dir(files[i].Dst), 0)
		if err != nil {
			return err
		}
		files[i].Dst = filepath.Join(d, filepath.Base(files[i].Dst))
	}
	for i := range links {
		d, err := resolver.resolve(ctx, filepath.Dir(links[i].Path), 0)
		if err != nil {
			return err
		}
		links[i].Path = filepath.Join(d, filepath.Base(links[i].Path))
	}
	var cmds strings.Builder
	dirs := map[string]bool{}
	mkdirs := func(p string) {
		var parts []string
		for d := filepath.Dir(p); d != "/" && !dirs[d]; d = filepath.Dir(d) {
			parts = append([]string{d}, parts...)
		}
		for _, d := range parts {
			dirs[d] = true
			fmt.Fprintf(&cmds, "mkdir %s\n", d)
		}
	}
	for _, f := range files {
		mkdirs(f.Dst)
		fmt.Fprintf(&cmds, "rm %s\nwrite %s %s\nsif %s mode 0%o\nsif %s uid 0\nsif %s gid 0\n",
			f.Dst, f.Src, f.Dst, f.Dst, 0o100000|f.Mode.Perm(), f.Dst, f.Dst)
	}
	for _, l := range links {
		if l.Target == "" {
			fmt.Fprintf(&cmds, "rm %s\n", l.Path)
			continue
		}
		mkdirs(l.Path)
		fmt.Fprintf(&cmds, "rm %s\nsymlink %s %s\n", l.Path, l.Path, l.Target)
	}
	script := raw + ".debugfs"
	if err := os.WriteFile(script, []byte(cmds.String()), 0o644); err != nil {
		return err
	}
	defer os.Remove(script)
	c := r.Command("debugfs", "-w", "-f", script, fmt.Sprintf("%s?offset=%d", raw, off))
	if err := c.Run(ctx); err != nil {
		return fmt.Errorf("debugfs on %s: %w", raw, err)
	}
	for _, f := range files {
		want, err := os.ReadFile(f.Src)
		if err != nil {
			return err
		}
		got, err := ReadFile(ctx, raw, f.Dst)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%s in %s does not hold %s after writing it", f.Dst, raw, f.Src)
		}
	}
	return nil
}
