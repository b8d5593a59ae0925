package config

import (
	"fmt"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/suggest"
)

// Misspelled names the environment variables that look like a setting
// but are none (FUNCTION for FUNCTIONS, SYSTM for SYSTEM), each with the
// setting it is nearest, as warnings: such a variable changes nothing,
// which a user who meant the setting should hear before any work. environ
// is os.Environ()'s form (NAME=value).
func Misspelled(environ []string) []string {
	names := map[string]bool{}
	var all []string
	for _, s := range Settings() {
		names[s.Name] = true
		all = append(all, s.Name)
		if s.Legacy != "" {
			names[s.Legacy] = true
		}
	}
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if names[name] || !settingLike(name) {
			continue
		}
		if near := nearSetting(name, all); near != "" {
			out = append(out, fmt.Sprintf("%s is not a setting and changes nothing; did you mean %s? (mage config lists them all)", name, near))
		}
	}
	return out
}

// settingLike: upper case, digits and underscores, as the settings are.
func settingLike(name string) bool {
	if len(name) < 3 {
		return false
	}
	for _, r := range name {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// nearSetting is the setting name within a small edit distance of name:
// one edit for short names (common variables such as PATH or HOME are
// more than one edit from any setting), two for longer ones.
func nearSetting(name string, settings []string) string {
	near := suggest.Closest(name, settings)
	if near == "" {
		return ""
	}
	limit := 1
	if len(name) > 6 {
		limit = 2
	}
	if suggest.Distance(name, near) > limit {
		return ""
	}
	return near
}
