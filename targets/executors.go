package targets

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// Where gem5 runs (EXECUTOR) is a type: a new place is one type and one
// entry in executors.

// executorKind is one place gem5 runs.
type executorKind interface {
	// New makes the configuration's executor.
	New(c *config.Config) (gem5configs.Executor, error)
	// HoldsSlots says a gem5 run holds one of this machine's JOBS slots
	// (false: it runs elsewhere, bounded there).
	HoldsSlots() bool
	// Packages are what this machine needs to hand runs over.
	Packages() []string
	// Note says which job is at work in a run's directory ("" for none).
	Note(ctx context.Context, c *config.Config, dir string) string
	// Kill stops the working directory's runs this executor still has,
	// and says how many.
	Kill(ctx context.Context, c *config.Config, out *ui.Printer, who string) (int, error)
}

// executors are the places by EXECUTOR value.
var executors = map[string]executorKind{"local": localExecutor{}, "slurm": slurmExecutor{}}

// executorNames are the EXECUTOR values, sorted.
func executorNames() []string { return slices.Sorted(maps.Keys(executors)) }

// executorOf is the configuration's place (local when EXECUTOR names none).
func executorOf(c *config.Config) executorKind {
	if x, ok := executors[c.Executor]; ok {
		return x
	}
	return localExecutor{}
}

// newExecutor is where gem5 runs for the configuration (EXECUTOR).
func newExecutor(c *config.Config) (gem5configs.Executor, error) { return executorOf(c).New(c) }

// killJobs stops what every executor still runs for the working directory
// (a run may have been started with another EXECUTOR).
func killJobs(ctx context.Context, c *config.Config, out *ui.Printer, who string) (int, error) {
	n := 0
	var errs []string
	for _, name := range executorNames() {
		k, err := executors[name].Kill(ctx, c, out, who)
		n += k
		if err != nil {
			errs = append(errs, fmt.Sprintf("EXECUTOR=%s: %v", name, err))
		}
	}
	if len(errs) > 0 {
		return n, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return n, nil
}

// localExecutor runs gem5 on this machine, each run in a JOBS slot; its
// processes are stopped through the working directory's registry.
type localExecutor struct{}

func (localExecutor) New(*config.Config) (gem5configs.Executor, error) {
	return gem5configs.Local{}, nil
}
func (localExecutor) HoldsSlots() bool   { return true }
func (localExecutor) Packages() []string { return nil }
func (localExecutor) Note(context.Context, *config.Config, string) string {
	return ""
}
func (localExecutor) Kill(context.Context, *config.Config, *ui.Printer, string) (int, error) {
	return 0, nil
}

// slurmExecutor submits each gem5 run as a batch job.
type slurmExecutor struct{}

// New is a Slurm executor of the configuration's partition, account,
// QOS, options and memory.
func (slurmExecutor) New(c *config.Config) (gem5configs.Executor, error) {
	x := &gem5configs.Slurm{Partition: c.SlurmPartition, Account: c.SlurmAccount, QOS: c.SlurmQOS,
		Options: strings.Fields(c.SlurmOptions), MemoryMiB: c.SlurmMemory.MiB(), Shared: c.SlurmShared,
		Records: slurmRecords(c), Owner: fmt.Sprintf("mage (pid %d)", os.Getpid())}
	if c.SlurmMaxJobs > 0 {
		x.Slots = make(chan struct{}, c.SlurmMaxJobs)
	}
	return x, nil
}

func (slurmExecutor) HoldsSlots() bool   { return false }
func (slurmExecutor) Packages() []string { return []string{"slurm-client"} }

// Note names the cluster job at work in dir.
func (slurmExecutor) Note(ctx context.Context, c *config.Config, dir string) string {
	return slurmJobNote(ctx, c, dir)
}

// Kill cancels the working directory's jobs.
func (slurmExecutor) Kill(ctx context.Context, c *config.Config, out *ui.Printer, who string) (int, error) {
	return killSlurmJobs(ctx, c, out, who)
}
