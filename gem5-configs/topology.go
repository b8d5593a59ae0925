package gem5configs

// How the simulated machines are arranged (TOPOLOGY) is a type: a run asks
// its topology for everything that differs between arrangements (labels,
// arguments, scripts, descriptions, records), so a new arrangement is one
// type and one entry in topologies.

import (
	"fmt"
	"maps"
	"slices"

	"github.com/vswarmu/vswarmu-mage/results"
)

// Topology is one arrangement of the simulated machines.
type Topology interface {
	// Name is the TOPOLOGY value.
	Name() string
	// Label sets a run's name and working areas apart ("" for one machine,
	// whose names stay as they were).
	Label() string
	// Args are run_sim.py's arguments of the topology in every mode.
	Args(s Simulation) []string
	// LinkArgs are the evaluation's arguments of the systems' link.
	LinkArgs(s Simulation) []string
	// DockerKernelArgs are a container-mode boot's kernel arguments for
	// Docker's network (gem5init reads them).
	DockerKernelArgs() []string
	// RunScript is the script of the system under test.
	RunScript(s Simulation) string
	// Scripts are further run scripts the setup writes and hands over.
	Scripts(s Simulation) []Script
	// Describe adds the topology to a rule's description; link says the
	// rule is an evaluation, whose link settings shape its numbers.
	Describe(s Simulation, d map[string]string, link bool)
	// Record adds the topology to a run's record.
	Record(s Simulation, meta *results.RunMeta)
	// Parameters add the topology to a run's parameters (its provenance).
	Parameters(s Simulation, m map[string]string)
	// Reads are the files a run reads for the topology (besides the
	// system under test's).
	Reads(s Simulation) []string
	// ExtraMemoryMiB is the memory of systems beyond the one under test,
	// which a cluster job must hold too.
	ExtraMemoryMiB() int64
	// DriveSystem says the topology boots a drive system (from the drive
	// disk, functions:driveDisk unless DRIVE_DISK names one).
	DriveSystem() bool
	// Fits says why the topology cannot simulate guests of arch (ARCH),
	// or nil when it can.
	Fits(arch string) error
}

// Script is a run script of a topology: its path, its text, and the
// run_sim.py option that names it.
type Script struct {
	Path, Text, Option string
}

// topologies are the arrangements by TOPOLOGY value.
var topologies = map[string]Topology{Single: single{}, TwoMachine: twoMachine{}}

// TopologyNames are the TOPOLOGY values, sorted.
func TopologyNames() []string { return slices.Sorted(maps.Keys(topologies)) }

// LookupTopology returns the topology named name ("" is Single).
func LookupTopology(name string) (Topology, error) {
	if name == "" {
		name = Single
	}
	t, ok := topologies[name]
	if !ok {
		return nil, fmt.Errorf("TOPOLOGY=%q: no such topology (known: %v)", name, TopologyNames())
	}
	return t, nil
}

// topology is s's arrangement (one machine when Topology names none).
func (s Simulation) topology() Topology {
	if t, err := LookupTopology(s.Topology); err == nil {
		return t
	}
	return single{}
}

// singleDockerArgs are a one-machine container boot's kernel arguments:
// no IPv6. The client reaches the function through docker-proxy on
// localhost over IPv4; with IPv6 Docker starts a second docker-proxy (a Go
// program) for [::] at every container start, and the kernel configures
// IPv6 on every link the container's network brings up.
var singleDockerArgs = []string{"ipv6.disable=1"}

// single runs the client on core 0 of the simulated system, beside the
// function on core 1.
type single struct{}

func (single) Name() string                                 { return Single }
func (single) Label() string                                { return "" }
func (single) Args(Simulation) []string                     { return nil }
func (single) LinkArgs(Simulation) []string                 { return nil }
func (single) DockerKernelArgs() []string                   { return singleDockerArgs }
func (single) RunScript(s Simulation) string                { return s.singleScript() }
func (single) Scripts(Simulation) []Script                  { return nil }
func (single) Describe(Simulation, map[string]string, bool) {}
func (single) Record(Simulation, *results.RunMeta)          {}
func (single) Parameters(Simulation, map[string]string)     {}
func (single) DriveSystem() bool                            { return false }
func (single) Reads(Simulation) []string                    { return nil }
func (single) ExtraMemoryMiB() int64                        { return 0 }
func (single) Fits(string) error                            { return nil }

// labelled appends the topology's label to labels when it has one.
func (s Simulation) labelled(labels []string) []string {
	if l := s.topology().Label(); l != "" {
		return append(slices.Clip(labels), l)
	}
	return labels
}
