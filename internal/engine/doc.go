// Package engine is a generic, make-style build engine: rules with
// outputs, inputs, dependencies, parameters and a recipe; staleness from
// timestamps and parameter fingerprints; a build log; bounded parallelism;
// process groups that are always stopped. It knows no stage, no setting and
// no CI system: what its messages tell users to type comes from Hints, and
// its output goes through the ui.Printer it is given.
//
// The parts are kept apart, in the manner of ninja (Graph holds each
// part's state in a struct of its own: ruleSet, judging, session,
// building):
//
//   - the graph (rule.go, engine.go): rules declared by the caller, each
//     added after its dependencies, so a graph has no cycles; a rule
//     without a recipe is a leaf, a file that must exist;
//   - the build log (buildlog.go): one record per finished or started run,
//     keyed by the rule's target and its outputs, with the parameters'
//     fingerprint, so an interrupted run is known;
//   - the dirty computation (stale.go, inputs.go): a sequence of small
//     steps — forced, outputs, build log, parameters, inputs, dependencies,
//     the rule's own Check — each giving its reason, over an FS (fs.go)
//     that tests replace with a stepped clock instead of sleeping;
//   - planning and execution (build.go): Evaluate and Explain judge without
//     running anything (dry runs, `status`, `why`); Build runs what is
//     stale (schedule.go) over a ready queue (queue.go) that hands the
//     JOBS slots to the rule with the longest chain behind it, each recipe
//     holding slots only while it runs, outputs written under temporary
//     names and renamed on success;
//   - the session (session.go): the working directory's lock, signals, and
//     the process registry, whose leftovers from a killed run are stopped.
package engine
