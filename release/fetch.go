package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// Fetch downloads a release's artifacts into the pipeline's paths.
type Fetch struct {
	API   string // GitHub's API, or a server shaped like it (https://api.github.com)
	Repo  string // owner/name
	Tag   string // a tag, or "latest"
	Arch  string // whose manifest and checksums to read
	Cache string // where the release's files wait until their artifact is in place
	Want  []Want
}

// Want is an artifact the pipeline needs and where it goes.
type Want struct {
	Kind     string
	Arch     string
	Path     string            // the pipeline's path; written through the job's Out
	Settings map[string]string // the configuration's: the release's must be the same
	Contents []string          // an installed disk must hold these functions
}

// asset is one file of a GitHub release (the fields this tool reads).
type asset struct {
	Name string `json:"name"`
	URL  string `json:"browser_download_url"`
	Size int64  `json:"size"`
}

type releaseInfo struct {
	Tag    string  `json:"tag_name"`
	Assets []asset `json:"assets"`
}

// URL is the API address of the release.
func (f Fetch) URL() string {
	base := strings.TrimSuffix(f.API, "/") + "/repos/" + f.Repo + "/releases/"
	if f.Tag == "" || f.Tag == "latest" {
		return base + "latest"
	}
	return base + "tags/" + f.Tag
}

// Run fetches the release's description, then every wanted artifact.
func (f Fetch) Run(ctx context.Context, j job.Job) error {
	rel, err := f.info(ctx)
	if err != nil {
		return err
	}
	assets := map[string]asset{}
	for _, a := range rel.Assets {
		assets[a.Name] = a
	}
	if _, ok := assets[ManifestAsset(f.Arch)]; !ok {
		return f.runOriginal(ctx, j, rel, assets)
	}
	sums, m, err := f.manifest(ctx, rel, assets)
	if err != nil {
		return err
	}
	for _, w := range f.Want {
		if err := f.artifact(ctx, j, rel.Tag, m, w, assets, sums); err != nil {
			return err
		}
	}
	return nil
}

// info reads the release's description from the API.
func (f Fetch) info(ctx context.Context) (releaseInfo, error) {
	var rel releaseInfo
	path := filepath.Join(f.Cache, "release.json")
	if err := download.File(ctx, f.URL(), "", path, nil); err != nil {
		return rel, fmt.Errorf("release %s of %s: %w", f.tag(), f.Repo, err)
	}
	defer os.Remove(path) // read afresh every time: a tag may move
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &rel)
	}
	if err != nil || len(rel.Assets) == 0 {
		return rel, fmt.Errorf("release %s of %s (%s): not a release with assets (%v)", f.tag(), f.Repo, f.URL(), err)
	}
	return rel, nil
}

func (f Fetch) tag() string {
	if f.Tag == "" {
		return "latest"
	}
	return f.Tag
}

// manifest fetches SHA256SUMS, then the manifest checked against it.
func (f Fetch) manifest(
	ctx context.Context,
	rel releaseInfo,
	assets map[string]asset,
) (map[string]string, Manifest, error) {
	sumsName := SumsAsset(f.Arch)
	sumsAsset, ok := assets[sumsName]
	if !ok {
		return nil, Manifest{}, fmt.Errorf(
			"release %s of %s has a manifest but no %s: the assets cannot be checked",
			rel.Tag,
			f.Repo,
			sumsName,
		)
	}
	dir := f.tagDir(rel.Tag)
	sumsPath := filepath.Join(dir, sumsName)
	if err := download.File(ctx, sumsAsset.URL, "", sumsPath+".new", nil); err != nil {
		return nil, Manifest{}, fmt.Errorf("release %s: asset %s: %w", rel.Tag, sumsName, err)
	}
	if err := os.Rename(sumsPath+".new", sumsPath); err != nil {
		return nil, Manifest{}, err
	}
	b, err := os.ReadFile(sumsPath)
	if err != nil {
		return nil, Manifest{}, err
	}
	sums := ParseSums(string(b))
	mPath := filepath.Join(dir, ManifestAsset(f.Arch))
	if err := f.get(ctx, rel.Tag, assets[ManifestAsset(f.Arch)], sums, mPath); err != nil {
		return nil, Manifest{}, err
	}
	m, err := ReadManifest(mPath)
	return sums, m, err
}

func (f Fetch) tagDir(tag string) string { return filepath.Join(f.Cache, tag) }

// get downloads one asset with its checksum from SHA256SUMS.
func (f Fetch) get(ctx context.Context, tag string, a asset, sums map[string]string, dst string) error {
	sum, ok := sums[a.Name]
	if !ok {
		return fmt.Errorf("release %s: asset %s is not in %s: it cannot be checked", tag, a.Name, SumsAsset(f.Arch))
	}
	if err := download.File(ctx, a.URL, "sha256:"+sum, dst, nil); err != nil {
		return fmt.Errorf("release %s: asset %s: %w", tag, a.Name, err)
	}
	return nil
}

// artifact fetches w's parts, reassembles and decompresses them into
// j.Out(w.Path) and checks the result.
func (f Fetch) artifact(
	ctx context.Context,
	j job.Job,
	tag string,
	m Manifest,
	w Want,
	assets map[string]asset,
	sums map[string]string,
) error {
	a, ok := m.Artifact(w.Kind, w.Arch)
	if !ok {
		return fmt.Errorf("release %s has no %s for %s", tag, w.Kind, w.Arch)
	}
	if diff := SettingsDiffer(a.Settings, w.Settings); len(diff) > 0 {
		return fmt.Errorf(
			"release %s's %s was built with other settings than yours: %s; use RESOURCES_FROM=build, or the release's settings",
			tag,
			a.Name,
			strings.Join(diff, ", "),
		)
	}
	for _, fn := range w.Contents {
		if !slices.Contains(a.Contents, fn) {
			return fmt.Errorf(
				"release %s's %s holds the functions %s, not %s: unset INSTALLED_DISK to install your list",
				tag,
				a.Name,
				strings.Join(a.Contents, " "),
				fn,
			)
		}
	}
	var parts []string
	for i, name := range a.Parts {
		asset, ok := assets[name]
		if !ok {
			return fmt.Errorf("release %s lacks asset %s (part %d of %s)", tag, name, i+1, a.Name)
		}
		j.Progress("%s: part %d of %d", a.Name, i+1, len(a.Parts))
		dst := filepath.Join(f.tagDir(tag), name)
		if err := f.get(ctx, tag, asset, sums, dst); err != nil {
			return err
		}
		parts = append(parts, dst)
	}
	if err := unpack(parts, a, j.Out(w.Path)); err != nil {
		return fmt.Errorf("release %s: %s: %w", tag, a.Name, err)
	}
	j.Logf("%s → %s (sha256 %s)", a.Name, w.Path, a.SHA256)
	for _, p := range parts {
		_ = os.Remove(p)
	}
	return nil
}

// unpack decompresses the concatenated parts into out and checks the
// artifact's sha256; a mismatch leaves no out.
func unpack(parts []string, a Artifact, out string) error {
	r, closeAll, err := joined(parts)
	if err != nil {
		return err
	}
	defer closeAll()
	dec, err := zstd.NewReader(r)
	if err != nil {
		return err
	}
	defer dec.Close()
	return writeChecked(dec, a.SHA256, out)
}

// joined reads the files one after the other; closeAll closes them.
func joined(paths []string) (r io.Reader, closeAll func(), err error) {
	var files []io.Reader
	closeAll = func() {
		for _, f := range files {
			_ = f.(*os.File).Close()
		}
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		files = append(files, f)
	}
	return io.MultiReader(files...), closeAll, nil
}

// writeChecked writes r to out and removes it unless its sha256 is sum.
func writeChecked(r io.Reader, sum, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if got := hex.EncodeToString(h.Sum(nil)); err == nil && got != sum {
		err = fmt.Errorf("unpacked file has sha256 %s, the manifest says %s", got, sum)
	}
	if err != nil {
		_ = os.Remove(out)
	}
	return err
}

// Preflight checks, before anything is downloaded, that the release's
// server is reachable.
func (f Fetch) Preflight(ctx context.Context) error { return download.Reachable(ctx, f.URL()) }
