package targets_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// markedExecutor is an executor a contributor might add: gem5 runs on this
// machine as with local, and each run leaves a mark beside its directory.
const markedExecutor = `package targets

import (
	"context"
	"os"
	"path/filepath"

	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// markedExecutor runs gem5 here and marks each run (a test's executor).
type markedExecutor struct{ localExecutor }

func (markedExecutor) New(*config.Config) (gem5configs.Executor, error) { return marked{}, nil }

// marked is the local executor that leaves marked-<run> beside the run's directory.
type marked struct{ gem5configs.Local }

func (m marked) Run(ctx context.Context, j job.Job, r gem5configs.Gem5Run) error {
	if err := os.WriteFile(filepath.Join(filepath.Dir(r.Outdir), "marked-"+r.Name), nil, 0o644); err != nil {
		return err
	}
	return m.Local.Run(ctx, j, r)
}
`

// Adding an executor is one type and one entry in targets' table:
// EXECUTOR accepts it and every gem5 run of the main job goes through it.
func TestAddingAnExecutor(t *testing.T) {
	copyDir := copyProject(t)
	writeFile(t, filepath.Join(copyDir, "targets", "marked.go"), markedExecutor)
	edit(t, filepath.Join(copyDir, "targets", "executors.go"), `"slurm": slurmExecutor{}}`,
		`"slurm": slurmExecutor{}, "marked": markedExecutor{}}`)
	goCmd(t, copyDir, "vet", "./targets")

	bin := compileCopy(t, copyDir)
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go", "EXECUTOR=marked")
	r := magetest.StartCmd(t, dir, env, bin, "simulate:all").Wait(t, 10*time.Minute)
	if r.Code != 0 {
		t.Fatalf("simulate:all with EXECUTOR=marked: exit %d\n%s", r.Code, r.Output)
	}
	marks, _ := filepath.Glob(filepath.Join(dir, "wk", "*", "marked-*"))
	var names []string
	for _, m := range marks {
		names = append(names, filepath.Base(m))
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"marked-boot", "marked-setup-fibonacci-go", "marked-fn-fibonacci-go"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %s: the runs marked %q", want, got)
		}
	}
}
