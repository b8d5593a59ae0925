package engine

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// Reads is what a rule's last successful run read, as the build log
// remembers it: every dependency's output and every plain input of its own
// (a file, or a directory by its newest entry), each with the modification
// time (Unix nanoseconds, -1 when missing) it had when the run finished. A
// rule whose inputs are now other files, or the same files with other
// times, is out of date even when nothing is newer than its outputs: a
// setting that names another, older file (KERNEL=...) reruns what reads it.
type Reads map[string]int64

// readsOf looks up what r reads now, through cache.
func readsOf(cache *statCache, r *Rule) (Reads, error) {
	out := Reads{}
	for _, d := range r.Deps {
		for _, p := range d.Outputs {
			s, err := cache.stat(filepath.Clean(p))
			if err != nil {
				return nil, fmt.Errorf("rule %s: input %s: %w", r.Target, p, err)
			}
			out[s.path] = stampTime(s)
		}
	}
	in := splitInputs(r.Inputs)
	for _, p := range in.include {
		if hasMeta(p) || in.excluded(filepath.Clean(p)) {
			continue // a glob's matches are judged by time alone
		}
		n, err := cache.newestPath(filepath.Clean(p), in)
		if err != nil {
			return nil, fmt.Errorf("rule %s: input %s: %w", r.Target, p, err)
		}
		out[filepath.Clean(p)] = stampTime(n.stamp)
	}
	return out, nil
}

func stampTime(s stamp) int64 {
	if !s.exists {
		return -1
	}
	return s.mod.UnixNano()
}

// encode is the reads as the build log's done line keeps them.
func (r Reads) encode() string {
	if r == nil {
		return "{}"
	}
	b, _ := json.Marshal(r) // a map of numbers always encodes
	return string(b)
}

// decodeReads reads a done line's reads field; nil when it has none (a
// log written before reads were kept: nothing to compare).
func decodeReads(s string) Reads {
	var r Reads
	if json.Unmarshal([]byte(s), &r) != nil || len(r) == 0 {
		return nil
	}
	return r
}

// changes says how cur differs from what the last run read, in words:
// "reads B instead of A", "input X changed since the last run (...)".
func (r Reads) changes(cur Reads) []string {
	var added, removed, changed []string
	for p, t := range cur {
		old, ok := r[p]
		switch {
		case !ok:
			added = append(added, p)
		case old != t:
			changed = append(
				changed,
				fmt.Sprintf("input %s changed since the last run (now %s, then %s)", p, readTime(t), readTime(old)),
			)
		}
	}
	for p := range r {
		if _, ok := cur[p]; !ok {
			removed = append(removed, p)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	sort.Strings(changed)
	var out []string
	if len(added) == 1 && len(removed) == 1 {
		out = append(out, fmt.Sprintf("reads %s instead of %s", added[0], removed[0]))
	} else {
		if len(added) > 0 {
			out = append(out, "reads "+strings.Join(added, ", ")+", which its last run did not")
		}
		if len(removed) > 0 {
			out = append(out, "no longer reads "+strings.Join(removed, ", "))
		}
	}
	return append(out, changed...)
}

func readTime(ns int64) string {
	if ns < 0 {
		return "missing"
	}
	return "dated " + time.Unix(0, ns).Format(stampLayout)
}

// Paths are the paths the reads name, sorted.
func (r Reads) Paths() []string {
	out := make([]string, 0, len(r))
	for p := range r {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
