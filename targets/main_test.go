package targets_test

import (
	"os"
	"sync"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// sharedResources is the RESOURCES directory the long tiers share within
// one test process when VSWARMU_TEST_RESOURCES is not set: the test
// kernel is built once, not once per test, and a test reads the files of
// the run it belongs to.
var sharedResources struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := magetest.Main(m)
	if sharedResources.dir != "" {
		os.RemoveAll(sharedResources.dir)
	}
	os.Exit(code)
}

// resourcesDir is VSWARMU_TEST_RESOURCES, or the process's shared one.
func resourcesDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("VSWARMU_TEST_RESOURCES"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	sharedResources.once.Do(func() {
		sharedResources.dir, sharedResources.err = os.MkdirTemp("", "vswarmu-test-resources-")
	})
	if sharedResources.err != nil {
		t.Fatal(sharedResources.err)
	}
	return sharedResources.dir
}
