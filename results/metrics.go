package results

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// InstructionKeys are the statistics that count a CPU's instructions, in
// the order they are preferred: committed instructions first. For O3 CPUs
// numInsts counts executed instructions, so it comes last.
var InstructionKeys = []string{
	"committedInsts",
	"commitStats0.numInsts",
	"exec_context.thread_0.numInsts",
	"thread_0.numInsts",
	"numInsts",
	"num_insts",
}

// Global statistics under their v21+ and pre-v21 names.
var (
	simSecondsKeys  = []string{"simSeconds", "sim_seconds"}
	simInstsKeys    = []string{"simInsts", "sim_insts"}
	simTicksKeys    = []string{"simTicks", "sim_ticks"}
	hostSecondsKeys = []string{"hostSeconds", "host_seconds"}
	missKeys        = []string{
		"overallMisses::total",
		"overall_misses::total",
		"demandMisses::total",
		"demand_misses::total",
	}
	branchKeys = []string{
		"commit.branchMispredicts",
		"branchPred.condIncorrect",
		"branchPred.mispredicted_0::total",
		"iew.branchMispredicts",
	}
)

// Field is a value with the statistic it came from.
type Field struct {
	Value Value
	Key   string // full statistic name ("" when absent)
}

// Metric is a derived number with the statistics it came from.
type Metric struct {
	Value float64
	Valid bool
	From  string // e.g. "system.cpu.icache.overallMisses::total / committedInsts"
}

// CPU is one CPU-like object of a dump: any object with a cycle count and
// an instruction count.
type CPU struct {
	Name           string
	Type           string // from the config, when known
	Cycles         Field
	Instructions   Field
	InstructionKey string           // which of InstructionKeys was used
	Present        map[string]Value // every instruction-like statistic present
	IPC, CPI       Field            // as printed by gem5 ("" when not printed)
	L1I, L1D, L2   Metric           // misses per kilo-instruction
	L3             Metric           // misses per kilo-instruction of a third level, when there is one
	Branch         Metric           // branch mispredictions per kilo-instruction
	Busy           Busy             // cycles the core was neither idle nor quiesced
	// SharedL2 and SharedL3 say whether L2 and L3 are caches other cores
	// share: their MPKI then counts only this core's own misses.
	SharedL2, SharedL3 bool
}

// mpkiNames name the per-kilo-instruction metrics in mpkis' order.
var mpkiNames = [5]string{"L1I", "L1D", "L2", "L3", "branch"}

// mpkis returns the L1I, L1D, L2, L3 and branch per-kilo-instruction metrics.
func (c CPU) mpkis() [5]Metric { return [5]Metric{c.L1I, c.L1D, c.L2, c.L3, c.Branch} }

// IPCValue returns the IPC: gem5's when printed, else instructions/cycles.
func (c CPU) IPCValue() (float64, string) {
	if f, ok := c.IPC.Value.Float(); ok && c.IPC.Key != "" {
		return f, string(c.IPC.Value)
	}
	return ratio(c.Instructions.Value, c.Cycles.Value)
}

// CPIValue returns the CPI: gem5's when printed, else cycles/instructions.
func (c CPU) CPIValue() (float64, string) {
	if f, ok := c.CPI.Value.Float(); ok && c.CPI.Key != "" {
		return f, string(c.CPI.Value)
	}
	return ratio(c.Cycles.Value, c.Instructions.Value)
}

func ratio(a, b Value) (float64, string) {
	x, ok1 := a.Float()
	y, ok2 := b.Float()
	if !ok1 || !ok2 || y == 0 {
		return math.NaN(), ""
	}
	r := x / y
	return r, fmt.Sprintf("%.6f", r)
}

// DumpMetrics is what one dump says.
type DumpMetrics struct {
	// Index is the dump's position in stats.txt; -1 for the sum of a
	// per-invocation run's dumps (SumDumps), which the report measures.
	Index                                       int
	SimSeconds, SimInsts, SimTicks, HostSeconds Field
	CPUs                                        []CPU
}

// Run is one results directory: a stats.txt and what lies beside it.
type Run struct {
	Name   string // the directory's name
	Dir    string
	Stats  *Stats
	Config *SimConfig
	Meta   *RunMeta
	Dumps  []DumpMetrics
	// MeasuredDump and MeasuredCPU point at the numbers the report uses;
	// -1 when the run has no CPU-like object.
	MeasuredDump, MeasuredCPU int
	Why                       string // how the measured CPU was chosen
	Provenance                Provenance
}

// RunMeta is what vswarmu-mage's simulate stage records beside gem5's
// outputs (vswarmu.json); other runs have none. Besides the outcome it
// says what made the numbers: the gem5 (its sha256 and the version it
// printed, and whether it was the stand-in), the kernel, the disk, the
// config, the function's image, the execution mode and every parameter.
type RunMeta struct {
	RunOutcome
	RunInputs
	RunSettings
}

// RunOutcome is how a run went (JSON fields of vswarmu.json).
type RunOutcome struct {
	Function       string  `json:"function"`
	MeasuredCPU    string  `json:"measured_cpu"`
	Invocations    int     `json:"num_invocations"`
	Status         string  `json:"status"`
	Reason         string  `json:"reason"`
	Attempts       int     `json:"attempts"`
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	SetupSeconds   float64 `json:"setup_elapsed_seconds,omitempty"`
}

// RunInputs are the programs and files that made a run's numbers.
type RunInputs struct {
	Gem5        string   `json:"gem5"`
	Standin     bool     `json:"standin"`
	Gem5Version string   `json:"gem5_version,omitempty"`
	Gem5SHA256  string   `json:"gem5_sha256,omitempty"`
	Kernel      *FileID  `json:"kernel,omitempty"`
	Disk        *FileID  `json:"disk,omitempty"`
	Config      *FileID  `json:"config,omitempty"`
	Image       string   `json:"image,omitempty"`
	Command     []string `json:"command,omitempty"`
	// Gem5Patches are the project's patches the built gem5 was compiled
	// with (gem5:patch; "none"), "" for a gem5 given by GEM5.
	Gem5Patches string `json:"gem5_patches,omitempty"`
	// Gem5Probe is what the misdecode probe found on this gem5 binary.
	Gem5Probe *Gem5Probe `json:"gem5_probe,omitempty"`
	// ImageScan is what the scan of the function's image found (nil: not
	// scanned).
	ImageScan *ImageScan `json:"image_scan,omitempty"`
}

// Gem5Probe is what gem5:probe found on one gem5 binary: the known
// misdecodes it has (the probe program's exit status, decoded), or why the
// probe could not tell.
type Gem5Probe struct {
	Gem5SHA256 string      `json:"gem5_sha256"`
	Probe      string      `json:"probe"` // the probe program's version
	CPU        string      `json:"cpu"`
	Standin    bool        `json:"standin,omitempty"` // run by the stand-in (natively), not by gem5
	Status     int         `json:"status"`
	Misdecodes []string    `json:"misdecodes"` // the known misdecodes found; empty: none
	Cases      []ProbeCase `json:"cases,omitempty"`
	Error      string      `json:"error,omitempty"` // the probe could not tell
	Seconds    float64     `json:"seconds"`
}

// ProbeCase is one encoding the probe ran and whether gem5 ran it right.
type ProbeCase struct {
	Encoding  string `json:"encoding"`
	Asm       string `json:"asm"`
	Right     bool   `json:"right"`
	Misdecode string `json:"misdecode,omitempty"`
}

// Summary says in a few words what the probe found.
func (p *Gem5Probe) Summary() string {
	switch {
	case p == nil:
		return ""
	case p.Error != "":
		return "probe failed: " + p.Error
	case len(p.Misdecodes) == 0:
		return "probed: no known misdecode"
	}
	return "probed: misexecutes " + strings.Join(p.Misdecodes, ", ")
}

// RunSettings are the settings of a run: its system, how the function
// ran, every parameter, and the machines' arrangement.
type RunSettings struct {
	System     string            `json:"system"`
	Memory     string            `json:"memory,omitempty"` // the system's memory model
	ExecMode   string            `json:"exec_mode,omitempty"`
	Parameters map[string]string `json:"parameters,omitempty"`
	// Topology is single or two-machine; with two machines the client
	// ran on the drive system (its disk DriveDisk, its core DriveCPU),
	// whose numbers are listed apart and never measured.
	Topology  string  `json:"topology,omitempty"`
	DriveDisk *FileID `json:"drive_disk,omitempty"`
	DriveCPU  string  `json:"drive_cpu,omitempty"`
}

// FileID names an input file: its sha256, or for files too large to hash
// on every run (disks) its size and modification time.
type FileID struct {
	Path    string `json:"path"`
	SHA256  string `json:"sha256,omitempty"`
	Size    int64  `json:"size"`
	ModTime string `json:"mtime,omitempty"`
}

// describe names a file as a record has it: its path and its sha256, or
// its size and time ("" for none).
func (f *FileID) describe() string {
	switch {
	case f == nil:
		return ""
	case f.SHA256 != "":
		return fmt.Sprintf("%s (sha256 %.16s…)", f.Path, f.SHA256)
	}
	return fmt.Sprintf("%s (%d bytes, %s)", f.Path, f.Size, f.ModTime)
}

// DriveCPU is the drive system's core in a two-machine run (gem5-configs'
// network.py: the object drive, a simple processor of one core).
const DriveCPU = "drive.processor.cores.core"

// Machine says which simulated machine a CPU-like object belongs to:
// "drive" for the drive system of a two-machine run (objects under
// drive.), else "test" (the system under test).
func Machine(cpu string) string {
	if strings.HasPrefix(cpu, "drive.") {
		return "drive"
	}
	return "test"
}

// MetaFile is the name of the simulate stage's record in a results dir.
const MetaFile = "vswarmu.json"

// bannerVersion matches the version line of gem5's banner, and the
// stand-in's, which says it is one.
var bannerVersion = regexp.MustCompile(`^gem5 version (\S+)(.*)$`)

// Gem5Banner reads the version gem5 printed in its banner at the top of
// a gem5.log, and whether the banner is the stand-in's.
func Gem5Banner(log string) (version string, standin bool) {
	f, err := os.Open(log)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 0; sc.Scan() && n < 40; n++ {
		if m := bannerVersion.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			return m[1], strings.Contains(m[2], "stand-in")
		}
	}
	return "", false
}

// Provenance is what made a run, as far as its directory tells.
type Provenance struct {
	Standin     bool   // the stand-in gem5 made it: its numbers are not measurements
	Gem5Version string // "" when unknown
	ExecMode    string // container or process ("" when unknown)
	System      string
	ISA         string // the cores' ISA, X86 or Arm ("" when unknown)
	Topology    string // single or two-machine ("" when unknown)
	Measurement string // window or per-invocation ("" when unknown)
	Gem5SHA256  string // "" when unknown
	Kernel      string // the kernel's path and sha256, when recorded
	Disk        string // the disk's path and size, when recorded
	Image       string // the function's image
	Gem5Patches string // the project's patches compiled into gem5 ("" unknown)
	Gem5Probe   string // what the misdecode probe found on the gem5 ("" not probed)
	Memory      string // the simulated system's memory model ("" unknown)
}

// String says what made the run, as far as it is known.
func (p Provenance) String() string {
	gem5 := "gem5 " + cmp.Or(p.Gem5Version, "(version unknown)")
	if p.Standin {
		gem5 = "the stand-in gem5 (not a measurement)"
	}
	parts := []string{"made by " + gem5}
	for _, f := range [][2]string{{"system ", p.System}, {"ISA ", p.ISA}, {"function run as a ", p.ExecMode}, {"topology ", p.Topology},
		{"memory ", p.Memory}, {"measurement ", p.Measurement}, {"gem5 sha256 ", p.Gem5SHA256}, {"gem5 patches ", p.Gem5Patches},
		{"gem5 ", p.Gem5Probe}, {"kernel ", p.Kernel}, {"disk ", p.Disk}, {"image ", p.Image}} {
		if f[1] != "" {
			parts = append(parts, f[0]+f[1])
		}
	}
	return strings.Join(parts, ", ")
}

// provenance reads the run's record and gem5's banner.
func (r *Run) provenance() Provenance {
	version, standin := Gem5Banner(filepath.Join(r.Dir, LogFile))
	p := Provenance{Standin: standin, Gem5Version: version, ISA: r.Config.ISA()}
	if m := r.Meta; m != nil {
		p.Standin = p.Standin || m.Standin
		p.Gem5Version = cmp.Or(m.Gem5Version, p.Gem5Version)
		p.ExecMode, p.System = m.ExecMode, m.System
		p.Topology = cmp.Or(m.Topology, "single")
		p.Measurement = cmp.Or(m.Parameters["MEASUREMENT"], "window")
		p.Gem5SHA256, p.Image = m.Gem5SHA256, m.Image
		p.Kernel, p.Disk = m.Kernel.describe(), m.Disk.describe()
		p.Gem5Patches, p.Gem5Probe, p.Memory = m.Gem5Patches, m.Gem5Probe.Summary(), m.Memory
	}
	return p
}

// LoadRun reads a results directory.
func LoadRun(dir string) (*Run, error) {
	st, err := ReadStats(filepath.Join(dir, "stats.txt"))
	if err != nil {
		return nil, err
	}
	cfg, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Name: filepath.Base(dir), Dir: dir, Stats: st, Config: cfg, MeasuredDump: -1, MeasuredCPU: -1}
	if m, err := readMeta(dir); err == nil {
		r.Meta = m
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, d := range st.Dumps {
		r.Dumps = append(r.Dumps, analyze(d, cfg))
	}
	if r.PerInvocation() {
		// The measured numbers of a per-invocation run are its
		// invocations' together: the window without the gaps.
		r.Dumps = append(r.Dumps, analyze(SumDumps(st.Dumps), cfg))
	}
	r.chooseMeasured()
	r.Provenance = r.provenance()
	return r, nil
}

// LoadResults reads every directory under root that holds a stats.txt,
// whoever made it, sorted by name. Runs that cannot be read come back as
// errors; the others are still returned.
func LoadResults(root string) ([]*Run, []error) {
	var runs []*Run
	var errs []error
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, []error{fmt.Errorf("results %s: %w", root, err)}
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if !outputExists(filepath.Join(dir, "stats.txt")) {
			continue
		}
		r, err := LoadRun(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		runs = append(runs, r)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Name < runs[j].Name })
	return runs, errs
}

func first(d *Dump, keys []string) Field {
	for _, k := range keys {
		if v, ok := d.Value(k); ok {
			return Field{Value: v, Key: k}
		}
	}
	return Field{}
}

// analyze finds the global numbers and every CPU-like object of a dump.
func analyze(d *Dump, cfg *SimConfig) DumpMetrics {
	m := DumpMetrics{Index: d.Index,
		SimSeconds: first(d, simSecondsKeys), SimInsts: first(d, simInstsKeys),
		SimTicks: first(d, simTicksKeys), HostSeconds: first(d, hostSecondsKeys)}
	for _, s := range d.Stats {
		prefix, ok := strings.CutSuffix(s.Name, ".numCycles")
		if !ok || strings.Contains(s.Name, "::") {
			continue
		}
		c := CPU{
			Name:    prefix,
			Type:    cfg.Type(prefix),
			Cycles:  Field{Value: s.Value, Key: s.Name},
			Present: map[string]Value{},
		}
		for _, k := range InstructionKeys {
			v, ok := d.Value(prefix + "." + k)
			if !ok {
				continue
			}
			c.Present[k] = v
			if c.InstructionKey == "" {
				c.Instructions, c.InstructionKey = Field{Value: v, Key: prefix + "." + k}, k
			}
		}
		if c.InstructionKey == "" {
			continue
		}
		if v, ok := d.Value(prefix + ".ipc"); ok {
			c.IPC = Field{Value: v, Key: prefix + ".ipc"}
		}
		if v, ok := d.Value(prefix + ".cpi"); ok {
			c.CPI = Field{Value: v, Key: prefix + ".cpi"}
		}
		l1i, l1d, l2, l3 := cacheObjects(d, prefix)
		c.L1I = mpki(d, c, l1i, missKeys)
		c.L1D = mpki(d, c, l1d, missKeys)
		c.L2, c.SharedL2 = sharedMPKI(d, c, l2)
		c.L3, c.SharedL3 = sharedMPKI(d, c, l3)
		c.Branch = mpki(d, c, []string{prefix}, branchKeys)
		c.Busy = busyOf(d, c)
		m.CPUs = append(m.CPUs, c)
	}
	return m
}

// stdlibCore matches the cores of gem5 standard-library boards:
// board.processor.start<N>.core and switch<N>.core (switchable
// processors), board.processor.cores<N>.core (simple ones).
var stdlibCore = regexp.MustCompile(`^(.+)\.processor\.(start|switch|cores)(\d*)\.core$`)

// cacheObjects returns the candidate L1I, L1D, second- and third-level
// cache objects of a CPU: classic configs hang caches below the CPU
// (system.cpu.icache) and share an L2 at the root (system.l2);
// standard-library boards keep them in board.cache_hierarchy, one per
// core position (l1icaches<k>, l2caches<k>) and shared (l2cache, or
// l3cache behind private L2s). A switchable processor's start and switch
// cores of position k share the caches of position k.
func cacheObjects(d *Dump, cpu string) (l1i, l1d, l2, l3 []string) {
	root, _, _ := strings.Cut(cpu, ".")
	l1i = []string{cpu + ".icache", cpu + ".l1i", cpu + ".l1icache"}
	l1d = []string{cpu + ".dcache", cpu + ".l1d", cpu + ".l1dcache"}
	l2 = []string{cpu + ".l2cache", cpu + ".l2", root + ".l2", root + ".l2cache", root + ".llc"}
	l3 = []string{root + ".l3", root + ".l3cache"}
	m := stdlibCore.FindStringSubmatch(cpu)
	if m == nil {
		return l1i, l1d, l2, l3
	}
	hier := m[1] + ".cache_hierarchy."
	n := 0
	for d.has(fmt.Sprintf("%sl1icaches%d.%s", hier, n, missKeys[0])) || d.has(fmt.Sprintf("%sl1icaches%d.%s", hier, n, missKeys[2])) {
		n++
	}
	if n == 0 {
		return l1i, l1d, l2, l3
	}
	k, _ := strconv.Atoi(m[3])
	if m[2] == "cores" {
		k %= n // one vector numbers the start cores, then the switch cores
	}
	l1i = append([]string{fmt.Sprintf("%sl1icaches%d", hier, k)}, l1i...)
	l1d = append([]string{fmt.Sprintf("%sl1dcaches%d", hier, k)}, l1d...)
	l2 = append([]string{fmt.Sprintf("%sl2caches%d", hier, k), hier + "l2cache"}, l2...)
	l3 = append([]string{hier + "l3cache"}, l3...)
	return l1i, l1d, l2, l3
}

func (d *Dump) has(name string) bool {
	_, ok := d.byName[name]
	return ok
}

// mpki is events per thousand of c's instructions, from the first object
// and key that exist.
func mpki(d *Dump, c CPU, objects, keys []string) Metric {
	insts, ok := c.Instructions.Value.Float()
	if !ok || insts <= 0 {
		return Metric{}
	}
	for _, o := range objects {
		for _, k := range keys {
			name := o + "." + k
			if v, ok := d.Value(name); ok {
				f, ok := v.Float()
				if !ok || math.IsNaN(f) {
					return Metric{From: name}
				}
				return Metric{Value: f * 1000 / insts, Valid: true, From: name + " / " + c.InstructionKey}
			}
		}
	}
	return Metric{}
}

// sharedMPKI is a cache level's MPKI for c: of a cache only c uses (its
// private L2), every miss; of a cache other cores share, only the misses
// of c's own requestors when gem5 counts misses per requestor (it does
// since v21), else every miss. shared says which it is.
func sharedMPKI(d *Dump, c CPU, objects []string) (Metric, bool) {
	all := mpki(d, c, objects, missKeys)
	if !all.Valid {
		return all, false
	}
	cache, _, _ := strings.Cut(all.From, ".overallMisses")
	cache, _, _ = strings.Cut(cache, ".demandMisses")
	if !isShared(d, cache) {
		return all, false
	}
	own, from, ok := ownMisses(d, cache, c.Name)
	insts, _ := c.Instructions.Value.Float()
	if !ok || insts <= 0 {
		return all, true
	}
	return Metric{Value: own * 1000 / insts, Valid: true, From: "own misses: " + from + " / " + c.InstructionKey}, true
}

// isShared reports whether a cache's misses name requestors of more than
// one core (the cores of a switchable processor's two groups at one
// position count as one: they never run together).
func isShared(d *Dump, cache string) bool {
	prefix := cache + ".overallMisses::"
	cores := map[string]bool{}
	for _, s := range d.Stats {
		if sub, ok := strings.CutPrefix(s.Name, prefix); ok && sub != "total" {
			if m := requestorCore.FindStringSubmatch(sub); m != nil {
				cores[m[1]] = true
			}
		}
	}
	return len(cores) > 1
}

// requestorCore reads the core position out of a requestor's name:
// processor.switch1.core.data → 1, cpu1.dcache → 1.
var requestorCore = regexp.MustCompile(`(?:start|switch|cores|cpu)(\d+)`)

// chooseMeasured picks the numbers a report shows: the CPU the simulate
// stage named (the one the function was pinned to), else the CPU-like
// object with the most instructions; in the dump where it has the most
// instructions (counters reset between dumps, so that is the measured
// interval, not the short tail dumped at exit).
func (r *Run) chooseMeasured() {
	named := r.Meta != nil && r.Meta.MeasuredCPU != "" && r.hasCPU(r.Meta.MeasuredCPU)
	best := new(big.Int).SetInt64(-1)
	for di, d := range r.Dumps {
		if r.PerInvocation() && d.Index != -1 {
			continue // the sum of the invocations is measured
		}
		for ci, c := range d.CPUs {
			if named && c.Name != r.Meta.MeasuredCPU || Machine(c.Name) == "drive" {
				continue // the drive system's client is never measured
			}
			n, ok := c.Instructions.Value.Int()
			if !ok {
				f, fok := c.Instructions.Value.Float()
				if !fok || math.IsNaN(f) {
					continue
				}
				n, _ = new(big.Float).SetFloat64(f).Int(nil)
			}
			if n.Cmp(best) > 0 {
				best, r.MeasuredDump, r.MeasuredCPU = n, di, ci
			}
		}
	}
	switch {
	case r.MeasuredCPU < 0:
		r.Why = "no object has both numCycles and an instruction count"
	case named:
		r.Why = fmt.Sprintf("the CPU the function ran on (%s), in its busiest dump", MetaFile)
	case r.Meta != nil && r.Meta.MeasuredCPU != "":
		r.Why = fmt.Sprintf(
			"%s names %s, which the stats do not have; so the CPU with the most instructions, in its busiest dump",
			MetaFile,
			r.Meta.MeasuredCPU,
		)
	default:
		r.Why = "the CPU with the most instructions, in its busiest dump"
	}
}

// hasCPU reports whether any dump has a CPU-like object of that name.
func (r *Run) hasCPU(name string) bool {
	for _, d := range r.Dumps {
		for _, c := range d.CPUs {
			if c.Name == name {
				return true
			}
		}
	}
	return false
}

// Measured returns the measured dump and CPU.
func (r *Run) Measured() (DumpMetrics, CPU, bool) {
	if r.MeasuredCPU < 0 {
		return DumpMetrics{}, CPU{}, false
	}
	d := r.Dumps[r.MeasuredDump]
	return d, d.CPUs[r.MeasuredCPU], true
}
