//go:build ignore

// Zero-install entry point: `go run mage.go <target>` works like `mage
// <target>` without installing mage.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/magefile/mage/mage"
	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/compilelock"
)

func main() {
	compileUnderLock(os.Args[1:])
	os.Exit(mage.Main())
}

// compileUnderLock compiles the plugin into mage's cache (go build's own
// cache makes that quick when nothing changed) while holding a lock, then
// lets mage run that binary as it is. Mage writes a generated file into
// magefiles/ on every compile, so two mage commands started together (a
// run in one terminal, status or kill in another) would otherwise remove
// each other's file and one of them fail. The first compile on a new
// machine takes minutes, so it says so.
func compileUnderLock(args []string) {
	if !namesTarget(args) {
		return // -l, -h and friends do not compile
	}
	files, _ := filepath.Glob(filepath.Join("magefiles", "*.go"))
	goCmd := os.Getenv("MAGEFILE_GOCMD")
	if goCmd == "" {
		goCmd = "go"
	}
	exe, err := mage.ExeName(goCmd, mg.CacheDir(), files)
	if err != nil || len(files) == 0 {
		return
	}
	unlock, err := compilelock.Lock("magefiles", func() {
		fmt.Fprintln(os.Stderr, "mage: another mage command is compiling the plugin; waiting for it")
	})
	if err != nil {
		return
	}
	defer unlock()
	if !exists(exe) {
		fmt.Fprintln(
			os.Stderr,
			"mage: compiling the vswarmu-mage plugin (magefiles/ and the project) for the first time:"+
				" 1-3 minutes on 2 cores with a cold Go cache; later runs start in seconds",
		)
	}
	if err := os.MkdirAll(mg.CacheDir(), 0o755); err != nil {
		return
	}
	tmp, err := os.MkdirTemp(mg.CacheDir(), "compile-")
	if err != nil {
		return
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "mage")
	if mage.Invoke(mage.Invocation{CompileOut: out, GoCmd: goCmd, Stdout: os.Stderr, Stderr: os.Stderr}) != 0 {
		os.Exit(1) // mage said why
	}
	if os.Rename(out, exe) == nil {
		os.Setenv("MAGEFILE_HASHFAST", "1") // run it without compiling again
	}
}

// namesTarget reports whether args name a target (anything but flags).
func namesTarget(args []string) bool {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return true
		}
	}
	return false
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
