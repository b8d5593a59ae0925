package kernel

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/bitfield/script"
)

// Config is a parsed .config or fragment: symbol (without CONFIG_) →
// value. "# CONFIG_X is not set" is "n"; strings keep their quotes.
type Config map[string]string

var (
	setLine   = regexp.MustCompile(`^CONFIG_([A-Za-z0-9_]+)=(.*)$`)
	unsetLine = regexp.MustCompile(`^# CONFIG_([A-Za-z0-9_]+) is not set$`)
)

// ParseError is a line of a config file that is neither an option, an
// unset option, a comment nor blank.
type ParseError struct {
	File string
	Line int
	Text string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: not a kernel config line: %q", e.File, e.Line, e.Text)
}

// ParseConfig reads a .config or a fragment. name is used in errors.
func ParseConfig(r io.Reader, name string) (Config, error) {
	c := Config{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if m := setLine.FindStringSubmatch(line); m != nil {
			c[m[1]] = m[2]
			continue
		}
		if m := unsetLine.FindStringSubmatch(line); m != nil {
			c[m[1]] = "n"
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		return c, &ParseError{File: name, Line: n, Text: line}
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// ReadConfig parses the config file at path.
func ReadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kernel config %s: %w", path, err)
	}
	defer f.Close()
	return ParseConfig(f, path)
}

// Get returns a symbol's value, "n" when absent.
func (c Config) Get(sym string) string {
	if v, ok := c[sym]; ok {
		return v
	}
	return "n"
}

// Symbols returns the sorted symbol names of c.
func (c Config) Symbols() []string { return slices.Sorted(maps.Keys(c)) }

var symbolDef = regexp.MustCompile(`^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$`)

// KconfigSymbols returns every symbol the kernel source at src defines
// for the given kernel architecture directory (arch/<archDir>): the
// Kconfig files of other architectures are left out, so an x86-only option
// does not exist for arm64.
func KconfigSymbols(src, archDir string) (map[string]bool, error) {
	archPrefix := filepath.Join(src, "arch") + string(filepath.Separator)
	own := filepath.Join(src, "arch", archDir) + string(filepath.Separator)
	files, err := script.FindFiles(src).MatchRegexp(regexp.MustCompile(`/Kconfig[^/]*$`)).
		FilterLine(func(p string) string {
			if strings.HasPrefix(p, archPrefix) && !strings.HasPrefix(p, own) {
				return ""
			}
			return p
		}).Slice()
	if err != nil {
		return nil, fmt.Errorf("kernel source %s: %w", src, err)
	}
	syms := map[string]bool{}
	for _, f := range files {
		if f == "" {
			continue
		}
		defs, err := script.File(f).MatchRegexp(symbolDef).ReplaceRegexp(symbolDef, "$1").Slice()
		if err != nil {
			return nil, fmt.Errorf("kernel source %s: %w", f, err)
		}
		for _, d := range defs {
			syms[d] = true
		}
	}
	if len(syms) == 0 {
		return nil, fmt.Errorf("kernel source %s: no Kconfig symbols found (not a kernel tree?)", src)
	}
	return syms, nil
}

// MergeResult says how a fragment fared in a final .config.
type MergeResult struct {
	Lost    []string // options the kernel has but the final config does not set as asked
	Skipped []string // options this kernel version or architecture does not have
}

// CheckMerge compares the fragment with the final config. An option the
// kernel defines but the final config does not hold as asked was dropped
// by olddefconfig (its dependencies are off): that is an error for the
// caller to report. Options the kernel does not define are skipped.
func CheckMerge(fragment, final Config, defined map[string]bool) MergeResult {
	var r MergeResult
	for _, sym := range fragment.Symbols() {
		want, got := fragment[sym], final.Get(sym)
		if want == got {
			continue
		}
		if !defined[sym] {
			r.Skipped = append(r.Skipped, "CONFIG_"+sym)
			continue
		}
		r.Lost = append(r.Lost, fmt.Sprintf("CONFIG_%s=%s (final config: %s)", sym, want, describeValue(got)))
	}
	return r
}

func describeValue(v string) string {
	if v == "n" {
		return "not set"
	}
	return v
}

var makeVar = regexp.MustCompile(`^(VERSION|PATCHLEVEL|SUBLEVEL)\s*=\s*(\d+)\s*$`)

// SourceVersion reads the kernel version from the top-level Makefile of
// the source at src (e.g. "6.1.192").
func SourceVersion(src string) (string, error) {
	lines, err := script.File(filepath.Join(src, "Makefile")).First(10).MatchRegexp(makeVar).Slice()
	if err != nil {
		return "", fmt.Errorf("kernel source %s: %w", src, err)
	}
	v := map[string]string{}
	for _, l := range lines {
		m := makeVar.FindStringSubmatch(l)
		v[m[1]] = m[2]
	}
	if v["VERSION"] == "" || v["PATCHLEVEL"] == "" {
		return "", fmt.Errorf("kernel source %s: Makefile has no VERSION/PATCHLEVEL (not a kernel tree?)", src)
	}
	ver := v["VERSION"] + "." + v["PATCHLEVEL"]
	if s := v["SUBLEVEL"]; s != "" && s != "0" {
		ver += "." + s
	}
	return ver, nil
}
