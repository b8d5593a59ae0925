// Package release packs built resources into release assets and unpacks a
// release's assets into place. An asset set is, per artifact (a kernel, a
// disk image, a client, ...), its file compressed with zstd and split into
// parts below GitHub's 2 GiB asset limit; per architecture,
// SHA256SUMS-<arch> lists every asset and vswarmu-manifest-<arch>.json says
// what each artifact is, what it was built with and from what. Unpacking fetches every part through go-getter with its checksum,
// reassembles and decompresses it, and checks the artifact's own sha256
// before it takes the place of a file of the pipeline. Releases of the
// original vSwarm-u (vmlinux-<os>-<arch>, test-client-<arch>,
// disk-image-<os>-<arch>.tar.gz.* with a .sums file) are read too.
package release

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// ManifestAsset and SumsAsset name the manifest and the checksum list of
// one architecture's assets: a release holds one set per architecture,
// each built and uploaded by its own job.
func ManifestAsset(arch string) string { return "vswarmu-manifest-" + arch + ".json" }

// SumsAsset names the checksum list of arch's assets.
func SumsAsset(arch string) string { return "SHA256SUMS-" + arch }

// DefaultPartSize keeps parts below GitHub's 2 GiB limit per asset.
const DefaultPartSize = 1900 << 20

// Artifact is one resource of a release.
type Artifact struct {
	Name     string            `json:"name"`               // the asset name without ".zst.NNN" (vmlinux-amd64)
	Kind     string            `json:"kind"`               // kernel, kernel-config, disk, installed-disk, client, m5, m5term
	Arch     string            `json:"arch,omitempty"`     // amd64 or arm64
	Size     int64             `json:"size"`               // of the file itself
	SHA256   string            `json:"sha256"`             // of the file itself
	Parts    []string          `json:"parts"`              // its assets, in order
	Settings map[string]string `json:"settings"`           // the settings it was built with that shape it
	Inputs   map[string]string `json:"inputs,omitempty"`   // what it was made from: name → sha256 or version
	Contents []string          `json:"contents,omitempty"` // for an installed disk: its functions
}

// Manifest describes one architecture's artifacts of a release.
type Manifest struct {
	Tag       string     `json:"tag"`
	Arch      string     `json:"arch"`
	Created   time.Time  `json:"created"`
	Tool      string     `json:"tool"` // vswarmu-mage's version that made it
	Artifacts []Artifact `json:"artifacts"`
}

// Artifact returns the manifest's artifact of a kind for arch.
func (m Manifest) Artifact(kind, arch string) (Artifact, bool) {
	for _, a := range m.Artifacts {
		if a.Kind == kind && (a.Arch == arch || a.Arch == "") {
			return a, true
		}
	}
	return Artifact{}, false
}

// ReadManifest reads a manifest file.
func ReadManifest(path string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// SettingsDiffer lists, in the user's words, the settings whose values
// differ between what an artifact was built with and what is asked for.
func SettingsDiffer(built, want map[string]string) []string {
	var out []string
	for k, v := range want {
		if b, ok := built[k]; !ok || b != v {
			out = append(out, fmt.Sprintf("%s=%s (the release's: %s)", k, v, orNone(built[k], ok)))
		}
	}
	sort.Strings(out)
	return out
}

func orNone(v string, ok bool) string {
	if !ok {
		return "not recorded"
	}
	if v == "" {
		return "empty"
	}
	return v
}

var sha256Hex = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)

// ParseSums reads a SHA256SUMS file: "<hex>  <name>" lines (a "*" before
// the name marks binary mode).
func ParseSums(text string) map[string]string {
	sums := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || !sha256Hex.MatchString(f[0]) {
			continue
		}
		if name := strings.TrimPrefix(f[1], "*"); name != "" {
			sums[name] = strings.ToLower(f[0])
		}
	}
	return sums
}
