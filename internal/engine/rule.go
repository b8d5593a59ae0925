package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Rule is one step of a build. A rule is out of date when an output is
// missing, an input is newer than its oldest output, its parameters changed
// since its last successful run, its last run did not finish, or Check says
// so. Outputs of dependencies count as inputs.
type Rule struct {
	// Target is the rule's name: the Mage target users type
	// ("kernel:build", "simulate:fn:fibonacci-go").
	Target string
	// Doc says in one line what the rule makes.
	Doc string
	// Outputs are the files or directories the recipe makes. A rule without
	// outputs and without Check runs every time it is asked for.
	Outputs []string
	// Inputs are files, directories (every file below them; .git is skipped)
	// and globs ("*", "?", "[...]", "**" for any depth). A leading "!"
	// excludes what the rest of the pattern matches.
	Inputs []string
	// Deps are rules that must be up to date before this one.
	Deps []*Rule
	// Params are the values that shape the result (versions, flags, config
	// text). A change reruns the rule and everything downstream.
	Params Params
	// Check, when set, is asked after the other checks; a non-empty reason
	// makes the rule stale (e.g. "checked-out commit is not v24.0.0.1").
	Check func(ctx context.Context) (reason string, err error)
	// Recipe makes the outputs. Non-InPlace rules write each output to
	// job.Out(output); the engine renames them into place on success. A
	// rule without a recipe is a leaf: its outputs are files someone else
	// made (a file the user gave), which must exist; it never runs.
	Recipe func(ctx context.Context, job *Job) error
	// InPlace says the recipe changes its outputs where they are (a disk
	// image, a source checkout). An interrupted run is still seen as stale
	// through the build log.
	InPlace bool
	// Tree is the directory an in-place rule makes or changes as a whole
	// (a source checkout whose output is .git/HEAD): an input inside it
	// that does not exist yet counts as made by this rule, so dependents
	// can name files of the tree before it exists.
	Tree string
	// Slots is how many of the JOBS slots the recipe holds while it runs
	// (0 means 1; more than JOBS means all of them). Negative: no slot, for
	// recipes that only write small files or wait for work done elsewhere
	// (a cluster job).
	Slots int
	// Preflight, when set, checks what can be known before any recipe of
	// a build runs: a server the recipe downloads from is reachable, a
	// file given for a leaf is of the right kind. Graph.Preflight asks it
	// of every rule that will run and of every leaf such a rule reads.
	Preflight func(ctx context.Context) error
	// Space is about how many bytes the recipe writes where its first
	// output goes; Graph.Preflight adds up the rules that will run per
	// file system and compares the sum with the free space there.
	Space int64

	g *Graph
}

// Leaf reports whether the rule is a leaf: files that must exist, with no
// recipe to make them.
func (r *Rule) Leaf() bool { return r.Recipe == nil }

// Params are named values that shape a rule's result.
type Params map[string]string

// ruleFingerprint hashes everything that defines what a rule makes: its
// outputs, its input patterns and its parameters.
func (r *Rule) fingerprint() string {
	h := sha256.New()
	var num [20]byte
	write := func(kind string, vals ...string) {
		for _, v := range vals {
			h.Write([]byte(kind))
			h.Write(strconv.AppendInt(num[:0], int64(len(v)), 10))
			h.Write([]byte{':'})
			h.Write([]byte(v))
			h.Write([]byte{'\n'})
		}
	}
	write("rule", r.Target)
	write("out", r.Outputs...)
	write("in", r.Inputs...)
	keys := r.Params.keys()
	for _, k := range keys {
		write("param", k, r.Params[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

func (p Params) keys() []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// summary returns the parameters as the build log keeps them: long values
// are replaced by a short hash, so `mage why` can still say which changed.
func (p Params) summary() map[string]string {
	out := make(map[string]string, len(p))
	for k, v := range p {
		if len(v) > 4096 || strings.ContainsAny(v, "\n\t") {
			v = hashedPrefix + digest(v)
		}
		out[k] = v
	}
	return out
}

// hashedPrefix marks a parameter kept in the build log as a digest (texts:
// scripts, compose files).
const hashedPrefix = "sha256:"

func digest(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:6])
}

func encodeParams(m map[string]string) string {
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// diffParams describes how the recorded parameters differ from the current
// ones, for staleness reasons ("KVERSION v5.4.84 → v6.1.0").
func diffParams(old, cur map[string]string) []string {
	var out []string
	for _, k := range changedKeys(old, cur) {
		o, had := old[k]
		c, has := cur[k]
		switch {
		case !had:
			out = append(out, fmt.Sprintf("%s added (%s)", k, c))
		case !has:
			out = append(out, fmt.Sprintf("%s removed (was %s)", k, quoteEmpty(o)))
		default:
			out = append(out, changed(k, o, c))
		}
	}
	return out
}

// changedKeys are the keys whose values differ between old and cur: the
// current ones (added or changed) in order, then the removed ones.
func changedKeys(old, cur map[string]string) []string {
	var out []string
	for _, k := range Params(cur).keys() {
		if o, ok := old[k]; !ok || o != cur[k] {
			out = append(out, k)
		}
	}
	for _, k := range Params(old).keys() {
		if _, ok := cur[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// changed says how one parameter changed, in the words of its values: a
// text kept as a digest "changed", a list of words gained and lost words,
// anything else old → new.
func changed(k, old, cur string) string {
	if strings.HasPrefix(old, hashedPrefix) || strings.HasPrefix(cur, hashedPrefix) {
		return k + " changed"
	}
	ow, cw := strings.Fields(old), strings.Fields(cur)
	if len(ow) < 2 && len(cw) < 2 {
		return fmt.Sprintf("%s %s → %s", k, quoteEmpty(old), quoteEmpty(cur))
	}
	added, removed := wordDiff(ow, cw), wordDiff(cw, ow)
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "added "+strings.Join(added, " "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+strings.Join(removed, " "))
	}
	if len(parts) == 0 {
		return k + " reordered"
	}
	return k + ": " + strings.Join(parts, ", ")
}

// wordDiff returns the words of b that a lacks.
func wordDiff(a, b []string) []string {
	have := map[string]bool{}
	for _, w := range a {
		have[w] = true
	}
	return slices.DeleteFunc(slices.Clone(b), func(w string) bool { return have[w] })
}

func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// Name returns the rule's target name; with ID and Run it makes a rule an
// mg.Fn.
func (r *Rule) Name() string { return "vswarmu-rule " + r.Target }

// ID returns "": the name alone identifies a rule for mg's run-once map.
func (r *Rule) ID() string { return "" }

// Run builds the rule and what it depends on, once per invocation, so a
// rule can be passed to mg.Deps and mg.CtxDeps.
func (r *Rule) Run(ctx context.Context) error {
	if r.g == nil {
		return fmt.Errorf("rule %s is not part of a graph", r.Target)
	}
	return r.g.Build(ctx, r)
}

// String returns the rule's target name.
func (r *Rule) String() string { return r.Target }

// record is the rule's key in the build log: its target and a digest of
// its outputs, so that a target making different outputs by a setting
// (the machine a checkpoint is of) keeps a record per setting, and going
// back to a setting finds its outputs up to date.
func (r *Rule) record() string {
	if len(r.Outputs) == 0 {
		return r.Target
	}
	return r.Target + outputsMark + digest(strings.Join(r.Outputs, "\n"))
}

// outputsMark separates a record's target from its outputs' digest.
const outputsMark = " @"
