// Package sweeps reads design-space sweep files (sweeps/<name>.yaml): a
// matrix of gem5 parameters, crossed with functions, with excluded
// combinations and a baseline point. A file is checked whole before any
// work, with errors that name its line and field; every point becomes the
// run_sim.py arguments of one evaluation per function, restoring that
// function's one setup checkpoint.
//
//	functions: [fibonacci-go, aes-go]   # optional: the function list
//	matrix:
//	  system: [simple, skylake]
//	  l2_size: [256kB, 1MB]
//	exclude:
//	  - {system: skylake, l2_size: 256kB}
//	baseline: {system: simple, l2_size: 256kB}   # optional: the first point
package sweeps

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Sweep is a checked sweep file.
type Sweep struct {
	Name      string // the file's name without .yaml
	Path      string
	Functions []string // empty: the function list
	Axes      []Axis   // in the file's order
	Points    []Point  // every combination of the axes but the excluded ones
	Baseline  Point
}

// Axis is one parameter of the matrix and its values.
type Axis struct {
	Param  Param
	Values []string
}

// Point is one combination: a value per axis, in the axes' order.
type Point []Setting

// Setting is one parameter's value.
type Setting struct{ Param, Value string }

// Name is the point's name in rules, directories and reports:
// "system=skylake,l2_size=1MB".
func (p Point) Name() string {
	parts := make([]string, len(p))
	for i, s := range p {
		parts[i] = s.Param + "=" + s.Value
	}
	return strings.Join(parts, ",")
}

// Get returns the point's value of a parameter.
func (p Point) Get(name string) (string, bool) {
	for _, s := range p {
		if s.Param == name {
			return s.Value, true
		}
	}
	return "", false
}

// ArgOf is run_sim.py's option for a parameter ("" for none).
func ArgOf(name string) string {
	prm, _ := param(name)
	return prm.Arg
}

// fileError is an error at a line of a sweep file.
func fileError(path string, n *yaml.Node, field, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return fmt.Errorf("%s:%d: %s: %s", path, line, field, fmt.Sprintf(format, args...))
}

// Load reads and checks the sweep file at path.
func Load(path string, k Knowledge) (*Sweep, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sweep %s: %w", path, err)
	}
	return Parse(path, b, k)
}

// Parse checks a sweep file's text.
func Parse(path string, text []byte, k Knowledge) (*Sweep, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a sweep file is a mapping with matrix: (and functions:, exclude:, baseline:)", path)
	}
	s := &Sweep{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Path: path}
	var excludes, baseline *yaml.Node
	var errs []error
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		switch key.Value {
		case "functions":
			errs = append(errs, s.readFunctions(val, k))
		case "matrix":
			errs = append(errs, s.readMatrix(val, k))
		case "exclude":
			excludes = val
		case "baseline":
			baseline = val
		default:
			errs = append(
				errs,
				fileError(path, key, key.Value, "not a field of a sweep (functions, matrix, exclude, baseline)"),
			)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(s.Axes) == 0 {
		return nil, fileError(
			path,
			root,
			"matrix",
			"missing: name at least one parameter and its values (%s)",
			paramNames(),
		)
	}
	if err := s.expand(excludes, k); err != nil {
		return nil, err
	}
	return s, s.readBaseline(baseline)
}

// strings reads a sequence of scalars.
func scalars(path string, n *yaml.Node, field string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, fileError(path, n, field, "a list ([a, b]) is expected")
	}
	var out []string
	for _, v := range n.Content {
		if v.Kind != yaml.ScalarNode || v.Value == "" {
			return nil, fileError(path, v, field, "a list of values is expected")
		}
		if slices.Contains(out, v.Value) {
			return nil, fileError(path, v, field, "%s is listed twice", v.Value)
		}
		out = append(out, v.Value)
	}
	return out, nil
}

func (s *Sweep) readFunctions(n *yaml.Node, k Knowledge) error {
	fns, err := scalars(s.Path, n, "functions")
	if err != nil {
		return err
	}
	for i, fn := range fns {
		if !slices.Contains(k.Functions, fn) {
			return fileError(
				s.Path,
				n.Content[i],
				"functions",
				"%s is not in the function list (FUNCTIONS or functions/functions.list): the installed disk holds only those",
				fn,
			)
		}
	}
	s.Functions = fns
	return nil
}

func (s *Sweep) readMatrix(n *yaml.Node, k Knowledge) error {
	if n.Kind != yaml.MappingNode {
		return fileError(s.Path, n, "matrix", "a mapping of parameters to lists of values is expected")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		field := "matrix." + key.Value
		if why, ok := notSweepable[key.Value]; ok {
			return fileError(s.Path, key, field, "cannot be swept from one checkpoint: %s", why)
		}
		prm, ok := param(key.Value)
		if !ok {
			return fileError(s.Path, key, field, "not a parameter a sweep varies (%s)", paramNames())
		}
		values, err := scalars(s.Path, val, field)
		if err != nil {
			return err
		}
		for j, v := range values {
			if why := prm.check(v, k); why != "" {
				return fileError(s.Path, val.Content[j], field, "%q: %s", v, why)
			}
		}
		s.Axes = append(s.Axes, Axis{Param: prm, Values: values})
	}
	return nil
}

// expand makes the points: every combination of the axes, in order, but
// those an exclude entry matches; each is checked as a whole.
func (s *Sweep) expand(excludes *yaml.Node, k Knowledge) error {
	rules, err := s.readExcludes(excludes)
	if err != nil {
		return err
	}
	points := []Point{nil}
	for _, a := range s.Axes {
		var next []Point
		for _, p := range points {
			for _, v := range a.Values {
				next = append(next, append(slices.Clone(p), Setting{a.Param.Name, v}))
			}
		}
		points = next
	}
	for _, p := range points {
		if slices.ContainsFunc(rules, func(r Point) bool { return matches(p, r) }) {
			continue
		}
		if why := pointProblem(p, k); why != "" {
			return fmt.Errorf("%s: point %s: %s (exclude it, or change the matrix)", s.Path, p.Name(), why)
		}
		s.Points = append(s.Points, p)
	}
	if len(s.Points) == 0 {
		return fmt.Errorf("%s: exclude removes every point of the matrix", s.Path)
	}
	return nil
}

// matches reports whether p has every value of rule.
func matches(p, rule Point) bool {
	for _, r := range rule {
		if v, _ := p.Get(r.Param); v != r.Value {
			return false
		}
	}
	return true
}

// readExcludes reads exclude: a list of partial points, each value one of
// the matrix's.
func (s *Sweep) readExcludes(n *yaml.Node) ([]Point, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fileError(s.Path, n, "exclude", "a list of {parameter: value} entries is expected")
	}
	var out []Point
	for i, e := range n.Content {
		p, err := s.partialPoint(e, fmt.Sprintf("exclude[%d]", i))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// partialPoint reads {parameter: value, ...} whose values are the matrix's.
func (s *Sweep) partialPoint(n *yaml.Node, field string) (Point, error) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return nil, fileError(s.Path, n, field, "a mapping {parameter: value, ...} is expected")
	}
	var p Point
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		j := slices.IndexFunc(s.Axes, func(a Axis) bool { return a.Param.Name == key.Value })
		if j < 0 {
			return nil, fileError(s.Path, key, field+"."+key.Value, "not a parameter of the matrix")
		}
		if !slices.Contains(s.Axes[j].Values, val.Value) {
			return nil, fileError(
				s.Path,
				val,
				field+"."+key.Value,
				"%q is not one of the matrix's values (%s)",
				val.Value,
				strings.Join(s.Axes[j].Values, ", "),
			)
		}
		p = append(p, Setting{key.Value, val.Value})
	}
	return p, nil
}

// readBaseline reads baseline: the point the others are compared with
// (default: the first).
func (s *Sweep) readBaseline(n *yaml.Node) error {
	s.Baseline = s.Points[0]
	if n == nil {
		return nil
	}
	want, err := s.partialPoint(n, "baseline")
	if err != nil {
		return err
	}
	for _, p := range s.Points {
		if len(want) == len(p) && matches(p, want) {
			s.Baseline = p
			return nil
		}
	}
	return fileError(
		s.Path,
		n,
		"baseline",
		"names no point of the sweep: give a value for every parameter of the matrix, not an excluded combination",
	)
}

// pointProblem checks what only a whole point tells: a level its system
// lacks, a geometry gem5 rejects, more invocations than the checkpoint's
// client runs.
func pointProblem(p Point, k Knowledge) string {
	system, ok := p.Get("system")
	if !ok {
		system = k.System
	}
	levels := k.Systems[system].Levels
	for _, l := range []string{"l1i", "l1d", "l2", "l3"} {
		size, hasSize := p.Get(l + "_size")
		assoc, hasAssoc := p.Get(l + "_assoc")
		if (hasSize || hasAssoc) && !slices.Contains(levels, l) {
			return fmt.Sprintf("system %s has no %s (its levels: %s)", system, l, strings.Join(levels, ", "))
		}
		if hasSize && hasAssoc {
			n, _ := sizeBytes(size)
			var ways int64
			fmt.Sscan(assoc, &ways)
			if sets := n / (lineBytes * ways); sets < 1 || !powerOfTwo(sets) {
				return fmt.Sprintf(
					"%s of %s with %s ways has no power-of-two number of %d-byte sets",
					l,
					size,
					assoc,
					lineBytes,
				)
			}
		}
	}
	warming, measured := k.AtomicWarming, k.Invocations
	if v, ok := p.Get("atomic_warming"); ok {
		fmt.Sscan(v, &warming)
	}
	if v, ok := p.Get("num_invocations"); ok {
		fmt.Sscan(v, &measured)
	}
	if k.ClientInvocations > 0 && warming+measured > k.ClientInvocations {
		return fmt.Sprintf(
			"%d warming and %d measured invocations: the checkpoint's client runs %d",
			warming,
			measured,
			k.ClientInvocations,
		)
	}
	return ""
}
