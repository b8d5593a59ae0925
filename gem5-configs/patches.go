package gem5configs

// The project's gem5 patches: commit-ready changes (git format-patch files)
// that gem5:patch applies to the checkout before gem5:build compiles it.
// The checkout's HEAD stays at GEM5_VERSION; the patches are changes in its
// work tree, recorded in a stamp that keeps each patch's text, so a later
// run can take exactly those changes back out (another patch set, another
// version, GEM5_PATCHES=none).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// NoPatches is the GEM5_PATCHES value that builds gem5 as published.
const NoPatches = "none"

// Patch is one patch file of a patch set.
type Patch struct {
	Name   string `json:"name"`   // the file's name ("0001-arch-x86-....patch")
	SHA256 string `json:"sha256"` // of its content
	Text   string `json:"text"`   // what was applied, to take it out again
}

// Short names the patch with the first 12 digits of its sha256.
func (p Patch) Short() string { return p.Name + "@" + p.SHA256[:12] }

// Subject is the patch's commit subject, without "[PATCH]".
func (p Patch) Subject() string {
	for _, line := range strings.Split(p.Text, "\n") {
		if s, ok := strings.CutPrefix(line, "Subject: "); ok {
			return strings.TrimSpace(strings.TrimPrefix(s, "[PATCH]"))
		}
	}
	return ""
}

// BuiltinPatches is the GEM5_PATCHES value for the project's own patches
// (gem5-configs/patches, built into vswarmu-mage).
const BuiltinPatches = "builtin"

// ReadPatches reads a patch set: the project's own (BuiltinPatches), none
// (NoPatches or ""), or a folder's *.patch files, in name order.
func ReadPatches(setting string) ([]Patch, error) {
	switch setting {
	case "", NoPatches:
		return nil, nil
	case BuiltinPatches:
		return readPatchFS(files, "patches", setting)
	}
	return readPatchFS(os.DirFS(setting), ".", setting)
}

// readPatchFS reads the *.patch files of dir in fsys.
func readPatchFS(fsys fs.FS, dir, setting string) ([]Patch, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.patch"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("GEM5_PATCHES=%s holds no *.patch file: name a folder of git format-patch files, builtin or none", setting)
	}
	slices.Sort(names)
	var set []Patch
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("GEM5_PATCHES: %w", err)
		}
		sum := sha256.Sum256(b)
		set = append(set, Patch{Name: path.Base(n), SHA256: hex.EncodeToString(sum[:]), Text: string(b)})
	}
	return set, nil
}

// DescribePatches is a patch set in one line for a rule's parameters and a
// run's provenance: each patch by name and hash, or "none".
func DescribePatches(set []Patch) string {
	if len(set) == 0 {
		return NoPatches
	}
	var names []string
	for _, p := range set {
		names = append(names, p.Short())
	}
	return strings.Join(names, " ")
}

// PatchFiles are the patch set's files, for a rule's inputs.
func (b Build) PatchFiles() []string {
	if b.Patches == "" || b.Patches == NoPatches || b.Patches == BuiltinPatches {
		return nil // the built-in set's content is in the rules' parameters
	}
	return []string{filepath.Join(b.Patches, "*.patch")}
}

// PatchStamp records the patches applied to the checkout (gem5:patch's
// output), inside .git where no build input and no git status sees it.
func (b Build) PatchStamp() string { return filepath.Join(b.Dir, ".git", "vswarmu-patches.json") }

// AppliedPatches reads PatchStamp: the patches in the work tree now.
func (b Build) AppliedPatches() ([]Patch, error) {
	raw, err := os.ReadFile(b.PatchStamp())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var set []Patch
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("%s: %w (remove it and check out GEM5_DIR again)", b.PatchStamp(), err)
	}
	return set, nil
}

// ApplyPatches takes the patches applied earlier out of the work tree and
// applies GEM5_PATCHES' set, each checked first with git apply --check, and
// records them in PatchStamp.
func (b Build) ApplyPatches(ctx context.Context, j job.Job) error {
	set, err := ReadPatches(b.Patches)
	if err != nil {
		return err
	}
	if err := b.RemovePatches(ctx, j); err != nil {
		return err
	}
	var done []Patch
	for _, p := range set {
		if b.gitApply(ctx, j, p, "--check", "--reverse") == nil {
			// Applied already (by hand, or by a run whose stamp was lost):
			// recorded, not applied twice.
			j.Logf("%s is applied already", p.Name)
			done = append(done, p)
			if err := b.writeStamp(done); err != nil {
				return err
			}
			continue
		}
		if err := b.gitApply(ctx, j, p, "--check"); err != nil {
			return fmt.Errorf(
				"GEM5_PATCHES: %s does not apply to GEM5_VERSION %s in %s (%w): "+
					"update the patch for this version, or set GEM5_PATCHES=none to build gem5 as published",
				p.Name, b.Version, b.Dir, err)
		}
		j.Progress("applying %s", p.Name)
		if err := b.gitApply(ctx, j, p); err != nil {
			return fmt.Errorf("GEM5_PATCHES: apply %s: %w", p.Name, err)
		}
		done = append(done, p)
		if err := b.writeStamp(done); err != nil {
			return err
		}
	}
	return b.writeStamp(done)
}

// RemovePatches reverses the patches PatchStamp records, last first, and
// leaves an empty stamp.
func (b Build) RemovePatches(ctx context.Context, j job.Job) error {
	applied, err := b.AppliedPatches()
	if err != nil {
		return err
	}
	for i := len(applied) - 1; i >= 0; i-- {
		p := applied[i]
		j.Progress("taking out %s", p.Name)
		if err := b.gitApply(ctx, j, p, "--reverse"); err != nil {
			return fmt.Errorf(
				"take gem5 patch %s out of %s (its files were changed since it was applied?): %w; "+
					"restore them with git checkout and remove %s",
				p.Name, b.Dir, err, b.PatchStamp())
		}
		if err := b.writeStamp(applied[:i]); err != nil {
			return err
		}
	}
	return nil
}

// gitApply runs git apply in the checkout with the patch's text.
func (b Build) gitApply(ctx context.Context, j job.Job, p Patch, flags ...string) error {
	c := j.Command("git", append([]string{"-C", b.Dir, "apply"}, append(flags, "-")...)...)
	c.Stdin = strings.NewReader(p.Text)
	return j.RunCmd(ctx, c)
}

// writeStamp records set as the patches in the work tree.
func (b Build) writeStamp(set []Patch) error {
	if set == nil {
		set = []Patch{}
	}
	return writeJSONAtomically(b.PatchStamp(), set)
}

// PatchesStale says why the work tree does not hold GEM5_PATCHES' set ("" when it does).
func (b Build) PatchesStale(context.Context) (string, error) {
	want, err := ReadPatches(b.Patches)
	if err != nil {
		return "", err
	}
	have, err := b.AppliedPatches()
	if err != nil {
		return "", err
	}
	if DescribePatches(have) != DescribePatches(want) {
		return fmt.Sprintf("the checkout holds patches %s, GEM5_PATCHES has %s",
			DescribePatches(have), DescribePatches(want)), nil
	}
	return "", nil
}
