//go:build ignore

// Zero-install entry point: `go run mage.go <target>` works like `mage
// <target>` without installing mage.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/magefile/mage/mage"
	"github.com/magefile/mage/mg"
)

func main() {
	sayWhenCompiling()
	os.Exit(mage.Main())
}

// sayWhenCompiling tells, before mage compiles the plugin for the first
// time (or after magefiles/ changed), that it is doing so: on a new
// machine that takes minutes with nothing else on the screen.
func sayWhenCompiling() {
	files, _ := filepath.Glob(filepath.Join("magefiles", "*.go"))
	if len(files) == 0 {
		return
	}
	exe, err := mage.ExeName("go", mg.CacheDir(), files)
	if err != nil {
		return
	}
	if _, err := os.Stat(exe); os.IsNotExist(err) {
		fmt.Fprintln(os.Stderr, "mage: compiling the vswarmu-mage plugin (magefiles/ and the project) for the first time:"+
			" 1-3 minutes on 2 cores with a cold Go cache; later runs start in seconds")
	}
}
