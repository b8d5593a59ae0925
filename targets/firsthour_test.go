package targets_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// A new user's first hour (issue 19): what can be known before any work is
// said at once; a typo is answered with the name meant; why explains the
// main job; the stand-in's numbers are marked wherever they are printed.

// unreachable is a server address nothing listens on: a network failure
// as a machine without the Internet has it, without depending on one.
const unreachable = "127.0.0.1:9"

// TestOfflineProblemsInOneList: the main job with every download pointed
// at a server that does not answer names each of them, with the setting
// that avoids it, in one list, and installs nothing.
func TestOfflineProblemsInOneList(t *testing.T) {
	dir := t.TempDir()
	env := []string{"WORKING_DIR=" + filepath.Join(dir, "wk"), "RESOURCES=" + filepath.Join(dir, "res"),
		"GEM5_REPO=https://" + unreachable + "/gem5/gem5.git", "KERNEL_MIRROR=https://" + unreachable + "/pub/linux/kernel",
		"MIRROR=http://" + unreachable + "/ubuntu", "AUTO_INSTALL=1"}
	start := time.Now()
	r := magetest.Mage(t, dir, env, "simulate:all")
	if r.Code == 0 || !strings.Contains(r.Output, "found before starting anything") {
		t.Fatalf("offline main job: exit %d\n%s", r.Code, r.Output)
	}
	for _, want := range []string{
		"gem5:source: cannot reach " + unreachable + " to download https://" + unreachable + "/gem5/gem5.git",
		"set GEM5_REPO to a mirror or a local clone of gem5",
		"kernel:source: cannot reach " + unreachable,
		"set KERNEL_MIRROR to a kernel.org mirror you can reach",
		"image:base: cannot reach " + unreachable + " to download http://" + unreachable + "/ubuntu",
		"nothing was installed or built",
	} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("the list lacks %q:\n%s", want, r.Output)
		}
	}
	if strings.Contains(r.Output, "installing ") || strings.Contains(r.Output, "▶ ") {
		t.Errorf("something was installed or started before the problems were said:\n%s", r.Output)
	}
	t.Logf("the problems were known in %v", time.Since(start).Round(time.Millisecond))
	if _, err := os.Stat(filepath.Join(dir, "res", "gem5")); err == nil {
		t.Errorf("a gem5 checkout was started")
	}
}

// TestFreeSpaceIsCheckedFirst: rules that write more than the file system
// holds are named before any of them runs.
func TestFreeSpaceIsCheckedFirst(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed (apt-get install git)")
	}
	dir := t.TempDir()
	// A local gem5 "clone" (no network needed), and a RESOURCES on a
	// file system too small for a gem5 build: a 64 MiB tmpfs when this
	// process may mount one, else the check is left to the engine's test.
	small := filepath.Join(dir, "small")
	os.MkdirAll(small, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", small).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v: %s)", err, out)
	}
	defer exec.Command("umount", "-l", small).Run()
	repo := filepath.Join(dir, "gem5")
	for _, args := range [][]string{{"init", "-q", repo}, {"-C", repo, "commit", "-q", "--allow-empty", "-m", "x"}, {"-C", repo, "tag", "v24.0.0.1"}} {
		if out, err := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	env := []string{
		"WORKING_DIR=" + filepath.Join(dir, "wk"),
		"RESOURCES=" + small,
		"GEM5_REPO=" + repo,
		"AUTO_INSTALL=0",
	}
	r := magetest.Mage(t, dir, env, "gem5:build")
	if r.Code == 0 ||
		!regexp.MustCompile(`has \d+ MiB free; gem5:source, gem5:build need about 7\.0 GiB`).MatchString(r.Output) {
		t.Fatalf("gem5:build on a 64 MiB file system: exit %d\n%s", r.Code, r.Output)
	}
}

// TestReadmeRealGem5LinesRunOffline: README's real-gem5 lines, as
// written (the stand-in in place of the gem5 they name), find nothing
// they would stop on in a dry run on a machine without kernel.org or
// Docker Hub.
func TestReadmeRealGem5LinesRunOffline(t *testing.T) {
	text := readme(t)
	for _, paragraph := range []string{"Check a real gem5", "The default functions (fibonacci in Go, Node.js and Python) in their containers"} {
		t.Run(paragraph, func(t *testing.T) {
			i := strings.Index(text, paragraph)
			if i < 0 {
				t.Fatalf("README has no %q paragraph", paragraph)
			}
			block := text[i:]
			block = block[strings.Index(block, "```sh")+len("```sh"):]
			block = block[:strings.Index(block, "```")]
			line := strings.Join(strings.Fields(strings.ReplaceAll(block, "\\\n", " ")), " ")
			if !strings.HasSuffix(line, "go run mage.go simulate:all") {
				t.Fatalf("README's real-gem5 line does not run the main job: %q", line)
			}
			var env []string
			for _, f := range strings.Fields(strings.TrimSuffix(line, "go run mage.go simulate:all")) {
				if strings.HasPrefix(f, "GEM5=") {
					f = "GEM5=standin"
				}
				env = append(env, f)
			}
			dir := t.TempDir()
			env = append(env, "WORKING_DIR="+filepath.Join(dir, "wk"), "RESOURCES="+filepath.Join(dir, "res"), "DRY_RUN=1")
			r := magetest.Mage(t, dir, env, "simulate:all")
			if r.Code != 0 || strings.Contains(r.Output, "a real run would stop here") {
				t.Fatalf("README's line (%s) would not run offline: exit %d\n%s", line, r.Code, r.Output)
			}
		})
	}
}

// TestWhyExplainsTheMainJob: `mage why simulate:all` says what the main
// job builds and what is stale; an unknown rule gets the name meant.
func TestWhyExplainsTheMainJob(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go")
	r := magetest.Mage(t, dir, env, "why", "simulate:all")
	for _, want := range []string{"simulate:all — simulates every listed function (fibonacci-go)", "builds  simulate:fn:fibonacci-go",
		"builds  report:write", "stale simulate:boot — never built", "simulate:all would run the 4 stale rules"} {
		if r.Code != 0 || !strings.Contains(r.Output, want) {
			t.Errorf("why simulate:all lacks %q: exit %d\n%s", want, r.Code, r.Output)
		}
	}
	if r := magetest.Mage(t, dir, env, "simulate:all"); r.Code != 0 {
		t.Fatalf("simulate:all: exit %d\n%s", r.Code, r.Output)
	}
	if r := magetest.Mage(t, dir, env, "why", "simulate:all"); r.Code != 0 ||
		!regexp.MustCompile(`needs  \d+ rules, 0 of them stale`).MatchString(r.Output) ||
		!strings.Contains(r.Output, "simulate:all is up to date") {
		t.Errorf("why after the run: exit %d\n%s", r.Code, r.Output)
	}
	if r := magetest.Mage(t, dir, env, "why", "simulate:boot"); r.Code != 0 ||
		!strings.Contains(r.Output, "read  "+filepath.Join(dir, "placeholder-vmlinux")) {
		t.Errorf("why simulate:boot does not list what its last run read:\n%s", r.Output)
	}
	if r := magetest.Mage(t, dir, env, "why", "simulate:bot"); r.Code == 0 ||
		!strings.Contains(r.Output, `did you mean "simulate:boot"?`) {
		t.Errorf("why simulate:bot: exit %d\n%s", r.Code, r.Output)
	}
}

// TestTypoedNamesGetTheNameMeant: a misspelt function, in FUNCTIONS or as
// a target's argument, is answered with the closest one.
func TestTypoedNamesGetTheNameMeant(t *testing.T) {
	dir, env := standinEnv(t)
	cases := []struct {
		env  []string
		args []string
		want string
	}{
		{
			[]string{"FUNCTIONS=fibonaci-go"},
			[]string{"status"},
			`fibonaci-go: not in functions.yaml (built in); did you mean "fibonacci-go"?`,
		},
		{nil, []string{"simulate:fn", "aes-og"}, `did you mean "aes-go"?`},
		{[]string{"FORCE=simulate:bot"}, []string{"simulate:all"}, `did you mean "simulate:boot"?`},
	}
	for _, c := range cases {
		r := magetest.Mage(t, dir, append(append([]string(nil), env...), c.env...), c.args...)
		if r.Code == 0 || !strings.Contains(r.Output, c.want) {
			t.Errorf("%v %v: exit %d, want %q\n%s", c.env, c.args, r.Code, c.want, r.Output)
		}
	}
}

// TestStandinSummaryIsMarked: the terminal summary of stand-in runs says
// they are not measurements, as the report files do.
func TestStandinSummaryIsMarked(t *testing.T) {
	dir, env := standinEnv(t, "FUNCTIONS=fibonacci-go")
	r := magetest.Mage(t, dir, env, "simulate:all")
	if r.Code != 0 ||
		!regexp.MustCompile(`fibonacci-go +succeeded IPC .*STAND-IN \(not a measurement\)`).MatchString(r.Output) {
		t.Fatalf("summary: exit %d\n%s", r.Code, r.Output)
	}
	// report:steps gives each step of the boot's and the setup's run script.
	if r := magetest.Mage(t, dir, env, "report:steps"); r.Code != 0 ||
		!regexp.MustCompile(`setup fibonacci-go \(.*\):\n(.*\n)*  to m5 fail 32 +warm-up done +[0-9.]+ M instructions`).MatchString(r.Output) {
		t.Fatalf("report:steps: exit %d\n%s", r.Code, r.Output)
	}
	// report:check labels the stand-in's runs, and says so when they sit
	// beside a real run (README's stand-in line, then its real line).
	r = magetest.Mage(t, dir, env, "report:check")
	if r.Code != 0 || !strings.Contains(r.Output, "[STAND-IN: not a measurement]") ||
		!strings.Contains(r.Output, "all 1 runs were made by the stand-in gem5") {
		t.Fatalf("report:check of stand-in runs: exit %d\n%s", r.Code, r.Output)
	}
	real := filepath.Join(dir, "wk", "results", "auth-go")
	copyDir(t, filepath.Join(magetest.RepoRoot(t), "results", "testdata", "real-tiny-skylake", "fibonacci-go"), real)
	r = magetest.Mage(t, dir, append(env, "FUNCTIONS=fibonacci-go,auth-go"), "report:check")
	if !strings.Contains(r.Output, "1 of 2 runs under") || !strings.Contains(r.Output, "sit beside real ones") {
		t.Fatalf("report:check of stand-in and real runs together: exit %d\n%s", r.Code, r.Output)
	}
	if regexp.MustCompile(`auth-go .*STAND-IN`).MatchString(r.Output) {
		t.Errorf("the real run is labelled stand-in:\n%s", r.Output)
	}
}

// copyDir copies the files of src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
		}
	}
}

// TestFirstRunSaysItCompiles: `go run mage.go` says that it compiles the
// plugin when mage has no binary for the magefile yet, and not after; two
// first runs started together both work (one compiles, the other waits).
func TestFirstRunSaysItCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the plugin")
	}
	cache := t.TempDir()
	run := func() (string, error) {
		c := exec.Command("go", "run", "mage.go", "config")
		c.Dir = magetest.RepoRoot(t)
		c.Env = append(os.Environ(), "MAGEFILE_CACHE="+cache, "NO_COLOR=1")
		out, err := c.CombinedOutput()
		return string(out), err
	}
	const say = "mage: compiling the vswarmu-mage plugin"
	outs := make([]string, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() { defer wg.Done(); outs[i], errs[i] = run() }()
	}
	wg.Wait()
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("first runs started together, run %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	if n := strings.Count(outs[0]+outs[1], say); n != 1 {
		t.Errorf(
			"first runs started together said %d times that they compile, want once:\n%.500s\n%.500s",
			n,
			outs[0],
			outs[1],
		)
	}
	if out, err := run(); err != nil || strings.Contains(out, say) {
		t.Errorf("later run: %v; said it compiles again?\n%.500s", err, out)
	}
}

// TestRootPasswordWarningOnlyWhenADiskIsBuilt: the default root password
// is warned about by a run that builds a disk image, not by one that
// builds none.
func TestRootPasswordWarningOnlyWhenADiskIsBuilt(t *testing.T) {
	dir := t.TempDir()
	env := []string{"WORKING_DIR=" + filepath.Join(dir, "wk"), "RESOURCES=" + filepath.Join(dir, "res"), "GEM5=standin"}
	const warning = "root password is the original's default"
	for _, c := range []struct {
		extra  []string
		target string
		warns  bool
	}{
		{nil, "report:write", false},
		{[]string{"ROOT_PASSWORD=s3cret", "DISTRO=debian", "MIRROR=http://127.0.0.1:9/debian"}, "image:build", false},
		{[]string{"DISTRO=debian", "MIRROR=http://127.0.0.1:9/debian"}, "image:build", true},
	} {
		r := magetest.Mage(t, dir, append(append([]string(nil), env...), c.extra...), c.target)
		if strings.Contains(r.Output, warning) != c.warns {
			t.Errorf("%v %s: warned %v, want %v\n%s", c.extra, c.target, !c.warns, c.warns, r.Output)
		}
	}
}

// TestMisspelledSettingsAndPathsAreNamed: a variable one edit from a
// setting is warned of before any work (and by mage config), and a
// WORKING_DIR that is a file is refused naming the setting.
func TestMisspelledSettingsAndPathsAreNamed(t *testing.T) {
	dir, env := standinEnv(t)
	for _, c := range []struct{ env, want string }{
		{"FUNCTION=fibonacci-go", "FUNCTION is not a setting and changes nothing; did you mean FUNCTIONS?"},
		{"NUM_INVOCATION=3", "NUM_INVOCATION is not a setting and changes nothing; did you mean NUM_INVOCATIONS?"},
		{"SYSTM=skylake", "SYSTM is not a setting and changes nothing; did you mean SYSTEM?"},
	} {
		for _, target := range []string{"status", "config"} {
			r := magetest.Mage(t, dir, append(env, c.env, "DRY_RUN=1"), target)
			if !strings.Contains(r.Output, c.want) {
				t.Errorf("%s with %s: exit %d, no warning %q\n%s", target, c.env, r.Code, c.want, r.Output)
			}
		}
	}
	file := filepath.Join(dir, "a-file")
	writeFile(t, file, "x")
	r := magetest.Mage(t, dir, append(env, "WORKING_DIR="+file), "status")
	if r.Code == 0 || !strings.Contains(r.Output, `WORKING_DIR="`+file+`" (environment): `+file+" is a file: name a directory") {
		t.Fatalf("WORKING_DIR a file: exit %d\n%s", r.Code, r.Output)
	}
}

// TestUnknownTargetGetsTheNearestName: `go run mage.go` follows Mage's
// "Unknown target specified" with the nearest target's name.
func TestUnknownTargetGetsTheNearestName(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the plugin")
	}
	c := exec.Command("go", "run", "mage.go", "simulate:al")
	c.Dir = magetest.RepoRoot(t)
	c.Env = append(os.Environ(), "MAGEFILE_CACHE="+t.TempDir(), "NO_COLOR=1")
	out, err := c.CombinedOutput()
	if err == nil || !strings.Contains(string(out), `mage: no target "simulate:al"; did you mean "simulate:all"?`) {
		t.Fatalf("go run mage.go simulate:al: %v\n%s", err, out)
	}
}

// TestInterruptedCompileLeavesNothing: Ctrl-C while `go run mage.go`
// compiles the plugin leaves neither mage's main file in magefiles/ nor a
// compile directory in the cache.
func TestInterruptedCompileLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the plugin")
	}
	root := magetest.RepoRoot(t)
	cache := t.TempDir()
	c := exec.Command("go", "run", "mage.go", "config")
	c.Dir = root
	c.Env = append(os.Environ(), "MAGEFILE_CACHE="+cache, "NO_COLOR=1", "GOFLAGS=-a") // -a: a compile long enough to interrupt
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out magetest.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for !strings.Contains(out.String(), "compiling the vswarmu-mage plugin") {
		if time.Now().After(deadline) {
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			t.Fatalf("the compile did not start:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	syscall.Kill(-c.Process.Pid, syscall.SIGINT)
	c.Wait()
	if _, err := os.Stat(filepath.Join(root, "magefiles", "mage_output_file.go")); err == nil {
		t.Errorf("magefiles/mage_output_file.go left behind:\n%s", out.String())
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "compile-*")); len(left) > 0 {
		t.Errorf("compile directories left behind: %v\n%s", left, out.String())
	}
}

// TestUbuntuDiskOnADebianHostFetchesTheKeyring: the default DISTRO=ubuntu
// on a host without Ubuntu's keyring plans image:keyring (the package from
// the Ubuntu archive, its sha256 pinned) before image:base, instead of
// stopping; an archive that does not answer is named in the preflight.
func TestUbuntuDiskOnADebianHostFetchesTheKeyring(t *testing.T) {
	if _, err := os.Stat("/usr/share/keyrings/ubuntu-archive-keyring.gpg"); err == nil {
		t.Skip("this host packages Ubuntu's keyring: nothing to fetch")
	}
	archive := httptest.NewServer(http.FileServer(http.Dir(t.TempDir()))) // answers: a reachable archive
	defer archive.Close()
	dir := t.TempDir()
	env := []string{"WORKING_DIR=" + filepath.Join(dir, "wk"), "RESOURCES=" + filepath.Join(dir, "res"), "GEM5=standin",
		"KERNEL=/dev/null", "CLIENT=/dev/null", "SETUP_CPU=kvm", "FUNCTIONS=fibonacci-go", "IMAGES=reference",
		"MIRROR=" + archive.URL + "/ubuntu", "DRY_RUN=1"}
	r := magetest.Mage(t, dir, env, "simulate:all")
	if r.Code != 0 || !strings.Contains(r.Output, "image:keyring") || strings.Contains(r.Output, "a real run would stop here") {
		t.Fatalf("an Ubuntu disk on this host: exit %d\n%s", r.Code, r.Output)
	}
	r = magetest.Mage(t, dir, append(env[:len(env)-2], "MIRROR=http://"+unreachable+"/ubuntu", "DRY_RUN=1"), "simulate:all")
	if !strings.Contains(r.Output, "image:keyring: cannot reach "+unreachable) {
		t.Fatalf("an unreachable archive: exit %d\n%s", r.Code, r.Output)
	}
}
