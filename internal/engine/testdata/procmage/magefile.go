//go:build mage

// A magefile for the engine's process tests: recipes that start
// grandchildren, hang or finish fast, in a graph whose state lives in
// $WORKING_DIR/.vswarmu, the same place `vs:kill` looks.
package main

import (
	"context"
	"os"
	"path/filepath"

	//mage:import vs
	_ "github.com/vswarmu/vswarmu-mage/targets"

	"github.com/magefile/mage/mg"

	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
	"github.com/vswarmu/vswarmu-mage/internal/proc"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// sleepers starts a shell whose children ignore SIGINT (background jobs of a
// non-interactive shell) or SIGTERM, records their PIDs in $1 and waits.
const sleepers = `sleep 1000 & a=$!; sh -c 'trap "" TERM; sleep 1000' & b=$!; echo $a $b $$ > "$1.tmp"; mv "$1.tmp" "$1"; wait`

func fixture(name string) string { return filepath.Join(os.Getenv("FIXTURE"), name) }

func newGraph() (*engine.Graph, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	g, err := engine.New(engine.Options{StateDir: cfg.StateDir(), LogDir: cfg.LogDir(), Jobs: cfg.Jobs,
		LockWait: cfg.LockWait, UI: ui.New(os.Stdout, false)})
	if err != nil {
		return nil, err
	}
	first := &engine.Rule{Target: "first", Outputs: []string{fixture("first.out")},
		Recipe: func(ctx context.Context, j *engine.Job) error {
			return os.WriteFile(j.Out(fixture("first.out")), []byte("1"), 0o644)
		}}
	slow := &engine.Rule{
		Target:  "slow",
		Outputs: []string{fixture("slow.out")},
		Deps:    []*engine.Rule{first},
		InPlace: true,
		Recipe: func(ctx context.Context, j *engine.Job) error {
			if err := os.WriteFile(fixture("slow.out"), []byte("partial"), 0o644); err != nil {
				return err
			}
			if os.Getenv("FIXTURE_FAST") != "" {
				return os.WriteFile(fixture("slow.out"), []byte("done"), 0o644)
			}
			return j.Run(ctx, "sh", "-c", sleepers, "sh", fixture("pids-slow"))
		},
	}
	sleepy := &engine.Rule{Target: "sleepy", Outputs: []string{fixture("sleepy.out")},
		Recipe: func(ctx context.Context, j *engine.Job) error {
			if err := j.Run(ctx, "sh", "-c", sleepers, "sh", fixture("pids-sleepy")); err != nil {
				return err
			}
			return os.WriteFile(j.Out(fixture("sleepy.out")), nil, 0o644)
		}}
	if err := g.Add(first, slow, sleepy); err != nil {
		return nil, err
	}
	return g, nil
}

func run(ctx context.Context, name string) error {
	// As the targets do: die with the mage command that runs this binary.
	if exe, err := os.Executable(); err == nil && filepath.Dir(exe) == filepath.Clean(mg.CacheDir()) {
		proc.DieWithParent()
	}
	g, err := newGraph()
	if err != nil {
		return err
	}
	defer g.Close()
	r, _ := g.Rule(name)
	return g.Build(ctx, r)
}

// Sleepy runs a recipe whose processes sleep until stopped.
func Sleepy(ctx context.Context) error { return run(ctx, "sleepy") }

// Slow runs first, then an in-place recipe that sleeps (or ends at once with FIXTURE_FAST=1).
func Slow(ctx context.Context) error { return run(ctx, "slow") }
