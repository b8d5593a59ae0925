//go:build mage

// vswarmu-mage: cycle-accurate gem5 simulations of containerized serverless
// functions, from a bare Linux machine. `mage -l` lists the targets; every
// setting is an environment variable (`mage config`).
package main

import (
	//mage:import
	"github.com/vswarmu/vswarmu-mage/targets"
)

// Default is what a plain `mage` runs.
var Default = targets.Status

// Aliases keep the original vSwarm-u Makefile target names working.
var Aliases = map[string]interface{}{
	"kill_gem5": targets.Kill,
	"kill_qemu": targets.Kill,
}
