// Package gem5configs holds the gem5 Python configs vswarmu-mage runs and
// the gem5 stand-in (standin/gem5.opt) that tests and dry runs use instead
// of a real gem5. They are built into the tool, so a project that imports
// the targets gets them too.
package gem5configs

import (
	"bytes"
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

//go:embed *.py *.json all:standin patches
var files embed.FS

// dataFiles are the data the configs read beside their modules.
func dataFiles() []string { return []string{SystemsFile, TopologiesFile} }

// Config returns the path of run_sim.py and the files of the config
// (run_sim.py, the modules beside it and their data: systems.json,
// topologies.json): the project's own when it has them (then they are inputs
// of the simulate rules), else copies of the built-in ones written under
// dir.
func Config(projectDir, dir string) (path string, projectFiles []string, err error) {
	p := filepath.Join(projectDir, "gem5-configs", "run_sim.py")
	if _, err := os.Stat(p); err == nil {
		mods, err := filepath.Glob(filepath.Join(projectDir, "gem5-configs", "*.py"))
		for _, d := range dataFiles() {
			if j := filepath.Join(projectDir, "gem5-configs", d); err == nil && fileExists(j) {
				mods = append(mods, j)
			}
		}
		return p, mods, err
	}
	names, err := fs.Glob(files, "*.py")
	if err != nil {
		return "", nil, err
	}
	names = append(names, dataFiles()...)
	for _, n := range names {
		if _, err := materialize(dir, n); err != nil {
			return "", nil, err
		}
	}
	return filepath.Join(dir, "run_sim.py"), nil, nil
}

// Standin returns the path of the stand-in gem5.opt for gem5Arch (X86 or
// ARM: gem5-arm.opt), the project's or a built-in copy under dir with its
// library.
func Standin(projectDir, dir, gem5Arch string) (string, error) {
	name := "gem5.opt"
	if gem5Arch == "ARM" {
		name = "gem5-arm.opt"
	}
	p := filepath.Join(projectDir, "gem5-configs", "standin", name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	path, err := materialize(dir, "standin")
	return filepath.Join(path, name), err
}

// materialize writes the embedded file or tree name under dir, touching
// only files whose content changed (their times matter to the engine).
func materialize(dir, name string) (string, error) {
	err := fs.WalkDir(files, name, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, p)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, b) {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, ".opt") {
			mode = 0o755
		}
		return os.WriteFile(dst, b, mode)
	})
	return filepath.Join(dir, name), err
}

// fileExists reports whether p names an existing file.
func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
