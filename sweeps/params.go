package sweeps

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Knowledge is what a sweep file is checked against: the systems and
// detailed core types gem5-configs declares, the functions of the
// catalogue, and how many invocations a checkpoint's client runs.
type Knowledge struct {
	Systems      map[string]System // by name
	DetailedCPUs []string
	MemoryModels []string // the memory models a point can take
	Functions    []string // the function list: the installed disk holds only those
	// ClientInvocations is how many invocations the checkpoint's client
	// runs: warming and measured ones of a point must fit in it.
	ClientInvocations int
	// System is SYSTEM: the system of points that do not sweep it.
	System string
	// AtomicWarming and Invocations are ATOMIC_WARMING and
	// NUM_INVOCATIONS, for points that do not sweep them.
	AtomicWarming, Invocations int
}

// System is what a sweep needs to know of a simulated system.
type System struct {
	Levels []string // cache levels as the statistics name them: l1i, l1d, l2[, l3]
}

// Param is a parameter a sweep can vary.
type Param struct {
	Name string // in the sweep file
	Arg  string // run_sim.py's option
	Doc  string
	// check says what is wrong with a value ("" when nothing).
	check func(v string, k Knowledge) string
}

// Params are the parameters a sweep can vary, in README's order.
func Params() []Param {
	out := []Param{
		{Name: "system", Arg: "--system", Doc: "simulated system (gem5-configs/systems.json)", check: checkSystem},
		{Name: "detailed_cpu", Arg: "--detailed-cpu", Doc: "cores measured on (timing, o3)", check: checkDetailed},
		{Name: "clock", Arg: "--clock", Doc: "core clock (3GHz, 2500MHz)", check: checkClock},
	}
	for _, l := range []string{"l1i", "l1d", "l2", "l3"} {
		out = append(
			out,
			Param{
				Name:  l + "_size",
				Arg:   "--" + l + "-size",
				Doc:   l + " size per cache (32kB, 2MB; a power of two)",
				check: checkSize,
			},
			Param{Name: l + "_assoc", Arg: "--" + l + "-assoc", Doc: l + " ways (a power of two)", check: checkAssoc},
		)
	}
	return append(
		out,
		Param{Name: "prefetch", Arg: "--prefetch", Doc: "the L1s' next-line prefetchers (on, off)", check: checkOnOff},
		Param{
			Name:  "memory_model",
			Arg:   "--memory-model",
			Doc:   "main memory model: simple (SimpleMemory 30 ns, 12.8 GiB/s) or a DRAM channel (DDR4_2400, DDR3_1600, ...)",
			check: checkMemoryModel,
		},
		Param{Name: "num_invocations", Arg: "--num-invocations", Doc: "measured invocations", check: checkCount(1)},
		Param{
			Name:  "atomic_warming",
			Arg:   "--atomic-warming",
			Doc:   "invocations on atomic cores before the switch",
			check: checkCount(0),
		},
	)
}

// notSweepable are settings a sweep file may name that one checkpoint
// cannot vary, and why.
var notSweepable = map[string]string{
	"memory": "the checkpoint holds the guest's memory (MEMORY): sweep it with separate working directories",
	"cpus":   "the checkpoint holds the guest's cores (CPUS): sweep it with separate working directories",
}

func param(name string) (Param, bool) {
	i := slices.IndexFunc(Params(), func(p Param) bool { return p.Name == name })
	if i < 0 {
		return Param{}, false
	}
	return Params()[i], true
}

func paramNames() string {
	var names []string
	for _, p := range Params() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

func checkSystem(v string, k Knowledge) string {
	if _, ok := k.Systems[v]; !ok {
		return fmt.Sprintf(
			"no system %q in gem5-configs/systems.json (%s)",
			v,
			strings.Join(sortedKeys(k.Systems), ", "),
		)
	}
	return ""
}

func checkMemoryModel(v string, k Knowledge) string {
	if !slices.Contains(k.MemoryModels, v) {
		return fmt.Sprintf("no memory model %q (%s)", v, strings.Join(k.MemoryModels, ", "))
	}
	return ""
}

func checkDetailed(v string, k Knowledge) string {
	if !slices.Contains(k.DetailedCPUs, v) {
		return fmt.Sprintf("detailed cores are %s", strings.Join(k.DetailedCPUs, ", "))
	}
	return ""
}

var clockRE = regexp.MustCompile(`^\d+(\.\d+)?(GHz|MHz)$`)

func checkClock(v string, _ Knowledge) string {
	if !clockRE.MatchString(v) {
		return "a clock is written like 3GHz or 2500MHz"
	}
	return ""
}

var sizeRE = regexp.MustCompile(`^(\d+)(B|kB|KB|KiB|MB|MiB|GB)$`)

// sizeBytes reads a cache size as gem5 writes it (32kB, 2MB).
func sizeBytes(v string) (int64, bool) {
	m := sizeRE.FindStringSubmatch(v)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	unit := map[string]int64{"B": 1, "kB": 1 << 10, "KB": 1 << 10, "KiB": 1 << 10, "MB": 1 << 20, "MiB": 1 << 20, "GB": 1 << 30}[m[2]]
	return n * unit, err == nil && n < 1<<32
}

func powerOfTwo(n int64) bool { return n > 0 && n&(n-1) == 0 }

// lineBytes is the cache line size of every system.
const lineBytes = 64

func checkSize(v string, _ Knowledge) string {
	n, ok := sizeBytes(v)
	switch {
	case !ok:
		return "a cache size is written like 32kB or 2MB"
	case !powerOfTwo(n) || n < lineBytes:
		return "a cache size is a power of two of at least 64B (gem5 rejects others)"
	}
	return ""
}

func checkAssoc(v string, _ Knowledge) string {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || !powerOfTwo(n) || n > 1024 {
		return "associativity is a power of two (1, 2, 4, ... 1024)"
	}
	return ""
}

func checkOnOff(v string, _ Knowledge) string {
	if v != "on" && v != "off" {
		return "on or off"
	}
	return ""
}

func checkCount(least int) func(string, Knowledge) string {
	return func(v string, _ Knowledge) string {
		if n, err := strconv.Atoi(v); err != nil || n < least {
			return fmt.Sprintf("a whole number of at least %d", least)
		}
		return ""
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
