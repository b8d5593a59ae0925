package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is what a setting's text means: it parses and checks the text and
// stores it in the setting's field.
type Kind interface {
	// set checks raw, stores it through field (a pointer into Config) and
	// returns the value as later defaults and `mage config` see it.
	set(raw, projectDir string, field any) (string, error)
	// Describe says in a few words what the setting accepts (README table).
	Describe() string
}

// Text is free text, optionally required to match a pattern.
type Text struct{ Match *regexp.Regexp }

func (k Text) set(raw, _ string, field any) (string, error) {
	if k.Match != nil && raw != "" && !k.Match.MatchString(raw) {
		return raw, fmt.Errorf("does not look like a valid value (want %s)", k.Match)
	}
	*field.(*string) = raw
	return raw, nil
}

// Describe says what the text accepts.
func (k Text) Describe() string {
	if k.Match != nil {
		return "text matching " + k.Match.String()
	}
	return "text"
}

// Choice is one of a fixed list of words.
type Choice []string

func (k Choice) set(raw, _ string, field any) (string, error) {
	if !slices.Contains(k, raw) {
		return raw, fmt.Errorf("allowed values are %s", strings.Join(k, ", "))
	}
	*field.(*string) = raw
	return raw, nil
}

// Describe lists the choices.
func (k Choice) Describe() string { return "one of " + strings.Join(k, ", ") }

// Path is a file or directory, made absolute against the project directory
// (~/ is the home directory). Exists "file" or "dir" requires it to exist;
// Keywords are words that stand for themselves where the path goes.
type Path struct {
	Exists   string
	Keywords []string
	// Dir: a directory, made when missing; an existing file is refused.
	Dir bool
}

func (k Path) set(raw, projectDir string, field any) (string, error) {
	if raw != "" && !slices.Contains(k.Keywords, raw) {
		raw = absolute(raw, projectDir)
		if err := k.check(raw); err != nil {
			return raw, err
		}
	}
	*field.(*string) = raw
	return raw, nil
}

// check requires an existing file or directory when Exists says so.
func (k Path) check(path string) error {
	if fi, err := os.Stat(path); k.Dir && err == nil && !fi.IsDir() {
		return fmt.Errorf("%s is a file: name a directory (one that does not exist yet is made)", path)
	}
	if k.Exists == "" {
		return nil
	}
	kind := map[string]string{"file": "file", "dir": "directory"}[k.Exists]
	fi, err := os.Stat(path)
	if err == nil && (k.Exists != "dir" || fi.IsDir()) {
		return nil
	}
	alternatives := "an existing " + kind
	if len(k.Keywords) > 0 {
		alternatives = strings.Join(k.Keywords, ", ") + " or " + alternatives
	}
	return fmt.Errorf("no such %s: set it to %s, or unset it for the default", kind, alternatives)
}

// Describe says what the path must be.
func (k Path) Describe() string {
	what := "path"
	if k.Exists != "" {
		what = map[string]string{"file": "existing file", "dir": "existing directory"}[k.Exists]
	}
	if len(k.Keywords) > 0 {
		return strings.Join(k.Keywords, ", ") + " or " + what
	}
	return what
}

// absolute resolves a relative or ~/ path against projectDir.
func absolute(path, projectDir string) string {
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(projectDir, path)
	}
	return filepath.Clean(path)
}

// Bool is 1/true/yes/on or 0/false/no/off.
type Bool struct{}

func (Bool) set(raw, _ string, field any) (string, error) {
	switch strings.ToLower(raw) {
	case "1", "true", "yes", "on":
		*field.(*bool) = true
	case "", "0", "false", "no", "off":
		*field.(*bool) = false
	default:
		return raw, errors.New("allowed values are 1/true/yes/on and 0/false/no/off")
	}
	return raw, nil
}

// Describe names the accepted words.
func (Bool) Describe() string { return "0 or 1" }

// Int is a whole number of at least Min.
type Int struct{ Min int }

func (k Int) set(raw, _ string, field any) (string, error) {
	n, err := strconv.Atoi(raw)
	if err != nil {
		return raw, errors.New("not a whole number")
	}
	if n < k.Min {
		return raw, fmt.Errorf("must be at least %d", k.Min)
	}
	*field.(*int) = n
	return raw, nil
}

// Describe gives the lower bound.
func (k Int) Describe() string { return fmt.Sprintf("whole number ≥ %d", k.Min) }

// Bytes is a size larger than zero (512M, 2G, 16GiB); Optional lets it be
// empty (0).
type Bytes struct{ Optional bool }

func (k Bytes) set(raw, _ string, field any) (string, error) {
	if raw == "" && k.Optional {
		*field.(*Size) = 0
		return raw, nil
	}
	s, err := ParseSize(raw)
	if err != nil {
		return raw, err
	}
	if s <= 0 {
		return raw, errors.New("must be larger than 0")
	}
	*field.(*Size) = s
	return raw, nil
}

// Describe gives examples.
func (Bytes) Describe() string { return "size (512M, 2G)" }

// Duration is a positive Go duration (90s, 20m, 6h).
type Duration struct{}

func (Duration) set(raw, _ string, field any) (string, error) {
	d, err := time.ParseDuration(raw)
	if err != nil {
		return raw, errors.New("not a duration like 90s, 20m or 6h")
	}
	if d <= 0 {
		return raw, errors.New("must be positive")
	}
	*field.(*time.Duration) = d
	return raw, nil
}

// Describe gives examples.
func (Duration) Describe() string { return "duration (90s, 20m, 6h)" }

// List is words separated by commas, spaces or newlines.
type List struct{}

func (List) set(raw, _ string, field any) (string, error) {
	words := strings.FieldsFunc(raw, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\t'
	})
	*field.(*[]string) = words
	return strings.Join(words, " "), nil
}

// Describe says how to separate the words.
func (List) Describe() string { return "list (commas or spaces)" }
