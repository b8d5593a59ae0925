package targets_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// BenchmarkMageStatus is the wall time of `mage status` when everything
// simulate:all needs is up to date (the stand-in pipeline: functions,
// simulations, report), three ways: the compiled magefile, `mage status`
// with Mage's compile cache warm (MAGEFILE_HASHFAST=1: mage runs its cached
// binary), and `mage status` rebuilding through Go's build cache (mage's
// default when GOCACHE is set).
func BenchmarkMageStatus(b *testing.B) {
	mageCLI, bin := magetest.Binaries(b)
	root := magetest.RepoRoot(b)
	dir := b.TempDir()
	env := append(
		append(os.Environ(), magetest.Placeholders(b, dir)...),
		"NO_COLOR=1",
		"WORKING_DIR="+filepath.Join(dir, "wk"),
		"RESOURCES="+filepath.Join(
			dir,
			"res",
		),
		"GEM5=standin",
		"SETUP_CPU=kvm",
		"MAGEFILE_CACHE="+filepath.Join(dir, "magecache"),
	)
	run := func(b *testing.B, extraEnv []string, argv ...string) {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = root
		cmd.Env = append(append([]string(nil), env...), extraEnv...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", argv, err, out)
		}
	}
	run(b, nil, bin, "simulate:all")
	cases := []struct {
		name string
		env  []string
		argv []string
	}{
		{"compiled", nil, []string{bin, "status"}},
		{"mage-hashfast", []string{"MAGEFILE_HASHFAST=1"}, []string{mageCLI, "status"}},
		{"mage-gocache", nil, []string{mageCLI, "status"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			run(b, c.env, c.argv...) // warm the caches
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				run(b, c.env, c.argv...)
			}
			b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/status")
		})
	}
}
