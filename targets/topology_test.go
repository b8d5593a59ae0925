package targets_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
	"github.com/vswarmu/vswarmu-mage/results"
)

// soloTopology is a topology a contributor might add: one machine like
// single, whose runs, checkpoints and descriptions are kept apart under
// its own name.
const soloTopology = `package gem5configs

// solo is one machine, kept apart from single's runs (a test's topology).
type solo struct{ single }

func (solo) Name() string  { return "solo" }
func (solo) Label() string { return "solo" }

// Args hand run_sim.py the topology (topologies.json and topologies.py register it).
func (solo) Args(Simulation) []string { return []string{"--topology", "solo"} }

// Describe names the topology in every rule's description.
func (solo) Describe(s Simulation, d map[string]string, link bool) { d["TOPOLOGY"] = "solo" }

// Parameters name it in the run's provenance.
func (solo) Parameters(s Simulation, m map[string]string) { m["TOPOLOGY"] = "solo" }
`

// Adding a topology is one Go type and one entry in gem5-configs' table,
// and on the Python side one entry in topologies.json and one class (here
// single's) in topologies.py's KINDS: TOPOLOGY accepts it, run_sim.py's
// --topology too, and the main job runs with it on the stand-in, its
// checkpoints and results under its own name.
func TestAddingATopology(t *testing.T) {
	copyDir := copyProject(t)
	writeFile(t, filepath.Join(copyDir, "gem5-configs", "solo.go"), soloTopology)
	edit(t, filepath.Join(copyDir, "gem5-configs", "topology.go"), "TwoMachine: twoMachine{}}",
		`TwoMachine: twoMachine{}, "solo": solo{}}`)
	edit(t, filepath.Join(copyDir, "gem5-configs", "topologies.json"), `"topologies": [`,
		`"topologies": [{"name": "solo", "description": "one machine, kept apart (a test's)", "systems": 1},`)
	edit(t, filepath.Join(copyDir, "gem5-configs", "topologies.py"), `KINDS = {"single": Single,`,
		`KINDS = {"single": Single, "solo": Single,`)
	goCmd(t, copyDir, "vet", "./gem5-configs", "./targets")
	goCmd(t, copyDir, "test", "-run", "TestImportsPointDown", "./targets")

	bin := compileCopy(t, copyDir)
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go", "TOPOLOGY=solo")
	r := magetest.StartCmd(t, dir, env, bin, "simulate:all").Wait(t, 10*time.Minute)
	if r.Code != 0 {
		t.Fatalf("simulate:all with TOPOLOGY=solo: exit %d\n%s", r.Code, r.Output)
	}
	work := filepath.Join(dir, "wk")
	if _, err := os.Stat(filepath.Join(work, "boot-solo", "cpt")); err != nil {
		t.Errorf("the boot checkpoint is not kept apart under boot-solo: %v", err)
	}
	var meta results.RunMeta
	b, err := os.ReadFile(filepath.Join(work, "results", "fibonacci-go@solo", results.MetaFile))
	if err != nil || json.Unmarshal(b, &meta) != nil || meta.Topology != "solo" ||
		meta.Parameters["TOPOLOGY"] != "solo" {
		t.Fatalf("the run's record does not name the topology: %v\n%s", err, b)
	}
	r = magetest.StartCmd(t, dir, append(env[:len(env):len(env)], "TOPOLOGY=triple"), bin, "config").
		Wait(t, time.Minute)
	if r.Code == 0 || !strings.Contains(r.Output, "TOPOLOGY") || !strings.Contains(r.Output, "solo") {
		t.Errorf("an unknown topology: exit %d, want an error naming the known ones\n%s", r.Code, r.Output)
	}
}
