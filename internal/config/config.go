// Package config reads the tool's settings from environment variables with
// the original Makefiles' names, remembers where each value came from and
// rejects invalid values before any work starts.
//
// Each setting is one entry of the table in settings.go: its name, default,
// Kind (what its text means and how it is checked), group and doc line. The
// table is the only place a setting is declared; `mage config` and the
// README table list it from there.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Config is the effective configuration: one field per setting, in the
// groups `mage config` shows (Setting.Group; the simulation group is
// Workload and Measure), so that a stage can take its group alone.
type Config struct {
	Paths
	Gem5Settings
	KernelSettings
	ImageSettings
	GuestSettings
	WorkloadSettings
	MeasureSettings
	EngineSettings
	ReleaseSettings
	SlurmSettings

	// ProjectDir is the directory relative paths are resolved against.
	ProjectDir string

	values []Value
}

// Paths are where resources, working files and gem5's checkout go.
type Paths struct {
	Resources  string
	WorkingDir string
	Gem5Dir    string
}

// Gem5Settings choose the gem5 to build or use.
type Gem5Settings struct {
	Gem5Repo    string
	Gem5Version string
	Arch        string
	Gem5Arch    string
	Gem5        string
	Bootloader  string
	CCache      bool
	Gem5Ruby    string
	Gem5Patches string
}

// KernelSettings choose the guest kernel to build or use.
type KernelSettings struct {
	KVersion       string
	KernelSource   string
	KernelBase     string
	KernelMirror   string
	KernelChecksum string
	KernelPatches  []string
	KernelFrags    []string
	KernelConfig   string
	Kernel         string
	KernelOut      string
}

// ImageSettings choose the disk image to build or use.
type ImageSettings struct {
	ImageBuilder  string
	UbuntuVersion string
	DebianVersion string
	ImagePackages []string
	ISOURL        string
	ISOSHA256     string
	Distro        string
	Mirror        string
	DiskSize      Size
	Disk          string
	UbuntuKeyring string
	M5Util        string
	RootPassword  string
	// ContainerRuntime is built (image:runtime) or distribution.
	ContainerRuntime string
}

// GuestSettings shape the qemu guest that installs functions.
type GuestSettings struct {
	Memory  Size
	CPUs    int
	CPU     string
	Client  string
	Persist bool
}

// WorkloadSettings are the simulation group's functions, how they run and
// on which machines.
type WorkloadSettings struct {
	FunctionsYAML  string
	Images         string
	InstalledDisk  string
	ExecMode       string
	SetupCPU       string
	BootCheckpoint bool
	Topology       string
	LinkDelay      string
	LinkBandwidth  string
	DriveDisk      string
	Warmup         int
	RootDevice     string
	Functions      []string
	// LukewarmFunctions are simulate:lukewarm's set ("" = Functions).
	LukewarmFunctions []string
	KernelArgs        string // more kernel command line arguments
	SimulatedInit     string // lean or systemd
	GuestIdle         string // halt or kernel
	GuestCPUTimes     bool   // setups print the guest's CPU time accounting
}

// MeasureSettings are the simulation group's measured system and window,
// and how long gem5 may take.
type MeasureSettings struct {
	System         string
	DetailedCPU    string
	AtomicWarming  int
	NumInvocations int
	Measurement    string // window or per-invocation
	AcceptSuspect  bool   // report:check passes suspect runs
	BootTimeout    time.Duration
	SimTimeout     time.Duration
	HangTimeout    time.Duration
}

// EngineSettings steer the build engine.
type EngineSettings struct {
	Jobs        int
	DryRun      bool
	Force       string
	KeepGoing   bool
	Verbose     bool
	GraphFormat string
	LockWait    bool
	AutoInstall bool
	// AptLockTimeout bounds the wait for another apt's lock.
	AptLockTimeout time.Duration
}

// ReleaseSettings say where resources come from and releases go.
type ReleaseSettings struct {
	ResourcesFrom   string
	ReleaseRepo     string
	ReleaseTag      string
	ReleaseAPI      string
	ReleasePartSize Size
}

// SlurmSettings are the cluster executor's.
type SlurmSettings struct {
	Executor       string
	SlurmShared    []string
	SlurmPartition string
	SlurmAccount   string
	SlurmQOS       string
	SlurmMemory    Size
	SlurmOptions   string
	SlurmMaxJobs   int
}

// Setting declares one environment variable.
type Setting struct {
	Name        string                        // variable name
	Legacy      string                        // the original Makefile's name, also read
	Default     string                        // may refer to earlier settings: ${NAME}
	DefaultFrom func() (value, source string) // a default computed on this machine
	Kind        Kind                          // what the text means and how it is checked
	Group       string                        // heading in `mage config`
	Doc         string                        // one line for `mage config` and README
	Secret      bool                          // shown as *** by `mage config`

	field func(*Config) any // pointer to the Config field the value goes to
}

// Value is one variable's effective value and where it came from.
type Value struct {
	Name   string
	Value  string
	Source string
	Group  string
	Doc    string
	Secret bool
}

// Values returns every variable, in declaration order, for `mage config`.
func (c *Config) Values() []Value { return c.values }

// Lookup reads a variable; os.LookupEnv in real runs.
type Lookup func(name string) (string, bool)

// Option adjusts what Load accepts.
type Option func(map[string]Kind)

// WithChoices makes the setting name accept exactly words: the caller knows
// them from elsewhere (SYSTEM's from gem5-configs/systems.json).
func WithChoices(name string, words ...string) Option {
	return func(kinds map[string]Kind) { kinds[name] = Choice(words) }
}

// FromEnv loads the configuration from the process environment, resolving
// relative paths against the current directory.
func FromEnv(opts ...Option) (*Config, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Load(os.LookupEnv, wd, opts...)
}

// Load reads every setting through lookup. All invalid values are reported
// together, each naming its variable and what it accepts.
func Load(lookup Lookup, projectDir string, opts ...Option) (*Config, error) {
	c := &Config{ProjectDir: projectDir}
	kinds := map[string]Kind{}
	for _, o := range opts {
		o(kinds)
	}
	resolved := map[string]string{}
	bad := map[string]bool{}
	var errs []error
	for _, s := range Settings() {
		if k, ok := kinds[s.Name]; ok {
			s.Kind = k
		}
		raw, source := s.text(lookup, resolved)
		shown, err := s.Kind.set(raw, projectDir, s.field(c))
		if err != nil {
			bad[s.Name] = true
			// A default made from an invalid setting is wrong because of
			// it: only that setting's error is said.
			if !strings.HasPrefix(source, "default, from ") || !slices.ContainsFunc(refs(s.Default), func(n string) bool { return bad[n] }) {
				errs = append(errs, fmt.Errorf("%s=%q (%s): %w", s.Name, shown, source, err))
			}
		}
		resolved[s.Name] = shown
		c.values = append(c.values, Value{Name: s.Name, Value: shown, Source: source,
			Group: s.Group, Doc: s.Doc, Secret: s.Secret})
	}
	errs = append(errs, c.crossCheck()...)
	if len(errs) > 0 {
		return nil, &Error{Errs: errs}
	}
	return c, nil
}

// text returns the setting's text and where it came from: the environment,
// its legacy name, or its default.
func (s Setting) text(lookup Lookup, resolved map[string]string) (raw, source string) {
	if val, ok := lookup(s.Name); ok && val != "" {
		return val, "environment"
	}
	if s.Legacy != "" {
		if val, ok := lookup(s.Legacy); ok && val != "" {
			return val, "environment (" + s.Legacy + ", the original Makefile's name)"
		}
	}
	if s.DefaultFrom != nil {
		return s.DefaultFrom()
	}
	if names := refs(s.Default); len(names) > 0 {
		return expand(s.Default, resolved), "default, from " + strings.Join(names, ", ")
	}
	return s.Default, "default"
}

// Error lists every invalid variable.
type Error struct{ Errs []error }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, err := range e.Errs {
		b.WriteString("\n  " + err.Error())
	}
	return b.String()
}

// Unwrap returns the individual errors.
func (e *Error) Unwrap() []error { return e.Errs }

// crossCheck rejects combinations that cannot work.
func (c *Config) crossCheck() []error {
	var errs []error
	if (c.ISOURL == "") != (c.ISOSHA256 == "") {
		errs = append(errs, fmt.Errorf("ISO_URL and ISO_SHA256 go together: set both or neither"))
	}
	if c.Arch == "arm64" && c.Gem5Arch == "X86" || c.Arch == "amd64" && c.Gem5Arch == "ARM" {
		errs = append(errs, fmt.Errorf("GEM5_ARCH=%s does not simulate ARCH=%s guests: use GEM5_ARCH=%s or change ARCH",
			c.Gem5Arch, c.Arch, map[string]string{"amd64": "X86", "arm64": "ARM"}[c.Arch]))
	}
	if c.SetupCPU == "kvm" && c.Arch != runtime.GOARCH && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		errs = append(errs, fmt.Errorf("SETUP_CPU=kvm runs ARCH=%s guests only on an %s host (this one is %s): "+
			"use SETUP_CPU=atomic, or auto", c.Arch, c.Arch, runtime.GOARCH))
	}
	if c.Arch == "arm64" && c.GuestIdle == "kernel" {
		errs = append(
			errs,
			fmt.Errorf(
				"GUEST_IDLE=kernel is for ARCH=amd64 (it drops idle=halt from the x86 kernel's command line); arm64 idles in WFI: unset GUEST_IDLE",
			),
		)
	}
	if c.Executor == "slurm" && len(c.SlurmShared) == 0 {
		errs = append(
			errs,
			fmt.Errorf(
				"EXECUTOR=slurm needs SLURM_SHARED: the path prefixes the compute nodes see (for example /home /scratch; / on a single-node cluster)",
			),
		)
	}
	if c.InstalledDisk == "release" && c.ResourcesFrom != "release" {
		errs = append(
			errs,
			fmt.Errorf("INSTALLED_DISK=release takes the installed disk of a release: set RESOURCES_FROM=release too"),
		)
	}
	if c.InstalledDisk == "tiny" && c.ExecMode != "process" {
		errs = append(
			errs,
			fmt.Errorf(
				"INSTALLED_DISK=tiny has no docker: its functions run as plain processes; set EXEC_MODE=process",
			),
		)
	}
	return errs
}

var refRE = regexp.MustCompile(`\$\{([A-Z0-9_]+)(:[^}]*)?\}`)

// expand replaces ${NAME} with an already-resolved value and
// ${NAME:a=x,b=y} with the mapping of that value.
func expand(def string, resolved map[string]string) string {
	return refRE.ReplaceAllStringFunc(def, func(m string) string {
		sub := refRE.FindStringSubmatch(m)
		val := resolved[sub[1]]
		if sub[2] == "" {
			return val
		}
		for _, pair := range strings.Split(sub[2][1:], ",") {
			if k, out, ok := strings.Cut(pair, "="); ok && k == val {
				return out
			}
		}
		return ""
	})
}

// refs names the settings a default refers to.
func refs(def string) []string {
	var out []string
	for _, m := range refRE.FindAllStringSubmatch(def, -1) {
		out = append(out, m[1])
	}
	return out
}

// StateDir is the engine's directory: build log, PID registry, lock.
func (c *Config) StateDir() string { return filepath.Join(c.WorkingDir, ".vswarmu") }

// LogDir holds one log per rule.
func (c *Config) LogDir() string { return filepath.Join(c.WorkingDir, "logs") }

// ResultsDir holds one directory of gem5 outputs per function.
func (c *Config) ResultsDir() string { return filepath.Join(c.WorkingDir, "results") }

// KernelVersion returns KVERSION without its leading "v" (5.4.84).
func (c *Config) KernelVersion() string { return strings.TrimPrefix(c.KVersion, "v") }
