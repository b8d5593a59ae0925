//go:build ignore

// Zero-install entry point: `go run mage.go <target>` works like `mage
// <target>` without installing mage.
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"

	"github.com/magefile/mage/mage"
	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/compilelock"
	"github.com/vswarmu/vswarmu-mage/internal/suggest"
)

func main() {
	compileUnderLock(os.Args[1:])
	var head headWriter // mage's own complaint comes first on stderr
	code := mage.ParseAndRun(os.Stdout, io.MultiWriter(os.Stderr, &head), os.Stdin, os.Args[1:])
	if m := unknownTarget.FindStringSubmatch(string(head.b)); code == 2 && m != nil {
		suggestTargets(m[1])
	}
	os.Exit(code)
}

// unknownTarget is what the compiled plugin says of a target it lacks.
var unknownTarget = regexp.MustCompile(`Unknown target specified: "([^"]*)"`)

// suggestTargets names the targets nearest an unknown one, from `mage -l`.
func suggestTargets(name string) {
	var list bytes.Buffer
	if mage.ParseAndRun(&list, io.Discard, nil, []string{"-l"}) != 0 {
		return
	}
	var targets []string
	for _, line := range strings.Split(list.String(), "\n") {
		if f := strings.Fields(line); strings.HasPrefix(line, "  ") && len(f) > 0 {
			targets = append(targets, strings.TrimSuffix(f[0], "*"))
		}
	}
	if hint := suggest.Hint(name, targets); hint != "" {
		fmt.Fprintf(os.Stderr, "mage: no target %q%s (go run mage.go -l lists every target)\n", name, hint)
		return
	}
	fmt.Fprintf(os.Stderr, "mage: no target %q: go run mage.go -l lists every target\n", name)
}

// headWriter keeps the first 4 kB written to it.
type headWriter struct{ b []byte }

func (h *headWriter) Write(p []byte) (int, error) {
	if room := 4096 - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
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
	// A failed or interrupted compile leaves nothing: neither its
	// temporary directory nor the main file mage writes into magefiles/
	// (os.Exit skips deferred removals).
	cleanup := func() {
		os.RemoveAll(tmp)
		os.Remove(filepath.Join("magefiles", "mage_output_file.go"))
	}
	stop := cleanUpOnSignal(cleanup)
	defer stop()
	out := filepath.Join(tmp, "mage")
	if mage.Invoke(mage.Invocation{CompileOut: out, GoCmd: goCmd, Stdout: os.Stderr, Stderr: os.Stderr}) != 0 {
		cleanup()
		os.Exit(1) // mage said why
	}
	if os.Rename(out, exe) == nil {
		os.Setenv("MAGEFILE_HASHFAST", "1") // run it without compiling again
	}
}

// cleanUpOnSignal runs cleanup and exits with status 130 on SIGINT or
// SIGTERM until the returned function is called.
func cleanUpOnSignal(cleanup func()) (stop func()) {
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
			cleanup()
			fmt.Fprintln(os.Stderr, "mage: interrupted while compiling the plugin; nothing of the compile is left behind")
			os.Exit(130)
		case <-done:
		}
	}()
	return func() { signal.Stop(sigs); close(done) }
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
