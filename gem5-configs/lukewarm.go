package gem5configs

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/vswarmu/vswarmu-mage/functions"
)

// The lukewarm experiment (vSwarm-u's purpose, "Lukewarm Serverless
// Functions", ISCA 2022): several functions run on the measured core, set
// up and warmed in one checkpoint; a function's invocations are measured
// back to back and interleaved with the others' (round robin), from that
// same checkpoint, so the difference is what the others leave in the
// caches and branch predictors.

// LukewarmName is the setup's name: its checkpoint, script and outputs.
const LukewarmName = "lukewarm"

// LukewarmFunction is one function of a lukewarm set: the name the client
// drives it by and the port it listens on in the guest.
type LukewarmFunction struct {
	Name, Client string
	Port         int
}

// Lukewarm is the lukewarm part of a simulation: the set, and for an
// evaluation the measured function and the schedule.
type Lukewarm struct {
	Set      []LukewarmFunction
	Measure  string // an evaluation's measured function
	Schedule string // back-to-back or interleaved
}

// lukewarmPortBase is the first port the set's functions listen on (each
// its own: they share the guest's network as plain processes).
const lukewarmPortBase = 50061

// NewLukewarmSet gives each function of a set its own port.
func NewLukewarmSet(names, clients []string) []LukewarmFunction {
	out := make([]LukewarmFunction, len(names))
	for i, n := range names {
		out[i] = LukewarmFunction{Name: n, Client: clients[i], Port: lukewarmPortBase + i}
	}
	return out
}

// lukewarmSetupScript starts every function of the set as a plain process
// pinned to core 1, each on its port, warms each with the client, asks
// for the checkpoint (m5 fail 32), and after the restore runs the
// evaluation's schedule, which gem5 hands it with m5 readfile.
func (s Simulation) lukewarmSetupScript() string {
	var b strings.Builder
	fmt.Fprintf(
		&b,
		"#!/bin/sh\n# vswarmu-mage lukewarm setup: %s on core 1, one checkpoint (handed to the guest by m5 readfile).\n%s\n$M5 fail 1\n",
		strings.Join(s.lukewarmNames(), ", "),
		m5Line,
	)
	for _, f := range s.Lukewarm.Set {
		fmt.Fprintf(
			&b,
			"%s -cpus 1 %s -addr 0.0.0.0:%d > /tmp/%s.log 2>&1 &\n",
			functions.Launcher,
			functions.ProcessSpec(f.Name),
			f.Port,
			f.Name,
		)
	}
	b.WriteString("$M5 fail 2\n$M5 fail 3\n$M5 fail 10\n")
	for _, f := range s.Lukewarm.Set {
		fmt.Fprintf(
			&b,
			"/usr/local/bin/test-client -function-name %s -url localhost -port %d -n 1 -w %d -input 10 -timeout 600s\n",
			f.Client,
			f.Port,
			s.Warmup,
		)
	}
	b.WriteString("# The checkpoint; an evaluation restores it here and hands its schedule.\n$M5 fail 32\n")
	b.WriteString("$M5 readfile > /tmp/schedule.sh\nsh /tmp/schedule.sh\n$M5 fail 11\n$M5 fail -1\n")
	return b.String()
}

// lukewarmSchedule is an evaluation's schedule: the client driving every
// function of the set, measuring s.Lukewarm.Measure.
func (s Simulation) lukewarmSchedule() string {
	var targets []string
	measure := ""
	for _, f := range s.Lukewarm.Set {
		targets = append(targets, fmt.Sprintf("%s=localhost:%d", f.Client, f.Port))
		if f.Name == s.Lukewarm.Measure {
			measure = f.Client
		}
	}
	return fmt.Sprintf(
		"#!/bin/sh\n# vswarmu-mage lukewarm evaluation: %s, %s.\n/usr/local/bin/test-client -schedule %s -measure %s -functions %s -n %d -input 10 -m5ops\n",
		s.Lukewarm.Measure,
		s.Lukewarm.Schedule,
		s.Lukewarm.Schedule,
		measure,
		strings.Join(targets, ","),
		s.AtomicWarming+s.Invocations,
	)
}

func (s Simulation) lukewarmNames() []string {
	var out []string
	for _, f := range s.Lukewarm.Set {
		out = append(out, f.Name)
	}
	return out
}

// LukewarmResults is where a lukewarm evaluation writes its outputs:
// WORKING_DIR/results-lukewarm/<function>-<schedule>, with the labels of
// another system or core type after an @ (as RunName has them).
func LukewarmResults(work, function, schedule, labels string) string {
	name := function + "-" + schedule
	if labels != "" {
		name += "@" + labels
	}
	return filepath.Join(work, "results-lukewarm", name)
}

// Labels are what sets the simulation apart from the default one, as
// RunName puts them after the @ ("" for none).
func (s Simulation) Labels() string {
	_, labels, _ := strings.Cut(s.RunName(), "@")
	return labels
}

// lukewarmSchedulePath is the evaluation's schedule script.
func (s Simulation) lukewarmSchedulePath() string {
	return filepath.Join(s.Work, s.area("scripts"), LukewarmName+"-"+s.Lukewarm.Measure+"-"+s.Lukewarm.Schedule+".sh")
}
