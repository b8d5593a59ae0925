// Package functions is the function catalogue (a compose file with every
// vSwarm-u function and its helper services, and lists that select
// functions) and the install stage that puts the functions' containers into
// the disk image, booted under qemu.
package functions

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"

	"github.com/vswarmu/vswarmu-mage/client"
	"github.com/vswarmu/vswarmu-mage/internal/suggest"
)

// The catalogue and the default list, as built into the tool; a project's
// functions/functions.yaml and functions/functions.list take precedence.
var (
	//go:embed functions.yaml
	DefaultCompose []byte
	//go:embed functions.list
	DefaultList []byte
	//go:embed all.list
	AllList []byte
)

// HostPort is where every function publishes its gRPC port.
const HostPort = 50000

// ContainerName is every function's container name (the run scripts pin
// it to core 1 by this name).
const ContainerName = "function"

// PreparedName is the name the install gives fn's container, created by
// compose and pinned but never started, for the setup to rename to
// ContainerName and start (all functions share ContainerName).
func PreparedName(fn string) string { return "vswarmu-prepared-" + fn }

// ClientLabel is the service label that names the client protocol of a
// function whose own name the client does not know, e.g.
// `labels: {vswarmu.client: fibonacci}` for a fibonacci in a new language.
const ClientLabel = "vswarmu.client"

// BuiltWithLabel is the service label that says with which toolchain
// vSwarm builds a function's image, when that matters under gem5 (Go 1.16
// to 1.20, whose write barrier gem5 v24.0 runs wrongly).
const BuiltWithLabel = "vswarmu.built-with"

// BuiltWith is a function's BuiltWithLabel ("" for none).
func (c *Catalog) BuiltWith(fn string) string {
	if s, ok := c.Project.Services[fn]; ok {
		return s.Labels[BuiltWithLabel]
	}
	return ""
}

// Catalog is a loaded compose file.
type Catalog struct {
	Path    string // the file, or "(built in)"
	Data    []byte
	Project *types.Project
}

// Load parses and validates a compose file with compose-go.
func Load(path string, data []byte) (*Catalog, error) {
	logrus.SetLevel(
		logrus.ErrorLevel,
	) // compose-go warns that "version" is obsolete; the guests' docker-compose 1.x needs it
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  filepath.Dir(path),
		ConfigFiles: []types.ConfigFile{{Filename: path, Content: data}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SetProjectName("vswarmu", true)
		o.SkipConsistencyCheck = false
	})
	if err != nil {
		return nil, fmt.Errorf("function catalogue %s: %w", path, yamlLines(err))
	}
	return &Catalog{Path: path, Data: data, Project: p}, nil
}

// yamlContext matches a YAML syntax error of the form yaml.v3 gives it
// when it names the construct the problem is in; both of its line numbers
// count from 0 there (its columns from 1).
var yamlContext = regexp.MustCompile(`while ([^:]*?) at line (\d+), column (\d+): line (\d+), column (\d+): (.*)$`)

// yamlLines rewrites such an error with lines counted from 1, as an
// editor shows them.
func yamlLines(err error) error {
	m := yamlContext.FindStringSubmatchIndex(err.Error())
	if m == nil {
		return err
	}
	msg := err.Error()
	num := func(i int) int { n, _ := strconv.Atoi(msg[m[2*i]:m[2*i+1]]); return n }
	return &yamlError{err: err, msg: fmt.Sprintf("%sline %d, column %d: %s (in %s that starts at line %d, column %d)",
		msg[:m[0]], num(4)+1, num(5), msg[m[12]:m[13]], msg[m[2]:m[3]], num(2)+1, num(3))}
}

type yamlError struct {
	err error
	msg string
}

func (e *yamlError) Error() string { return e.msg }
func (e *yamlError) Unwrap() error { return e.err }

// LoadFile loads the catalogue at path.
func LoadFile(path string) (*Catalog, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("function catalogue: %w", err)
	}
	return Load(path, b)
}

// Functions are the services that are functions: named "function" and
// published on HostPort.
func (c *Catalog) Functions() []string {
	var out []string
	for name, s := range c.Project.Services {
		if s.ContainerName == ContainerName {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Validate checks that every listed function is one the catalogue defines
// as a function (image, container name, port 50000, known dependencies)
// and one the client can drive. All problems are reported together.
func (c *Catalog) Validate(list []string) error {
	var errs []error
	for _, fn := range list {
		s, ok := c.Project.Services[fn]
		if !ok {
			errs = append(
				errs,
				fmt.Errorf(
					"%s: not in %s%s (functions there: %s)",
					fn,
					c.Path,
					suggest.Hint(fn, c.Functions()),
					strings.Join(c.Functions(), ", "),
				),
			)
			continue
		}
		if s.Image == "" {
			errs = append(errs, fmt.Errorf("%s (%s): no image", fn, c.Path))
		}
		if s.ContainerName != ContainerName {
			errs = append(
				errs,
				fmt.Errorf(
					"%s (%s): container_name is %q; functions must be named %q (the run scripts pin it to core 1)",
					fn,
					c.Path,
					s.ContainerName,
					ContainerName,
				),
			)
		}
		published := false
		for _, p := range s.Ports {
			if p.Published == fmt.Sprint(HostPort) {
				published = true
			}
		}
		if !published {
			errs = append(
				errs,
				fmt.Errorf(
					"%s (%s): does not publish port %d (the client connects to localhost:%d)",
					fn,
					c.Path,
					HostPort,
					HostPort,
				),
			)
		}
		for dep := range s.DependsOn {
			if _, ok := c.Project.Services[dep]; !ok {
				errs = append(errs, fmt.Errorf("%s (%s): depends on %s, which is not a service", fn, c.Path, dep))
			}
		}
		if name := c.ClientName(fn); name != fn {
			if _, err := client.Lookup(name); err != nil {
				errs = append(
					errs,
					fmt.Errorf(
						"%s (%s): label %s=%s: the client knows no function or service of that name (services: %s)",
						fn,
						c.Path,
						ClientLabel,
						name,
						strings.Join(client.Services(), ", "),
					),
				)
			}
		} else if _, err := client.Lookup(fn); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): the client cannot drive it: name the protocol it speaks with the label %s (one of %s), or add a gRPC service in client/invoke.go",
				fn, c.Path, ClientLabel, strings.Join(client.Services(), ", ")))
		}
	}
	return errors.Join(errs...)
}

// ClientName is the name the client drives fn by: its vswarmu.client
// label, else fn itself.
func (c *Catalog) ClientName(fn string) string {
	if s, ok := c.Project.Services[fn]; ok && s.Labels[ClientLabel] != "" {
		return s.Labels[ClientLabel]
	}
	return fn
}

// Images returns the images the listed functions and their dependencies
// run, sorted and without repeats.
func (c *Catalog) Images(list []string) []string {
	seen := map[string]bool{}
	var visit func(name string)
	visit = func(name string) {
		s, ok := c.Project.Services[name]
		if !ok {
			return
		}
		seen[s.Image] = true
		for dep := range s.DependsOn {
			visit(dep)
		}
	}
	for _, fn := range list {
		visit(fn)
	}
	out := make([]string, 0, len(seen))
	for img := range seen {
		if img != "" {
			out = append(out, img)
		}
	}
	sort.Strings(out)
	return out
}

// ParseList reads a function list: one name per line, # starts a comment.
func ParseList(data []byte, name string) ([]string, error) {
	var out []string
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	n := 0
	for sc.Scan() {
		n++
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("%s:%d: %q: one function name per line", name, n, line)
		}
		if first, dup := seen[line]; dup {
			return nil, fmt.Errorf("%s:%d: %s is already listed on line %d", name, n, line, first)
		}
		seen[line] = n
		out = append(out, line)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s lists no function", name)
	}
	return out, nil
}

// Selection is the catalogue and the functions a run uses.
type Selection struct {
	Catalog   *Catalog
	Functions []string
	ListFrom  string // where the list came from, for messages
}

// Select loads the catalogue (compose, the FUNCTIONS_YAML file, when set;
// else projectDir/functions/functions.yaml, else the built-in one) and the
// function list (FUNCTIONS, else projectDir/functions/functions.list, else
// the built-in list), and validates them together.
func Select(projectDir, compose string, fromEnv []string) (*Selection, error) {
	var cat *Catalog
	var err error
	if compose != "" {
		cat, err = LoadFile(compose)
	} else {
		path := filepath.Join(projectDir, "functions", "functions.yaml")
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			path, data = "functions.yaml (built in)", DefaultCompose
		}
		cat, err = Load(path, data)
	}
	if err != nil {
		return nil, err
	}
	sel := &Selection{Catalog: cat, Functions: fromEnv, ListFrom: "FUNCTIONS"}
	if len(fromEnv) == 0 {
		listPath := filepath.Join(projectDir, "functions", "functions.list")
		list, err := os.ReadFile(listPath)
		if err != nil {
			listPath, list = "functions.list (built in)", DefaultList
		}
		sel.ListFrom = listPath
		if sel.Functions, err = ParseList(list, listPath); err != nil {
			return nil, err
		}
	}
	if err := cat.Validate(sel.Functions); err != nil {
		return nil, fmt.Errorf("functions from %s:\n%w", sel.ListFrom, err)
	}
	return sel, nil
}
