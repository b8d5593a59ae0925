package targets_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// The gem5 fixture is a git repository shaped like gem5 where it matters to
// the stage: an SConstruct that honours `scons build/<ISA>/gem5.opt -j N
// --ignore-style` and CC from the environment, gem5 v24's Kconfig commands
// (`defconfig build/<ISA> build_opts/<ISA>` writes build/<ISA>/config,
// `setconfig build/<ISA> KEY=VALUE...` changes it; the binary prints its
// RUBY setting), util/term with a Makefile and util/m5 with its own
// SConstruct. Tags v1 and v2 print different versions.
const fixtureSConstruct = `import os, time
AddOption('--ignore-style', action='store_true', help='Disable style checking hooks')
AddOption('--install-hooks', action='store_true', help='Install revision control hooks')
env = Environment(ENV=os.environ)
for var in ('CC', 'CXX'):
    if var in os.environ:
        env[var] = os.environ[var]
targets = [str(t) for t in BUILD_TARGETS]
if targets and targets[0] in ('defconfig', 'setconfig'):
    build = targets[1]
    os.makedirs(build, exist_ok=True)
    config = os.path.join(build, 'config')
    if targets[0] == 'defconfig':
        lines = open(targets[2]).read().split()
    else:
        lines = open(config).read().split()
        for k, v in ARGUMENTS.items():
            lines = [l for l in lines if not l.startswith(k + '=')] + [k + '=' + v]
    open(config, 'w').write('\n'.join(sorted(lines)) + '\n')
    Exit(0)
if os.environ.get('FIXTURE_SLOW'):
    open(os.environ['FIXTURE_SLOW'], 'w').close()
    time.sleep(60)
for t in targets:
    parts = t.split('/')
    if len(parts) != 3 or parts[0] != 'build' or parts[2] != 'gem5.opt':
        print('scons: *** Do not know how to make File target ' + t)
        Exit(2)
    config = os.path.join('build', parts[1], 'config')
    ruby = [l for l in open(config).read().split() if l.startswith('RUBY')] if os.path.exists(config) else ['no-config']
    env.Program(t, ['src/main.c'], CPPDEFINES=[('ISA', '\\"' + parts[1] + '\\"'), ('RUBY', '\\"' + ' '.join(ruby) + '\\"')])
`

const fixtureM5SConstruct = `import os
env = Environment(ENV=os.environ)
for t in BUILD_TARGETS:
    env.Program(str(t), ['src/m5.c'], LINKFLAGS=['-static'])
`

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gem5Fixture(t *testing.T) string {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "gem5-fixture")
	files := map[string]string{
		"SConstruct":           fixtureSConstruct,
		"src/main.c":           "#include <stdio.h>\nint main(void) { puts(\"gem5 fixture \" ISA \" v1 \" RUBY); return 0; }\n",
		"site_scons/README":    "site tools\n",
		"build_opts/X86":       "RUBY=y\nRUBY_PROTOCOL_MESI_TWO_LEVEL=y\nBUILD_ISA=y\n",
		"include/gem5/m5ops.h": "/* m5 ops */\n",
		"util/term/Makefile":   "m5term: term.c\n\t$(CC) -o $@ term.c\n",
		"util/term/term.c":     "int main(void) { return 0; }\n",
		"util/m5/SConstruct":   fixtureM5SConstruct,
		"util/m5/src/m5.c":     "int main(void) { return 0; }\n",
	}
	for p, c := range files {
		writeFile(t, filepath.Join(repo, p), c)
	}
	git(t, repo, "init", "-q", "-b", "stable")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-qm", "v1")
	git(t, repo, "tag", "v1")
	writeFile(
		t,
		filepath.Join(repo, "src/main.c"),
		"#include <stdio.h>\nint main(void) { puts(\"gem5 fixture \" ISA \" v2 \" RUBY); return 0; }\n",
	)
	git(t, repo, "commit", "-qam", "v2")
	git(t, repo, "tag", "v2")
	return repo
}

func TestGem5Stage(t *testing.T) {
	if _, err := exec.LookPath("scons"); err != nil {
		t.Skip("scons not installed (apt-get install scons)")
	}
	repo := gem5Fixture(t)
	work := t.TempDir()
	env := func(extra ...string) []string {
		return append([]string{"GEM5_REPO=" + repo, "RESOURCES=" + filepath.Join(work, "res"),
			"WORKING_DIR=" + filepath.Join(work, "wk"), "JOBS=2", "GEM5_VERSION=v1", "GEM5_PATCHES=none"}, extra...)
	}
	bin := filepath.Join(work, "res", "gem5", "build", "X86", "gem5.opt")
	version := func() string {
		out, err := exec.Command(bin).Output()
		if err != nil {
			t.Fatalf("run built gem5.opt: %v", err)
		}
		return strings.TrimSpace(string(out))
	}

	// First run clones and builds.
	r := magetest.Mage(t, work, env(), "gem5:build")
	if r.Code != 0 {
		t.Fatalf("first build: exit %d\n%s", r.Code, r.Output)
	}
	if v := version(); v != "gem5 fixture X86 v1 RUBY=n RUBY_PROTOCOL_MESI_TWO_LEVEL=y" {
		t.Fatalf("built %q (want classic caches only: RUBY=n)", v)
	}
	for _, want := range []string{"▶ gem5:source — never built", "▶ gem5:patch", "▶ gem5:build", "3 run, 0 up to date"} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("first run output lacks %q:\n%s", want, r.Output)
		}
	}
	log, _ := os.ReadFile(filepath.Join(work, "wk", "logs", "gem5-build.log"))
	if !strings.Contains(string(log), "$ scons build/X86/gem5.opt -j 2 --ignore-style") {
		t.Errorf("scons command line not in the rule's log:\n%s", log)
	}

	// Second run does nothing.
	r = magetest.Mage(t, work, env(), "gem5:build")
	if r.Code != 0 || !strings.Contains(r.Output, "nothing to do: 3 rules up to date") {
		t.Fatalf("second run: exit %d\n%s", r.Code, r.Output)
	}
	// The image takes the project's own m5 (M5_UTIL=builtin): gem5:m5 is
	// not part of the main job.
	if r := magetest.Mage(t, work, env(), "status"); r.Code != 1 ||
		!strings.Contains(r.Output, "not needed by simulate:all: gem5:probe, gem5:term, gem5:m5") ||
		strings.Contains(r.Output, "stale gem5:build") ||
		strings.Contains(r.Output, "stale gem5:source") {
		t.Fatalf("status after gem5:build: exit %d\n%s", r.Code, r.Output)
	}

	// Another version rebuilds.
	r = magetest.Mage(t, work, env("GEM5_VERSION=v2"), "gem5:build")
	if r.Code != 0 || !strings.Contains(r.Output, "GEM5_VERSION v1 → v2") {
		t.Fatalf("version bump: exit %d\n%s", r.Code, r.Output)
	}
	if v := version(); v != "gem5 fixture X86 v2 RUBY=n RUBY_PROTOCOL_MESI_TWO_LEVEL=y" {
		t.Fatalf("after GEM5_VERSION=v2 built %q", v)
	}

	// An interrupted build is stale next time.
	marker := filepath.Join(work, "scons-started")
	run := magetest.Start(t, work, env("FIXTURE_SLOW="+marker), "gem5:build")
	run.WaitFile(t, marker, 2*time.Minute)
	syscall.Kill(-run.Cmd.Process.Pid, syscall.SIGINT)
	if res := run.Wait(t, 30*time.Second); res.Code != 130 {
		t.Fatalf("interrupted build: exit %d\n%s", res.Code, res.Output)
	}
	r = magetest.Mage(t, work, env(), "status")
	if r.Code != 1 || !strings.Contains(r.Output, "gem5:build — last run interrupted") {
		t.Fatalf("status after an interrupted build: exit %d\n%s", r.Code, r.Output)
	}
	r = magetest.Mage(t, work, env(), "gem5:build")
	if r.Code != 0 || !strings.Contains(r.Output, "▶ gem5:build — last run interrupted") {
		t.Fatalf("rerun after interruption: exit %d\n%s", r.Code, r.Output)
	}
	if v := version(); v != "gem5 fixture X86 v1 RUBY=n RUBY_PROTOCOL_MESI_TWO_LEVEL=y" {
		t.Fatalf("after the rerun built %q", v)
	}

	// A Ruby protocol on request: the build is stale and compiles it in.
	r = magetest.Mage(t, work, env("GEM5_RUBY=MI_example"), "gem5:build")
	if r.Code != 0 || !strings.Contains(r.Output, "GEM5_RUBY none → MI_example") {
		t.Fatalf("GEM5_RUBY=MI_example: exit %d\n%s", r.Code, r.Output)
	}
	if v := version(); v != "gem5 fixture X86 v1 RUBY=y RUBY_PROTOCOL_MESI_TWO_LEVEL=y RUBY_PROTOCOL_MI_EXAMPLE=y" {
		t.Fatalf("with GEM5_RUBY=MI_example built %q", v)
	}
	r = magetest.Mage(t, work, env(), "gem5:build")
	if v := version(); r.Code != 0 || !strings.HasPrefix(v, "gem5 fixture X86 v1 RUBY=n") {
		t.Fatalf("back to GEM5_RUBY=none: exit %d, built %q\n%s", r.Code, v, r.Output)
	}

	// A wrong version lists the available tags.
	r = magetest.Mage(t, work, env("GEM5_VERSION=v9"), "gem5:build")
	if r.Code == 0 ||
		!strings.Contains(
			r.Output,
			"GEM5_VERSION=v9 is not a tag, branch or commit of "+repo+"; available tags: v2, v1",
		) {
		t.Fatalf("unknown version: exit %d\n%s", r.Code, r.Output)
	}

	// The utilities.
	r = magetest.Mage(t, work, env(), "gem5:all")
	if r.Code != 0 {
		t.Fatalf("gem5:all: exit %d\n%s", r.Code, r.Output)
	}
	for _, p := range []string{"util/term/m5term", "util/m5/build/x86/out/m5"} {
		if _, err := os.Stat(filepath.Join(work, "res", "gem5", p)); err != nil {
			t.Errorf("gem5:all did not build %s: %v", p, err)
		}
	}
	// The gem5 rules are up to date; the rest of the pipeline is not built.
	if r := magetest.Mage(t, work, env(), "status"); r.Code != 1 || strings.Contains(r.Output, "stale gem5:") ||
		strings.Contains(r.Output, "gem5:term") || !strings.Contains(r.Output, "stale kernel:source") {
		t.Fatalf("status after gem5:all: exit %d\n%s", r.Code, r.Output)
	}
	if r := magetest.Mage(t, work, env(), "why", "gem5:term"); r.Code != 0 ||
		!strings.Contains(r.Output, "→ gem5:term is up to date") {
		t.Fatalf("why gem5:term: exit %d\n%s", r.Code, r.Output)
	}

	// GEM5 names an existing binary: nothing is built.
	r = magetest.Mage(t, work, env("GEM5="+bin, "GEM5_VERSION=v2"), "gem5:build")
	if r.Code != 0 || !strings.Contains(r.Output, "GEM5="+bin+" is used instead") {
		t.Fatalf("GEM5 set: exit %d\n%s", r.Code, r.Output)
	}

	// mage kill gives scons time to save its signature database: SIGINT,
	// and no harder signal while it exits.
	marker2 := filepath.Join(work, "scons-started-again")
	run = magetest.Start(t, work, env("FIXTURE_SLOW="+marker2, "GEM5_VERSION=v2"), "gem5:build")
	run.WaitFile(t, marker2, 2*time.Minute)
	r = magetest.Mage(t, work, env(), "kill")
	if r.Code != 0 || !strings.Contains(r.Output, "waiting up to 10m0s for scons") ||
		!regexp.MustCompile(`scons build/X86/gem5.opt[^\n]*stopped after [0-9]+s with SIGINT`).MatchString(r.Output) {
		t.Fatalf("mage kill of a gem5 build: exit %d\n%s", r.Code, r.Output)
	}
	if res := run.Wait(t, 30*time.Second); res.Code == 0 || !strings.Contains(res.Output, "killed by mage kill") {
		t.Fatalf("the killed build: exit %d\n%s", res.Code, res.Output)
	}
}

// fixturePatch changes the fixture's v1 program to say "patched", as a
// git format-patch file does.
func fixturePatch(word string) string {
	return "From: t <t@t>\nSubject: [PATCH] fixture: say " + word + "\n\n---\n" +
		"diff --git a/src/main.c b/src/main.c\n--- a/src/main.c\n+++ b/src/main.c\n@@ -1,2 +1,2 @@\n" +
		" #include <stdio.h>\n" +
		"-int main(void) { puts(\"gem5 fixture \" ISA \" v1 \" RUBY); return 0; }\n" +
		"+int main(void) { puts(\"gem5 fixture \" ISA \" v1 " + word + " \" RUBY); return 0; }\n"
}

// TestGem5PatchesAreAppliedAndPartOfTheBuild: gem5:build compiles the
// checkout with GEM5_PATCHES applied; an unchanged patch set rebuilds
// nothing, a changed patch and GEM5_PATCHES=none rebuild, and a patch that
// does not apply to GEM5_VERSION stops with its name and what to do.
func TestGem5PatchesAreAppliedAndPartOfTheBuild(t *testing.T) {
	if _, err := exec.LookPath("scons"); err != nil {
		t.Skip("scons not installed (apt-get install scons)")
	}
	repo, work := gem5Fixture(t), t.TempDir()
	patches := filepath.Join(work, "patches")
	writeFile(t, filepath.Join(patches, "0001-say-patched.patch"), fixturePatch("patched"))
	env := func(extra ...string) []string {
		return append([]string{"GEM5_REPO=" + repo, "RESOURCES=" + filepath.Join(work, "res"),
			"WORKING_DIR=" + filepath.Join(work, "wk"), "JOBS=2", "GEM5_VERSION=v1", "GEM5_PATCHES=" + patches}, extra...)
	}
	checkout := filepath.Join(work, "res", "gem5")
	built := func(step string, r magetest.Result, want string) {
		t.Helper()
		out, err := exec.Command(filepath.Join(checkout, "build", "X86", "gem5.opt")).Output()
		if r.Code != 0 || err != nil || !strings.HasPrefix(string(out), want) {
			t.Fatalf("%s: exit %d, built %q (%v), want %q\n%s", step, r.Code, out, err, want, r.Output)
		}
	}

	r := magetest.Mage(t, work, env(), "gem5:build")
	built("with the patch", r, "gem5 fixture X86 v1 patched RUBY=n")
	if !strings.Contains(r.Output, "▶ gem5:patch") {
		t.Errorf("gem5:patch did not run:\n%s", r.Output)
	}
	if out, _ := exec.Command("git", "-C", checkout, "rev-parse", "HEAD").Output(); !strings.HasPrefix(
		string(out), gitOutput(t, repo, "rev-parse", "v1")) {
		t.Errorf("the checkout's HEAD %s is not v1: patches are work-tree changes", out)
	}

	r = magetest.Mage(t, work, env(), "gem5:build")
	if r.Code != 0 || !strings.Contains(r.Output, "nothing to do: 3 rules up to date") {
		t.Fatalf("unchanged patch set: exit %d\n%s", r.Code, r.Output)
	}

	writeFile(t, filepath.Join(patches, "0001-say-patched.patch"), fixturePatch("mended"))
	r = magetest.Mage(t, work, env(), "gem5:build")
	built("a changed patch", r, "gem5 fixture X86 v1 mended RUBY=n")
	if !regexp.MustCompile(`GEM5_PATCHES 0001-say-patched\.patch@[0-9a-f]{12} → 0001-say-patched\.patch@[0-9a-f]{12}`).MatchString(r.Output) {
		t.Errorf("the rebuild does not say the patch changed:\n%s", r.Output)
	}

	r = magetest.Mage(t, work, env("GEM5_PATCHES=none"), "gem5:build")
	built("GEM5_PATCHES=none", r, "gem5 fixture X86 v1 RUBY=n")
	if st := gitOutput(t, checkout, "status", "--porcelain", "--untracked-files=no"); st != "" {
		t.Errorf("GEM5_PATCHES=none left changes in the checkout: %s", st)
	}

	// Back on, then another version the patch does not fit.
	built("patches on again", magetest.Mage(t, work, env(), "gem5:build"), "gem5 fixture X86 v1 mended RUBY=n")
	r = magetest.Mage(t, work, env("GEM5_VERSION=v2"), "gem5:build")
	if r.Code == 0 || !strings.Contains(r.Output, "GEM5_PATCHES: 0001-say-patched.patch does not apply to GEM5_VERSION v2") ||
		!strings.Contains(r.Output, "set GEM5_PATCHES=none") {
		t.Fatalf("a patch that does not apply: exit %d\n%s", r.Code, r.Output)
	}
	if head := gitOutput(t, checkout, "rev-parse", "HEAD"); head != gitOutput(t, repo, "rev-parse", "v2") {
		t.Errorf("the checkout is at %s, not v2", head)
	}

	// A patch applied by hand is recorded, not applied twice.
	writeFile(t, filepath.Join(patches, "0001-say-patched.patch"), fixturePatch("patched"))
	built("patches on again at v1", magetest.Mage(t, work, env(), "gem5:build"), "gem5 fixture X86 v1 patched RUBY=n")
	os.Remove(filepath.Join(checkout, ".git", "vswarmu-patches.json"))
	r = magetest.Mage(t, work, env("FORCE=gem5:patch"), "gem5:build")
	built("a stamp lost, the patch in the tree", r, "gem5 fixture X86 v1 patched RUBY=n")
	if log, _ := os.ReadFile(filepath.Join(work, "wk", "logs", "gem5-patch.log")); !strings.Contains(string(log), "0001-say-patched.patch is applied already") {
		t.Errorf("gem5:patch's log does not say the patch was there:\n%s", log)
	}

	// A folder without patches is refused before any work.
	empty := t.TempDir()
	r = magetest.Mage(t, work, env("GEM5_PATCHES="+empty), "gem5:build")
	if r.Code == 0 || !strings.Contains(r.Output, "GEM5_PATCHES="+empty+" holds no *.patch file") {
		t.Fatalf("an empty patch folder: exit %d\n%s", r.Code, r.Output)
	}
}

// gitOutput is git's trimmed output in dir.
func gitOutput(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// TestGem5ProbeOnTheStandin: gem5:probe on GEM5=standin says the probe ran
// natively (no gem5 was probed), keeps the answer, and is up to date next
// time; another gem5 binary is probed again.
func TestGem5ProbeOnTheStandin(t *testing.T) {
	dir, env := standinEnv(t)
	r := magetest.Mage(t, dir, env, "gem5:probe")
	if r.Code != 0 || !strings.Contains(r.Output, "no known misdecode") ||
		!strings.Contains(r.Output, "[stand-in: the program ran natively, no gem5 was probed]") {
		t.Fatalf("gem5:probe: exit %d\n%s", r.Code, r.Output)
	}
	if _, err := os.Stat(filepath.Join(dir, "wk", "gem5-probe.json")); err != nil {
		t.Fatal(err)
	}
	if r := magetest.Mage(t, dir, env, "gem5:probe"); r.Code != 0 || !strings.Contains(r.Output, "nothing to do") {
		t.Fatalf("second gem5:probe: exit %d\n%s", r.Code, r.Output)
	}
	// A gem5 that does not run the probe: said, not taken for a clean bill.
	broken := filepath.Join(dir, "gem5.opt")
	writeFile(t, broken, "#!/bin/sh\necho 'gem5 version 24.0.0.1'\nexit 1\n")
	os.Chmod(broken, 0o755)
	r = magetest.Mage(t, dir, append(env, "GEM5="+broken), "gem5:probe")
	if r.Code != 0 || !strings.Contains(r.Output, "the probe could not tell: gem5 did not run the probe") {
		t.Fatalf("gem5:probe of a gem5 that fails: exit %d\n%s", r.Code, r.Output)
	}
}

// TestSharedResourcesAreBuiltOnce: the records of rules whose outputs live
// in RESOURCES live there too, so a second working directory on the same
// RESOURCES finds gem5 built; and while one run rebuilds something there,
// another run on that RESOURCES stops at once and says why (or waits with
// LOCK_WAIT=1) instead of rebuilding what the first uses.
func TestSharedResourcesAreBuiltOnce(t *testing.T) {
	if _, err := exec.LookPath("scons"); err != nil {
		t.Skip("scons not installed (apt-get install scons)")
	}
	repo, work := gem5Fixture(t), t.TempDir()
	res := filepath.Join(work, "res")
	env := func(wk string, extra ...string) []string {
		return append([]string{"GEM5_REPO=" + repo, "RESOURCES=" + res, "WORKING_DIR=" + filepath.Join(work, wk),
			"JOBS=2", "GEM5_VERSION=v1", "GEM5_PATCHES=none"}, extra...)
	}
	if r := magetest.Mage(t, work, env("wkA"), "gem5:build"); r.Code != 0 {
		t.Fatalf("gem5:build in the first working directory: exit %d\n%s", r.Code, r.Output)
	}
	r := magetest.Mage(t, work, env("wkB"), "gem5:build")
	if r.Code != 0 || !strings.Contains(r.Output, "nothing to do: 3 rules up to date") {
		t.Fatalf("gem5:build in a second working directory on the same RESOURCES: exit %d\n%s", r.Code, r.Output)
	}
	if _, err := os.Stat(filepath.Join(res, ".vswarmu", "build.log")); err != nil {
		t.Fatalf("no build log beside the resources: %v", err)
	}

	marker := filepath.Join(work, "scons-started")
	run := magetest.Start(t, work, env("wkA", "FIXTURE_SLOW="+marker, "GEM5_VERSION=v2"), "gem5:build")
	run.WaitFile(t, marker, 2*time.Minute)
	r = magetest.Mage(t, work, env("wkB", "GEM5_VERSION=v2"), "gem5:build")
	if r.Code == 0 || !strings.Contains(r.Output, "RESOURCES "+res+" is in use by another run") {
		t.Fatalf("a second run while the first rebuilds gem5: exit %d\n%s", r.Code, r.Output)
	}
	syscall.Kill(-run.Cmd.Process.Pid, syscall.SIGINT)
	run.Wait(t, 30*time.Second)
}
