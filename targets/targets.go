// Package targets is the Mage surface of vswarmu-mage and the workflow's
// rules: one target per step of the gem5 + serverless workflow, each a
// rule of the build engine (internal/engine) whose recipe is a step of a
// stage library (gem5-configs, kernel, image, functions, results, client).
// Import it from a magefile with
//
//	//mage:import
//	_ "github.com/vswarmu/vswarmu-mage/targets"
//
// Every target reads its settings from environment variables (see
// `mage config`) and builds only what is out of date.
package targets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/magefile/mage/mg"

	gem5configs "github.com/vswarmu/vswarmu-mage/gem5-configs"
	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/proc"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// session is the one configuration and plan of this mage invocation; the
// Mage surface is the only place that keeps such state.
var session struct {
	once sync.Once
	cfg  *config.Config
	p    *plan
	err  error
}

// load reads the configuration and declares the plan once per invocation;
// invalid settings fail here, before any work.
func load() (*config.Config, *plan, error) {
	session.once.Do(func() {
		cfg, err := loadConfig()
		if err != nil {
			session.err = fmt.Errorf("%w\n(run `mage config` to see every setting and where it comes from)", err)
			return
		}
		session.cfg = cfg
		out := printer()
		for _, w := range config.Misspelled(os.Environ()) {
			out.Warnf("%s", w)
		}
		session.p, session.err = newPlan(cfg, out)
	})
	return session.cfg, session.p, session.err
}

// adoptPlan makes fresh the session's plan where old was (a plan made
// anew after an install).
func adoptPlan(old, fresh *plan) {
	if session.p == old {
		session.p = fresh
	}
}

// loadConfig reads the settings; SYSTEM and DETAILED_CPU accept what
// gem5-configs/systems.json declares, so adding a system is one entry there,
// TOPOLOGY the topologies gem5-configs registers and EXECUTOR the
// executors of executors.go.
func loadConfig() (*config.Config, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cat, err := gem5configs.Systems(wd)
	if err != nil {
		return nil, err
	}
	cfg, err := config.FromEnv(
		config.WithChoices("SYSTEM", cat.Names()...),
		config.WithChoices("DETAILED_CPU", append([]string{"auto"}, cat.DetailedCPUs...)...),
		config.WithChoices("TOPOLOGY", gem5configs.TopologyNames()...),
		config.WithChoices("EXECUTOR", executorNames()...))
	if err != nil {
		return nil, err
	}
	if t, err := gem5configs.LookupTopology(cfg.Topology); err == nil {
		if err := t.Fits(cfg.Arch); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	return cfg, nil
}

// printer is the terminal output: workflow commands (folded logs, error
// annotations) under GitHub Actions.
func printer() *ui.Printer { return ui.New(os.Stdout, os.Getenv("GITHUB_ACTIONS") == "true") }

// cliHints are how this tool's users ask for what the engine mentions.
func cliHints(cfg *config.Config) engine.Hints {
	return engine.Hints{
		KeepGoing: "KEEP_GOING=1",
		DryRun:    "DRY_RUN=1",
		LockWait:  "set LOCK_WAIT=1 to wait",
		Kill:      "stop it with `mage kill` and Ctrl-C",
		Forced:    "FORCE=" + cfg.Force,
		Force:     func(rule string) string { return "FORCE=" + rule },
	}
}

// build brings the named rules up to date.
func build(ctx context.Context, names ...string) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	rules, err := p.g.Lookup(names...)
	if err != nil {
		return err
	}
	return p.build(ctx, rules...)
}

// buildOrSkip builds the space-separated rules, or says which setting
// replaces them when an artifact path is configured instead.
func buildOrSkip(ctx context.Context, names, replacedBy string) error {
	cfg, p, err := load()
	if err != nil {
		return err
	}
	var rules []*engine.Rule
	for _, n := range strings.Fields(names) {
		if r, ok := p.g.Rule(n); ok {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		val := map[string]string{"GEM5": cfg.Gem5, "KERNEL": cfg.Kernel, "DISK": cfg.Disk, "CLIENT": cfg.Client, "BOOTLOADER": cfg.Bootloader}[replacedBy]
		p.g.UI().Printf("%s=%s is used instead: nothing to build for %s", replacedBy, val, names)
		return nil
	}
	return p.build(ctx, rules...)
}

// exitError carries an exit status to Mage without the word "Error".
type exitError struct {
	msg  string
	code int
}

func (e *exitError) Error() string   { return e.msg }
func (e *exitError) ExitStatus() int { return e.code }

// dieWithMageWrapper makes `kill <mage pid>` stop the build and its
// processes instead of orphaning them: a binary the mage command runs from
// its cache dies with it. A binary made with `mage -compile` and started
// from a shell (nohup included) does not.
func dieWithMageWrapper() {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	if cache := mg.CacheDir(); cache != "" && filepath.Dir(exe) == filepath.Clean(cache) {
		proc.DieWithParent()
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	fmt.Printf("removed %s\n", dir)
	return nil
}
