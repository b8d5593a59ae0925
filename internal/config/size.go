package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Size is a number of bytes written as 512M, 2G, 16GiB or 1048576.
type Size int64

// MiB returns the size in whole mebibytes.
func (s Size) MiB() int64 { return int64(s) >> 20 }

// String renders the size the way qemu and gem5 read it (2048M, 2G).
func (s Size) String() string {
	switch {
	case s > 0 && s%(1<<30) == 0:
		return fmt.Sprintf("%dG", s>>30)
	case s > 0 && s%(1<<20) == 0:
		return fmt.Sprintf("%dM", s>>20)
	}
	return strconv.FormatInt(int64(s), 10)
}

var sizeRE = regexp.MustCompile(`^(\d+)\s*([KMGT]?)(I?B)?$`)

// ParseSize reads 512M, 2G, 16GiB, 2GB (binary units, as qemu-img does) or
// a plain number of bytes.
func ParseSize(s string) (Size, error) {
	m := sizeRE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size like 512M, 2G or 16GiB", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	shift := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[m[2]]
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return Size(n << shift), nil
}
