package image

import (
	"testing"

	"github.com/BurntSushi/toml"
)

// The guest's containerd configuration, read as containerd reads it (TOML,
// version 2): the CRI plugin off, and the metadata collector's scheduler
// on a fixed interval (pause_threshold 0), so that a clock advancing in
// jiffies cannot make its interval 0. (containerd v1.6.20 built by
// image:runtime shows both in `containerd --config <file> config dump`.)
func TestContainerdConfigFixesTheCollectorsInterval(t *testing.T) {
	var conf struct {
		Version         int      `toml:"version"`
		DisabledPlugins []string `toml:"disabled_plugins"`
		Plugins         map[string]map[string]any
	}
	md, err := toml.Decode(containerdConfig, &conf)
	if err != nil {
		t.Fatalf("containerd's config is not TOML: %v", err)
	}
	if conf.Version != 2 || len(conf.DisabledPlugins) != 1 || conf.DisabledPlugins[0] != "io.containerd.grpc.v1.cri" {
		t.Errorf("version %d, disabled plugins %v: want version 2 and the CRI plugin off", conf.Version,
			conf.DisabledPlugins)
	}
	gc, ok := conf.Plugins["io.containerd.gc.v1.scheduler"]
	if !ok || !md.IsDefined("plugins", "io.containerd.gc.v1.scheduler", "pause_threshold") {
		t.Fatalf("no pause_threshold for io.containerd.gc.v1.scheduler: %v", conf.Plugins)
	}
	if v, ok := gc["pause_threshold"].(float64); !ok || v != 0 {
		t.Errorf("pause_threshold = %v (%T), want 0.0: containerd would compute its interval from a collection's duration",
			gc["pause_threshold"], gc["pause_threshold"])
	}
}
