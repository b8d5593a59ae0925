package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Busy is how much of a core's cycles it did work in: the cycles it was
// neither idle nor halted (quiesced, waiting for an interrupt), read from
// the statistics each gem5 version and core type keeps.
type Busy struct {
	Cycles float64 // busy cycles
	// Window is every cycle of the dump's interval: numCycles, and for O3
	// cores the quiesced cycles numCycles leaves out.
	Window float64
	Valid  bool
	From   string // the statistics they came from
}

// busyKeys are the simple cores' own busy counts (v21+ and older names).
var busyKeys = []string{"exec_context.thread_0.numBusyCycles", "thread_0.numBusyCycles", "numBusyCycles",
	"thread_0.num_busy_cycles", "num_busy_cycles"}

// idleKeys are what older simple cores count of the cycles they did not
// work (busy = numCycles − idle). quiesceKeys are O3's (and Minor's): the
// cycles its thread was quiesced (HLT, MWAIT), which gem5 counts outside
// numCycles, so an O3 core's busy cycles are its numCycles, over a window
// of numCycles + quiesceCycles. (O3's own idleCycles, the cycles it
// descheduled itself for lack of pipeline activity, are inside numCycles:
// with a small LLC they are mostly waits for DRAM, and a timing core
// counts such waits as busy too.)
var (
	idleKeys    = []string{"exec_context.thread_0.numIdleCycles", "thread_0.numIdleCycles", "num_idle_cycles"}
	quiesceKeys = []string{"quiesceCycles", "quiesce_cycles"}
)

// busyOf reads a core's busy cycles from dump d.
func busyOf(d *Dump, c CPU) Busy {
	cycles, ok := c.Cycles.Value.Float()
	if !ok {
		return Busy{}
	}
	for _, k := range busyKeys {
		if f, ok := floatStat(d, c.Name+"."+k); ok {
			return Busy{Cycles: f, Window: cycles, Valid: true, From: c.Name + "." + k}
		}
	}
	for _, k := range quiesceKeys {
		if f, ok := floatStat(d, c.Name+"."+k); ok {
			return Busy{Cycles: cycles, Window: cycles + f, Valid: true,
				From: fmt.Sprintf("%s (quiesced cycles are outside it), over %s + %s", c.Cycles.Key, c.Cycles.Key, k)}
		}
	}
	for _, k := range idleKeys {
		if f, ok := floatStat(d, c.Name+"."+k); ok {
			return Busy{
				Cycles: math.Max(cycles-f, 0),
				Window: cycles,
				Valid:  true,
				From:   fmt.Sprintf("%s − %s", c.Cycles.Key, k),
			}
		}
	}
	return Busy{}
}

func floatStat(d *Dump, name string) (float64, bool) {
	v, ok := d.Value(name)
	if !ok {
		return 0, false
	}
	f, ok := v.Float()
	return f, ok && !math.IsNaN(f)
}

// Utilisation is the share of the core's cycles that were busy (NaN when
// unknown).
func (c CPU) Utilisation() float64 {
	if !c.Busy.Valid || c.Busy.Window == 0 {
		return math.NaN()
	}
	return c.Busy.Cycles / c.Busy.Window
}

// BusyIPC is instructions per busy cycle: the IPC of the time the core
// worked, not gem5's IPC over every cycle of the window (NaN when
// unknown).
func (c CPU) BusyIPC() float64 {
	insts, ok := c.Instructions.Value.Float()
	if !c.Busy.Valid || !ok || c.Busy.Cycles == 0 {
		return math.NaN()
	}
	return insts / c.Busy.Cycles
}

func fixed(f float64, prec int) string {
	if math.IsNaN(f) {
		return "–"
	}
	return strconv.FormatFloat(f, 'f', prec, 64)
}

func percent(f float64) string {
	if math.IsNaN(f) {
		return "–"
	}
	return strconv.FormatFloat(100*f, 'f', 1, 64) + "%"
}

// ownMisses is a shared cache's misses that the core's own requestors
// (its instruction and data ports, its page-table walkers) caused: gem5
// keeps the misses per requestor, named after the requestor without the
// root object ("processor.switch1.core.data" under board.).
func ownMisses(d *Dump, cache, cpu string) (float64, string, bool) {
	_, rel, found := strings.Cut(cpu, ".")
	if !found {
		return 0, "", false
	}
	prefix := cache + ".overallMisses::" + rel + "."
	total, n := 0.0, 0
	for _, s := range d.Stats {
		if strings.HasPrefix(s.Name, prefix) {
			if f, ok := s.Value.Float(); ok && !math.IsNaN(f) {
				total += f
				n++
			}
		}
	}
	return total, prefix + "*", n > 0
}
