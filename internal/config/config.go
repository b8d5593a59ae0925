// Package config reads the tool's settings from environment variables with
// the original Makefiles' names, remembers where each value came from and
// rejects invalid values before any work starts.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Size is a number of bytes written as 512M, 2G, 16GiB or 1048576.
type Size int64

// MiB returns the size in whole mebibytes.
func (s Size) MiB() int64 { return int64(s) >> 20 }

// String renders the size the way qemu and gem5 read it (2048M, 2G).
func (s Size) String() string {
	switch {
	case s > 0 && s%(1<<30) == 0:
		return fmt.Sprintf("%dG", s>>30)
	case s > 0 && s%(1<<20) == 0:
		return fmt.Sprintf("%dM", s>>20)
	}
	return strconv.FormatInt(int64(s), 10)
}

var sizeRE = regexp.MustCompile(`^(\d+)\s*([KMGT]?)(I?B)?$`)

// ParseSize reads 512M, 2G, 16GiB, 2GB (binary units, as qemu-img does) or
// a plain number of bytes.
func ParseSize(s string) (Size, error) {
	m := sizeRE.FindStringSubmatch(strings.ToUpper(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size like 512M, 2G or 16GiB", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	shift := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[m[2]]
	if n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return Size(n << shift), nil
}

// Config is the effective configuration. Each field's tags say its
// variable (env), default, allowed values, whether it is a path (made
// absolute against the project directory) that must exist (exists: a file,
// or "dir"), keywords that stand for themselves instead of a path, its
// group and its doc line.
type Config struct {
	Resources  string `env:"RESOURCES" default:"./resources" path:"1" group:"paths" doc:"long-lived artifacts: gem5, kernel, disk image, client"`
	WorkingDir string `env:"WORKING_DIR" default:"./wkdir" path:"1" group:"paths" doc:"run scripts, checkpoints, results, logs and the engine's state (.vswarmu)"`
	Gem5Dir    string `env:"GEM5_DIR" default:"${RESOURCES}/gem5" path:"1" group:"paths" doc:"gem5 source checkout and build"`

	Gem5Repo    string `env:"GEM5_REPO" default:"https://github.com/gem5/gem5.git" group:"gem5" doc:"gem5 repository: URL, mirror or local path"`
	Gem5Version string `env:"GEM5_VERSION" legacy:"VERSION" default:"v24.0.0.0" match:"^[A-Za-z0-9][A-Za-z0-9._/+-]*$" group:"gem5" doc:"gem5 tag, branch or commit to build"`
	Arch        string `env:"ARCH" default:"amd64" allowed:"amd64,arm64" group:"gem5" doc:"guest architecture (kernel, disk image, client)"`
	Gem5Arch    string `env:"GEM5_ARCH" default:"${ARCH:amd64=X86,arm64=ARM}" allowed:"X86,ARM" group:"gem5" doc:"gem5 ISA to build (build/<GEM5_ARCH>/gem5.opt)"`
	Gem5        string `env:"GEM5" path:"1" exists:"1" keywords:"standin" group:"gem5" doc:"use this gem5.opt instead of building one; standin runs the built-in stand-in (dry runs, no gem5)"`
	CCache      bool   `env:"CCACHE" default:"0" group:"gem5" doc:"compile gem5 through ccache so rebuilds after a version bump reuse objects"`
	Gem5Ruby    string `env:"GEM5_RUBY" default:"none" allowed:"none,MESI_Two_Level,MESI_Three_Level,MESI_Three_Level_HTM,MI_example,MOESI_CMP_directory,MOESI_CMP_token,MOESI_hammer,CHI,GPU_VIPER" group:"gem5" doc:"Ruby coherence protocol gem5:build compiles in: none (classic caches only, all the configs use; a shorter build) or a protocol"`

	KVersion       string   `env:"KVERSION" default:"v5.4.84" match:"^v?[0-9]+\\.[0-9]+(\\.[0-9]+)?$" group:"kernel" doc:"Linux version to build"`
	KernelSource   string   `env:"KERNEL_SOURCE" default:"kernel.org" group:"kernel" doc:"kernel.org (tarball, sha256 checked), git (stable tree), debian (Debian's linux-source package, offline) or a local tarball/directory"`
	KernelBase     string   `env:"KERNEL_BASE" default:"defconfig" allowed:"defconfig,tinyconfig" group:"kernel" doc:"base configuration the gem5/container fragment is merged onto"`
	KernelMirror   string   `env:"KERNEL_MIRROR" default:"https://cdn.kernel.org/pub/linux/kernel" group:"kernel" doc:"kernel.org mirror: tarballs and sha256sums.asc under v<major>.x/"`
	KernelChecksum string   `env:"KERNEL_CHECKSUM" group:"kernel" doc:"checksum of a KERNEL_SOURCE tarball (sha256:<hex> or file:<checksum list URL>)"`
	KernelPatches  []string `env:"KERNEL_PATCHES" group:"kernel" doc:"patches kernel:patch applies to the source (once)"`
	KernelFrags    []string `env:"KERNEL_FRAGMENTS" group:"kernel" doc:"extra config fragments merged after kernel/configs"`
	KernelConfig   string   `env:"KERNEL_CONFIG" path:"1" group:"kernel" doc:".config that kernel:check checks (default: the kernel stage's)"`
	Kernel         string   `env:"KERNEL" path:"1" exists:"1" group:"kernel" doc:"use this vmlinux instead of building one"`

	ImageBuilder  string   `env:"IMAGE_BUILDER" default:"debootstrap" allowed:"debootstrap,autoinstall" group:"image" doc:"how the base disk is made"`
	UbuntuVersion string   `env:"UBUNTU_VERSION" default:"focal" allowed:"focal,jammy" group:"image" doc:"Ubuntu release of the disk image"`
	DebianVersion string   `env:"DEBIAN_VERSION" default:"bookworm" allowed:"bullseye,bookworm,trixie" group:"image" doc:"Debian release of the disk image (DISTRO=debian)"`
	ImagePackages []string `env:"IMAGE_PACKAGES" group:"image" doc:"extra packages for the debootstrap builder"`
	ISOURL        string   `env:"ISO_URL" group:"image" doc:"installer ISO for IMAGE_BUILDER=autoinstall (default: the original's Ubuntu live-server release)"`
	ISOSHA256     string   `env:"ISO_SHA256" match:"^[0-9a-f]{64}$" group:"image" doc:"sha256 of ISO_URL"`
	Distro        string   `env:"DISTRO" default:"ubuntu" allowed:"ubuntu,debian" group:"image" doc:"distribution of the disk image (debootstrap builder)"`
	Mirror        string   `env:"MIRROR" group:"image" doc:"apt mirror for the debootstrap builder (default: the distribution's public mirror)"`
	DiskSize      Size     `env:"DISK_SIZE" default:"16G" group:"image" doc:"size of the disk image"`
	Disk          string   `env:"DISK" path:"1" exists:"1" group:"image" doc:"use this disk image instead of building one"`
	UbuntuKeyring string   `env:"UBUNTU_KEYRING" path:"1" exists:"1" group:"image" doc:"Ubuntu's archive keyring for DISTRO=ubuntu on hosts without the ubuntu-keyring package (Debian): a copy of ubuntu-archive-keyring.gpg"`
	M5Util        string   `env:"M5_UTIL" default:"builtin" path:"1" exists:"1" keywords:"builtin,gem5" group:"image" doc:"the guest's m5 utility: builtin (this project's static Go m5, built by client:build), gem5 (gem5's util/m5, built by gem5:m5) or a file"`
	KernelOut     string   `env:"KERNEL_OUT" default:"${RESOURCES}/vmlinux-${DISTRO}-${ARCH}" path:"1" group:"kernel" doc:"where kernel:save puts vmlinux"`
	RootPassword  string   `env:"ROOT_PASSWORD" default:"root" secret:"1" group:"image" doc:"root password in the disk image (the original's default, warned about)"`

	Memory  Size   `env:"MEMORY" default:"2G" group:"guest" doc:"guest memory (qemu and gem5)"`
	CPUs    int    `env:"CPUS" default:"2" min:"1" group:"guest" doc:"guest CPUs"`
	CPU     string `env:"CPU" default:"auto" group:"guest" doc:"qemu acceleration: auto (KVM if a probe boot works, else TCG), kvm, tcg, or a -cpu model for TCG"`
	Client  string `env:"CLIENT" path:"1" exists:"1" group:"guest" doc:"use this client binary instead of building one"`
	Persist bool   `env:"PERSIST" default:"0" group:"guest" doc:"image:run keeps the changes made in the booted disk (else they are dropped)"`

	FunctionsYAML  string        `env:"FUNCTIONS_YAML" path:"1" exists:"1" group:"simulation" doc:"compose file of the functions (default: functions/functions.yaml)"`
	Images         string        `env:"IMAGES" default:"registry" path:"1" exists:"dir" keywords:"registry,reference" group:"simulation" doc:"where the guest gets function images: registry (Docker Hub), reference (the Go reference functions, offline) or a directory of docker-archive tarballs"`
	InstalledDisk  string        `env:"INSTALLED_DISK" path:"1" exists:"1" keywords:"tiny" group:"simulation" doc:"a raw disk that has the functions installed already: skips functions:install; tiny builds the tiny busybox disk (functions:tiny, EXEC_MODE=process)"`
	ExecMode       string        `env:"EXEC_MODE" default:"container" allowed:"container,process" group:"simulation" doc:"how the run script starts a function: container (docker-compose, vSwarm-u's way) or process (its container's command as a plain process)"`
	SetupCPU       string        `env:"SETUP_CPU" default:"auto" allowed:"auto,kvm,atomic" group:"simulation" doc:"cores that boot in gem5's setup run: kvm, atomic, or auto (KVM when a probe boot works)"`
	Warmup         int           `env:"WARMUP_INVOCATIONS" default:"5000" min:"0" group:"simulation" doc:"client warm-up invocations before the checkpoint (cheap on KVM cores)"`
	RootDevice     string        `env:"ROOT_DEVICE" default:"auto" group:"simulation" doc:"root device gem5's kernel mounts: auto (/dev/hda2 for KVERSION < 5.14, else /dev/sda2) or a device"`
	Functions      []string      `env:"FUNCTIONS" group:"simulation" doc:"functions to install and simulate (default: functions/functions.list)"`
	System         string        `env:"SYSTEM" default:"simple" allowed:"simple,skylake" group:"simulation" doc:"simulated system"`
	DetailedCPU    string        `env:"DETAILED_CPU" default:"auto" allowed:"auto,timing,o3" group:"simulation" doc:"cores the evaluation measures on: auto (the system's: simple timing, skylake o3), timing or o3 (gem5 v24's MinorCPU makes no progress on x86)"`
	AtomicWarming  int           `env:"ATOMIC_WARMING" default:"10" min:"0" group:"simulation" doc:"invocations on the atomic CPU before the detailed CPU takes over"`
	NumInvocations int           `env:"NUM_INVOCATIONS" default:"10" min:"1" group:"simulation" doc:"measured invocations per function"`
	BootTimeout    time.Duration `env:"BOOT_TIMEOUT" default:"20m" group:"simulation" doc:"limit for a qemu guest run (install, finalize, probe)"`
	SimTimeout     time.Duration `env:"SIM_TIMEOUT" default:"6h" group:"simulation" doc:"limit for one gem5 run"`
	HangTimeout    time.Duration `env:"HANG_TIMEOUT" default:"15m" group:"simulation" doc:"a gem5 run with no output for this long is killed as hung and retried once"`

	Jobs        int    `env:"JOBS" min:"1" group:"engine" doc:"parallel recipes (default: number of CPUs)"`
	DryRun      bool   `env:"DRY_RUN" default:"0" group:"engine" doc:"print what would run and why; change nothing"`
	Force       string `env:"FORCE" group:"engine" doc:"rules to run even when up to date: comma-separated names or all"`
	KeepGoing   bool   `env:"KEEP_GOING" default:"0" group:"engine" doc:"after a failure, finish the rules that do not depend on it"`
	Verbose     bool   `env:"VERBOSE" default:"0" group:"engine" doc:"echo recipe output to the terminal (it always goes to wkdir/logs)"`
	GraphFormat string `env:"GRAPH_FORMAT" default:"dot" allowed:"dot,mermaid" group:"engine" doc:"format of mage graph"`
	LockWait    bool   `env:"LOCK_WAIT" default:"0" group:"engine" doc:"wait for another run on the same working directory instead of failing"`
	AutoInstall bool   `env:"AUTO_INSTALL" default:"1" group:"engine" doc:"install the apt packages the rules about to run need (as root or with password-less sudo); 0 leaves that to the depInstall targets"`

	// ProjectDir is the directory relative paths are resolved against.
	ProjectDir string `env:"-"`

	values []Value
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

// FromEnv loads the configuration from the process environment, resolving
// relative paths against the current directory.
func FromEnv() (*Config, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	return Load(os.LookupEnv, wd)
}

// Load reads every variable through lookup. All invalid values are reported
// together, each naming its variable and what it accepts.
func Load(lookup Lookup, projectDir string) (*Config, error) {
	c := &Config{ProjectDir: projectDir}
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	resolved := map[string]string{}
	var errs []error
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "" || name == "-" {
			continue
		}
		raw, source := "", "default"
		if val, ok := lookup(name); ok && val != "" {
			raw, source = val, "environment"
		} else if legacy := f.Tag.Get("legacy"); legacy != "" {
			if val, ok := lookup(legacy); ok && val != "" {
				raw, source = val, "environment ("+legacy+", the original Makefile's name)"
			}
		}
		if source == "default" {
			raw = expand(f.Tag.Get("default"), resolved)
			if strings.Contains(f.Tag.Get("default"), "${") {
				source = "default, from " + strings.Join(refs(f.Tag.Get("default")), ", ")
			}
			if name == "JOBS" && raw == "" {
				raw, source = strconv.Itoa(runtime.NumCPU()), "default (number of CPUs)"
			}
		}
		if f.Tag.Get("path") != "" && raw != "" && !isKeyword(f, raw) {
			if strings.HasPrefix(raw, "~/") {
				if home, err := os.UserHomeDir(); err == nil {
					raw = filepath.Join(home, raw[2:])
				}
			}
			if !filepath.IsAbs(raw) {
				raw = filepath.Join(projectDir, raw)
			}
			raw = filepath.Clean(raw)
		}
		if err := set(v.Field(i), f, raw); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q (%s): %w", name, raw, source, err))
		}
		resolved[name] = raw
		shown := raw
		if f.Type.Kind() == reflect.Slice {
			shown = strings.Join(v.Field(i).Interface().([]string), " ")
		}
		c.values = append(c.values, Value{Name: name, Value: shown, Source: source,
			Group: f.Tag.Get("group"), Doc: f.Tag.Get("doc"), Secret: f.Tag.Get("secret") != ""})
	}
	if (c.ISOURL == "") != (c.ISOSHA256 == "") {
		errs = append(errs, fmt.Errorf("ISO_URL and ISO_SHA256 go together: set both or neither"))
	}
	if err := c.crossCheck(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, &Error{Errs: errs}
	}
	return c, nil
}

// Error lists every invalid variable.
type Error struct{ Errs []error }

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, err := range e.Errs {
		b.WriteString("\n  " + err.Error())
	}
	b.WriteString("\n(run `mage config` to see every setting and where it comes from)")
	return b.String()
}

// Unwrap returns the individual errors.
func (e *Error) Unwrap() []error { return e.Errs }

// crossCheck rejects combinations that cannot work.
func (c *Config) crossCheck() error {
	if c.Arch == "arm64" && c.Gem5Arch == "X86" || c.Arch == "amd64" && c.Gem5Arch == "ARM" {
		return fmt.Errorf("GEM5_ARCH=%s does not simulate ARCH=%s guests: use GEM5_ARCH=%s or change ARCH",
			c.Gem5Arch, c.Arch, map[string]string{"amd64": "X86", "arm64": "ARM"}[c.Arch])
	}
	if c.InstalledDisk == "tiny" && c.ExecMode != "process" {
		return fmt.Errorf("INSTALLED_DISK=tiny has no docker: its functions run as plain processes; set EXEC_MODE=process")
	}
	return nil
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

func refs(def string) []string {
	var out []string
	for _, m := range refRE.FindAllStringSubmatch(def, -1) {
		out = append(out, m[1])
	}
	return out
}

// isKeyword reports that raw is one of the field's keywords: a value that
// stands for itself where a path is otherwise expected (GEM5=standin).
func isKeyword(f reflect.StructField, raw string) bool {
	kw := f.Tag.Get("keywords")
	return kw != "" && slices.Contains(strings.Split(kw, ","), raw)
}

// set parses raw into field fv according to its type and tags.
func set(fv reflect.Value, f reflect.StructField, raw string) error {
	if allowed := f.Tag.Get("allowed"); allowed != "" {
		ok := false
		for _, a := range strings.Split(allowed, ",") {
			if raw == a {
				ok = true
			}
		}
		if !ok {
			return fmt.Errorf("allowed values are %s", strings.ReplaceAll(allowed, ",", ", "))
		}
	}
	if m := f.Tag.Get("match"); m != "" && raw != "" && !regexp.MustCompile(m).MatchString(raw) {
		return fmt.Errorf("does not look like a valid value (want %s)", m)
	}
	if exists := f.Tag.Get("exists"); exists != "" && raw != "" && !isKeyword(f, raw) {
		kind := "file"
		if exists == "dir" {
			kind = "directory"
		}
		alternatives := "an existing " + kind
		if kw := f.Tag.Get("keywords"); kw != "" {
			alternatives = strings.ReplaceAll(kw, ",", ", ") + " or " + alternatives
		}
		if fi, err := os.Stat(raw); err != nil || exists == "dir" && !fi.IsDir() {
			return fmt.Errorf("no such %s: set it to %s, or unset it for the default", kind, alternatives)
		}
	}
	switch {
	case f.Type == reflect.TypeOf(Size(0)):
		s, err := ParseSize(raw)
		if err != nil {
			return err
		}
		if s <= 0 {
			return errors.New("must be larger than 0")
		}
		fv.SetInt(int64(s))
	case f.Type == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("not a duration like 90s, 20m or 6h")
		}
		if d <= 0 {
			return errors.New("must be positive")
		}
		fv.SetInt(int64(d))
	case f.Type.Kind() == reflect.Bool:
		b, err := parseBool(raw)
		if err != nil {
			return err
		}
		fv.SetBool(b)
	case f.Type.Kind() == reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return fmt.Errorf("not a whole number")
		}
		if m := f.Tag.Get("min"); m != "" {
			if lo, _ := strconv.Atoi(m); n < lo {
				return fmt.Errorf("must be at least %d", lo)
			}
		}
		fv.SetInt(int64(n))
	case f.Type.Kind() == reflect.Slice:
		fv.Set(reflect.ValueOf(strings.FieldsFunc(raw, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\n' || r == '\t'
		})))
	default:
		fv.SetString(raw)
	}
	return nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
		return false, nil
	}
	return false, errors.New("allowed values are 1/true/yes/on and 0/false/no/off")
}

// StateDir is the engine's directory: build log, PID registry, lock.
func (c *Config) StateDir() string { return filepath.Join(c.WorkingDir, ".vswarmu") }

// LogDir holds one log per rule.
func (c *Config) LogDir() string { return filepath.Join(c.WorkingDir, "logs") }

// ResultsDir holds one directory of gem5 outputs per function.
func (c *Config) ResultsDir() string { return filepath.Join(c.WorkingDir, "results") }

// KernelVersion returns KVERSION without its leading "v" (5.4.84).
func (c *Config) KernelVersion() string { return strings.TrimPrefix(c.KVersion, "v") }
