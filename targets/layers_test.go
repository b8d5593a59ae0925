package targets_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// The layers of the code, top to bottom (README: "How the code is laid
// out"): every import points down or stays in its layer; the engine
// imports only process control and output; no stage imports the engine
// or the targets.
var layers = []layer{
	{"Mage entry", []string{"magefiles"}},
	{"targets", []string{"targets"}},
	{"engine", []string{"internal/engine"}},
	{
		"stages",
		[]string{
			"gem5-configs",
			"kernel",
			"image",
			"functions",
			"functions/reference",
			"results",
			"client",
			"release",
			"sweeps",
		},
	},
	{"helpers", []string{"internal/...", "client/m5", "client/pb/..."}},
}

// layer is one layer's name and packages: import paths below the module,
// "x/..." for a tree.
type layer struct {
	name     string
	packages []string
}

const module = "github.com/vswarmu/vswarmu-mage"

// layerOf is the index of pkg's layer (-1: not the project's). A package
// of the project in no listed layer is a stage: a new stage is checked
// before anyone lists it.
func layerOf(pkg string) int {
	rel, ok := strings.CutPrefix(pkg, module+"/")
	if !ok {
		return -1
	}
	best, bestLen := -1, -1
	for i, l := range layers {
		for _, p := range l.packages {
			tree, isTree := strings.CutSuffix(p, "/...")
			switch {
			case !isTree && rel == p && len(p) > bestLen:
				best, bestLen = i, len(p)
			case isTree && (rel == tree || strings.HasPrefix(rel, tree+"/")) && len(tree) > bestLen:
				best, bestLen = i, len(tree)
			}
		}
	}
	if best < 0 {
		best = slices.IndexFunc(layers, func(l layer) bool { return l.name == "stages" })
	}
	return best
}

func TestImportsPointDown(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = magetest.RepoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Name       string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		from := layerOf(p.ImportPath)
		if from < 0 || p.Name == "main" && layers[from].name != "Mage entry" {
			continue // commands (guest tools, servers) are programs, not layers
		}
		checked++
		for _, imp := range p.Imports {
			to := layerOf(imp)
			switch {
			case to < 0:
			case to < from:
				t.Errorf(
					"%s (%s) imports %s (%s), a layer above it",
					p.ImportPath,
					layers[from].name,
					imp,
					layers[to].name,
				)
			case layers[from].name == "engine" && !strings.HasSuffix(imp, "/internal/proc") && !strings.HasSuffix(imp, "/internal/ui"):
				t.Errorf(
					"the engine imports %s: it may import only process control (internal/proc) and output (internal/ui)",
					imp,
				)
			case layers[from].name == "stages" && layers[to].name == "engine":
				t.Errorf("stage %s imports the engine", p.ImportPath)
			}
		}
	}
	if checked < 15 {
		t.Fatalf("only %d packages checked: is go list's output what the test expects?", checked)
	}
}
