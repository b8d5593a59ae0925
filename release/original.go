package release

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// The original vSwarm-u's asset names, by kind: a kernel and a client as
// plain files (no checksum published), a disk as a gzip'd tar split into
// parts with a .sums file of the disk itself.
var originalNames = map[string]string{
	"kernel": `^vmlinux-[a-z0-9.]+-%s$`,
	"client": `^test-client-%s$`,
	"disk":   `^disk-image-[a-z0-9.]+-%s\.tar\.gz\.[a-z]+$`,
}

// runOriginal fetches the wanted artifacts of a release in vSwarm-u's
// layout. Its settings cannot be compared (it has no manifest): they are
// vSwarm-u's own (Ubuntu focal, Linux 5.4).
func (f Fetch) runOriginal(ctx context.Context, j job.Job, rel releaseInfo, assets map[string]asset) error {
	j.Warnf(
		"release %s of %s is in vSwarm-u's layout: no manifest, so its settings are not checked against yours, and only its disk has a checksum",
		rel.Tag,
		f.Repo,
	)
	for _, w := range f.Want {
		pattern, ok := originalNames[w.Kind]
		if !ok {
			return fmt.Errorf(
				"release %s is in vSwarm-u's layout, which has no %s: use RESOURCES_FROM=build for it",
				rel.Tag,
				w.Kind,
			)
		}
		names := matching(assets, fmt.Sprintf(pattern, regexp.QuoteMeta(w.Arch)))
		if len(names) == 0 {
			return fmt.Errorf(
				"release %s has no %s for %s (vSwarm-u's names: %s)",
				rel.Tag,
				w.Kind,
				w.Arch,
				fmt.Sprintf(pattern, w.Arch),
			)
		}
		var err error
		if w.Kind == "disk" {
			err = f.originalDisk(ctx, j, rel.Tag, names, assets, w)
		} else {
			j.Warnf("%s: vSwarm-u publishes no checksum for it: downloaded unverified", names[0])
			err = download.File(ctx, assets[names[0]].URL, "", j.Out(w.Path), nil)
		}
		if err != nil {
			return fmt.Errorf("release %s: %w", rel.Tag, err)
		}
	}
	return nil
}

// matching returns the asset names matching pattern, sorted.
func matching(assets map[string]asset, pattern string) []string {
	re := regexp.MustCompile(pattern)
	var out []string
	for n := range assets {
		if re.MatchString(n) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// originalDisk downloads the parts of a disk, checks the disk inside the
// tarball against its .sums file and writes it to j.Out(w.Path).
func (f Fetch) originalDisk(
	ctx context.Context,
	j job.Job,
	tag string,
	parts []string,
	assets map[string]asset,
	w Want,
) error {
	base := regexp.MustCompile(`\.tar\.gz\.[a-z]+$`).ReplaceAllString(parts[0], "")
	sums, ok := assets[base+".sums"]
	if !ok {
		return fmt.Errorf("disk %s has no %s.sums: it cannot be checked", base, base)
	}
	sumsPath := filepath.Join(f.tagDir(tag), base+".sums")
	if err := download.File(ctx, sums.URL, "", sumsPath, nil); err != nil {
		return err
	}
	b, err := os.ReadFile(sumsPath)
	if err != nil {
		return err
	}
	sum, ok := ParseSums(string(b))[base]
	if !ok {
		return fmt.Errorf("%s.sums has no checksum for %s", base, base)
	}
	var files []string
	for i, p := range parts {
		j.Progress("%s: part %d of %d", base, i+1, len(parts))
		dst := filepath.Join(f.tagDir(tag), p)
		if err := download.File(ctx, assets[p].URL, "", dst, nil); err != nil {
			return err
		}
		files = append(files, dst)
	}
	if err := untarOne(files, base, sum, j.Out(w.Path)); err != nil {
		return fmt.Errorf("%s: %w", base, err)
	}
	for _, p := range append(files, sumsPath) {
		_ = os.Remove(p)
	}
	return nil
}

// untarOne reads the file named name from the gzip'd tar split into parts
// and writes it to out, checked against sum.
func untarOne(parts []string, name, sum, out string) error {
	r, closeAll, err := joined(parts)
	if err != nil {
		return err
	}
	defer closeAll()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			return fmt.Errorf("no %s in the tarball: %w", name, err)
		}
		if filepath.Base(h.Name) == name && h.Typeflag == tar.TypeReg {
			return writeChecked(tr, sum, out)
		}
	}
}
