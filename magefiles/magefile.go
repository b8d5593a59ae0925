//go:build mage

// vswarmu-mage: cycle-accurate gem5 simulations of containerized serverless
// functions, from a bare Linux machine. `mage -l` lists the targets; every
// setting is an environment variable (`mage config`).
package main

import (
	//mage:import
	"github.com/vswarmu/vswarmu-mage/targets"
)

// Default is what a plain `mage` runs: where the pipeline stands.
var Default = targets.Status

// Aliases keep the original vSwarm-u Makefile target names working
// (setup/gem5.Makefile, setup/kernel.Makefile, setup/disk.Makefile,
// simulation/Makefile, resources/Makefile, test/Makefile).
var Aliases = map[string]interface{}{
	"gem5:dep_install":        targets.Gem5.DepInstall,
	"gem5:clone":              targets.Gem5.Source,
	"gem5:gem5":               targets.Gem5.Build,
	"kernel:dep_install":      targets.Kernel.DepInstall,
	"kernel:clone":            targets.Kernel.Source,
	"kernel:save_output":      targets.Kernel.Save,
	"kernel:clean_all":        targets.Kernel.CleanAll,
	"image:dep_install":       targets.Image.DepInstall,
	"image:install":           targets.Image.Base,
	"image:save":              targets.Image.Build,
	"image:run_emulator":      targets.Image.Run,
	"build-wkdir":             targets.Functions.Raw,
	"install_functions":       targets.Functions.Install,
	"install_check":           targets.Functions.Check,
	"run_emulator":            targets.Image.Run,
	"run_simulator":           targets.Simulate.All,
	"run":                     targets.Simulate.All,
	"kill_gem5":               targets.Kill,
	"kill_qemu":               targets.Kill,
	"build-kernel":            targets.Kernel.Save,
	"build-disk":              targets.Image.Build,
	"build-client":            targets.Client.Build,
	"m5ops":                   targets.Client.Tools,
	"build-resources":         targets.Resources.Build,
	"download-resources":      targets.Resources.Download,
	"build-release-resources": targets.Release.Artifacts,
	"check_simulations":       targets.Report.Check,
	"check_sim_stats":         targets.Report.Check,
	"report":                  targets.Report.Write,
}
