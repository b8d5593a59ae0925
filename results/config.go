package results

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// SimObject is one object of gem5's configuration (config.json or
// config.ini): its path, its type and its parameters as text.
type SimObject struct {
	Path   string
	Type   string
	Params map[string]string
}

// SimConfig is a run's configuration, by object path.
type SimConfig struct {
	File    string
	Objects map[string]*SimObject
}

// ReadConfig reads dir/config.json, or dir/config.ini when there is no
// JSON; it returns nil without error when the run left neither.
func ReadConfig(dir string) (*SimConfig, error) {
	p := filepath.Join(dir, "config.json")
	jf, name, err := openOutput(p)
	if err == nil {
		defer jf.Close()
		b, err := io.ReadAll(jf)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", name, err)
		}
		return ParseConfigJSON(b, name)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config %s: %w", p, err)
	}
	f, p, err := openOutput(filepath.Join(dir, "config.ini"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", p, err)
	}
	defer f.Close()
	c := &SimConfig{File: p, Objects: map[string]*SimObject{}}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var cur *SimObject
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			path := line[1 : len(line)-1]
			cur = &SimObject{Path: path, Params: map[string]string{}}
			c.Objects[path] = cur
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || cur == nil {
				return c, fmt.Errorf("%s:%d: not a section or key=value line: %q", p, n, line)
			}
			if k == "type" {
				cur.Type = v
			}
			cur.Params[k] = v
		}
	}
	return c, sc.Err()
}

// ParseConfigJSON flattens gem5's config.json: every JSON object with a
// "path" is a SimObject; scalar fields and lists of scalars become
// parameters (lists joined by spaces).
func ParseConfigJSON(b []byte, name string) (*SimConfig, error) {
	var root any
	if err := json.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	c := &SimConfig{File: name, Objects: map[string]*SimObject{}}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if path, ok := t["path"].(string); ok {
				o := &SimObject{Path: path, Params: map[string]string{}}
				for k, val := range t {
					if s, ok := scalarText(val); ok {
						o.Params[k] = s
					}
				}
				o.Type = o.Params["type"]
				c.Objects[path] = o
			}
			for _, val := range t {
				walk(val)
			}
		case []any:
			for _, val := range t {
				walk(val)
			}
		}
	}
	walk(root)
	return c, nil
}

// scalarText renders a JSON scalar, or a list of scalars, as text.
func scalarText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case nil:
		return "", true
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := scalarText(e)
			if !ok {
				return "", false
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), true
	}
	return "", false
}

// Type returns the type of the object at path ("" when unknown).
func (c *SimConfig) Type(path string) string {
	if c == nil {
		return ""
	}
	if o, ok := c.Objects[path]; ok {
		return o.Type
	}
	return ""
}

// ClockGHz returns the clock of the object at path from its clock domain
// (clk_domain's clock, in ticks of 1 ps), when the config says.
func (c *SimConfig) ClockGHz(path string) (float64, bool) {
	if c == nil {
		return 0, false
	}
	o, ok := c.Objects[path]
	if !ok {
		return 0, false
	}
	dom, ok := c.Objects[strings.TrimSpace(o.Params["clk_domain"])]
	if !ok {
		return 0, false
	}
	ticks, err := strconv.ParseFloat(strings.Fields(dom.Params["clock"] + " x")[0], 64)
	if err != nil || ticks <= 0 {
		return 0, false
	}
	return 1000 / ticks, true
}

// Caches returns the cache objects (type *Cache) with their sizes in
// bytes, sorted by path.
func (c *SimConfig) Caches() []CacheInfo {
	if c == nil {
		return nil
	}
	var out []CacheInfo
	for _, o := range c.Objects {
		if !strings.HasSuffix(o.Type, "Cache") {
			continue
		}
		size, _ := strconv.ParseInt(o.Params["size"], 10, 64)
		assoc, _ := strconv.Atoi(o.Params["assoc"])
		out = append(out, CacheInfo{Path: o.Path, Size: size, Assoc: assoc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// CacheInfo is a cache's configured size.
type CacheInfo struct {
	Path  string
	Size  int64
	Assoc int
}

// ISA is the ISA of the simulated cores, from their ISA objects
// (X86ISA -> X86, ArmISA -> Arm); "" when the config has none.
func (c *SimConfig) ISA() string {
	if c == nil {
		return ""
	}
	for _, o := range c.Objects {
		if isa, ok := strings.CutSuffix(o.Type, "ISA"); ok && isa != "" {
			return isa
		}
	}
	return ""
}
