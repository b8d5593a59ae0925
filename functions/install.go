package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/vswarmu/vswarmu-mage/image"
	"github.com/vswarmu/vswarmu-mage/internal/download"
	"github.com/vswarmu/vswarmu-mage/internal/job"
	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
	"github.com/vswarmu/vswarmu-mage/internal/qemu"
	"github.com/vswarmu/vswarmu-mage/results"
)

// Install describes functions:install: the functions' images go into a
// copy-on-write overlay of the disk image, booted under qemu, and each
// function is started and invoked once to prove it works.
type Install struct {
	Selection *Selection
	Base      string // the disk image (qcow2 or raw) the overlay is made on
	Dir       string // $WORKING_DIR/disk
	Kernel    string
	Arch      string
	MemoryMiB int64
	CPUs      int
	// Images is "registry" (the guest pulls from Docker Hub) or a
	// directory of docker-archive tarballs named by ArchiveName.
	Images string
	// Scanner is vswarmu-scan for the guest ("" for none: an arm64 guest,
	// whose programs gem5's x86 decoder never runs): the install scans each
	// running container's file system with it.
	Scanner string
	Timeout time.Duration // BOOT_TIMEOUT: the limit per function (Limit)
	// Accel decides how qemu runs (kvm or tcg, and a -cpu model).
	Accel func(ctx context.Context, r qemu.Commander) (accel, cpu string)
}

// Overlay is the installed disk (qcow2 over Base).
func (in Install) Overlay() string { return filepath.Join(in.Dir, "functions.qcow2") }

// Raw is the installed disk in the raw format gem5 reads.
func (in Install) Raw() string { return filepath.Join(in.Dir, "functions.raw") }

// Summary is the install record: which function works.
func (in Install) Summary() string { return filepath.Join(in.Dir, "install.json") }

// ScanRecord is the install's scan record: per function, the programs of
// its image that hold an instruction gem5 is known to misexecute
// (ReadScans reads it).
func (in Install) ScanRecord() string { return filepath.Join(in.Dir, "scan.json") }

// Limit is how long the install's guest may run: Timeout for each
// function it installs (loading, starting and checking one is the unit of
// its work, and a loaded machine slows each alike).
func (in Install) Limit() time.Duration {
	return in.Timeout * time.Duration(max(1, len(in.Selection.Functions)))
}

// GuestDir is where the compose file lives in the guest.
const GuestDir = "/root/vswarmu"

// Inputs are the files an install reads besides the base disk: the
// catalogue, when it is a file.
func (in Install) Inputs() []string {
	if in.Selection.Catalog.Path != "" && !strings.Contains(in.Selection.Catalog.Path, "(built in)") {
		return []string{in.Selection.Catalog.Path}
	}
	return nil
}

// Description is what shapes an install (a change makes it stale).
func (in Install) Description() map[string]string {
	return map[string]string{
		"functions": strings.Join(in.Selection.Functions, " "),
		"compose":   string(in.Selection.Catalog.Data),
		"IMAGES":    in.Images,
		"base":      in.Base,
		"script":    installScriptText,
	}
}

// Covers reports whether an install that holds the functions held (an
// earlier install's) holds every selected function: a narrower FUNCTIONS
// then keeps that installed disk and its boot instead of installing anew.
func (in Install) Covers(held []string) bool {
	for _, fn := range in.Selection.Functions {
		if !slices.Contains(held, fn) {
			return false
		}
	}
	return true
}

// ToRaw converts the installed disk to the raw format gem5 reads.
func (in Install) ToRaw(ctx context.Context, j job.Job) error {
	return j.Run(ctx, "qemu-img", "convert", "-O", "raw", in.Overlay(), j.Out(in.Raw()))
}

// installScriptText is the guest's install script; functions:install
// reruns when it changes.
const installScriptText = `#!/bin/sh
# Installs functions into this disk (vswarmu-mage functions:install).
set -u
SERVER=$(sed -n 's/.*vswarmu\.server=\([^ ]*\).*/\1/p' /proc/cmdline)
fetch() { curl -fsS --retry 3 -o "$2" "http://$SERVER/$1"; }
mkdir -p {{.Dir}} && cd {{.Dir}} || exit 1
fetch functions.yaml functions.yaml || { echo "VSWARMU-INSTALL-ERROR cannot fetch functions.yaml"; exit 1; }
{{if .Scanner}}fetch vswarmu-scan /tmp/vswarmu-scan && chmod 755 /tmp/vswarmu-scan || echo "VSWARMU-INSTALL-ERROR cannot fetch vswarmu-scan"
{{end}}
i=0
until docker info > /dev/null 2>&1; do
	i=$((i + 1))
	if [ "$i" -gt 120 ]; then echo "VSWARMU-INSTALL-ERROR docker is not running"; exit 1; fi
	sleep 1
done
{{range .Archives}}fetch {{.}} /tmp/image.tar && docker load -i /tmp/image.tar && rm -f /tmp/image.tar || echo "VSWARMU-INSTALL-ERROR cannot load {{.}}"
{{end}}
compose="docker-compose -p vswarmu -f {{.Dir}}/functions.yaml"
# install_one <function> <the client's name for it>
install_one() {
	echo "=== $1"
	if ! $compose up -d "$1"; then
		echo "VSWARMU-INSTALL $1 failed: docker-compose up failed"
		$compose down
		return
	fi
	if test-client -function-name "$2" -url localhost -port 50000 -n 5 -input 1 -timeout 600s; then
		# EXEC_MODE=process runs the container's command from its root file
		# system, as vswarmu-run reads them.
		dir={{.ProcessDir}}/$1
		rm -rf "$dir" && mkdir -p "$dir/rootfs" &&
			docker inspect {{.Container}} > "$dir/container.json" &&
			docker export {{.Container}} | tar -x -C "$dir/rootfs" ||
			echo "VSWARMU-INSTALL-ERROR $1: cannot save its root file system for EXEC_MODE=process"
{{if .Scanner}}		# The programs gem5 would run wrongly, in what actually runs.
		docker export {{.Container}} | /tmp/vswarmu-scan -function "$1" ||
			echo "VSWARMU-INSTALL-ERROR $1: cannot scan its image's programs"
{{end}}		echo "VSWARMU-INSTALL $1 ok"
		ok=1
	else
		echo "VSWARMU-INSTALL $1 failed: the client could not invoke it"
		$compose logs --tail 30 "$1"
		ok=0
	fi
	$compose rm -fs "$1"
	# The setup under gem5 starts a container created here, pinned to core 1
	# (creating it there costs minutes on atomic cores); it keeps its compose
	# labels, so compose still knows it as the service's.
	if [ "$ok" = 1 ]; then
		if $compose up --no-start "$1" && docker update {{.Container}} --cpuset-cpus 1 > /dev/null &&
			docker rename {{.Container}} "{{.Prepared}}$1"; then
			echo "VSWARMU-PREPARED $1"
		else
			echo "VSWARMU-INSTALL-ERROR $1: cannot create its container for the setup (the setup creates it)"
			$compose rm -fs "$1"
		fi
	fi
}
{{range .Functions}}install_one {{.Name}} {{.Client}}
{{end}}docker image ls
sync
`

var installScript = template.Must(template.New("install").Parse(installScriptText))

// script is the guest's install script, which loads the archives the
// file server serves under those names.
func (in Install) script(archives []string) (string, error) {
	var b strings.Builder
	err := installScript.Execute(
		&b,
		map[string]any{"Dir": GuestDir, "Archives": archives, "Functions": in.scriptFunctions(),
			"ProcessDir": ProcessDir, "Container": ContainerName, "Scanner": in.Scanner != "",
			"Prepared": PreparedName("")},
	)
	return b.String(), err
}

// scriptFunctions pairs each function with the name the client drives it by.
func (in Install) scriptFunctions() []struct{ Name, Client string } {
	out := make([]struct{ Name, Client string }, len(in.Selection.Functions))
	for i, fn := range in.Selection.Functions {
		out[i].Name, out[i].Client = fn, in.Selection.Catalog.ClientName(fn)
	}
	return out
}

var resultLine = regexp.MustCompile(`(?m)^VSWARMU-INSTALL(-ERROR)? (.*)$`)

// Run boots the disk under qemu with an overlay (j.Out(Overlay())), loads
// or pulls every function's images, starts and invokes each function
// once, keeps what EXEC_MODE=process needs, and writes the verdicts to
// j.Out(Summary()).
func (in Install) Run(ctx context.Context, j job.Job) error {
	fns := in.Selection.Functions
	for _, fn := range fns {
		if b := in.Selection.Catalog.BuiltWith(fn); b != "" {
			j.Logf("%s: vSwarm builds its image with %s; the install scans its programs", fn, b)
		}
	}
	files := map[string]string{}
	scans := map[string]results.ImageScan{}
	var archives []string
	if in.Images != "registry" {
		var missing []string
		for i, img := range in.Selection.Catalog.Images(fns) {
			p := filepath.Join(in.Images, ArchiveName(img))
			if _, err := os.Stat(p); err != nil {
				missing = append(missing, fmt.Sprintf("%s (for %s)", ArchiveName(img), img))
				continue
			}
			for _, fn := range in.functionsOf(img) {
				scans[fn] = results.ImageScan{Image: img, Where: "host", Programs: warnMisdecoded(j, img, p)}
			}
			served := fmt.Sprintf("image-%d.tar", i)
			files[served] = p
			archives = append(archives, served)
		}
		if len(missing) > 0 {
			return fmt.Errorf(
				"IMAGES=%s lacks %s: `mage functions:reference` makes the Go functions' images, functions:referenceNodejs and functions:referencePython the others'; save other images there with `docker save`",
				in.Images,
				strings.Join(missing, ", "),
			)
		}
	}
	compose := filepath.Join(in.Dir, "functions.yaml")
	if err := os.MkdirAll(in.Dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(compose, in.Selection.Catalog.Data, 0o644); err != nil {
		return err
	}
	files["functions.yaml"] = compose
	if in.Scanner != "" {
		files["vswarmu-scan"] = in.Scanner
	}
	script, err := in.script(archives)
	if err != nil {
		return err
	}
	base, err := filepath.Abs(in.Base)
	if err != nil {
		return err
	}
	overlay := j.Out(in.Overlay())
	if err := j.Run(ctx, "qemu-img", "create", "-f", "qcow2", "-b", base, "-F", qemu.FormatOf(base), overlay); err != nil {
		return err
	}
	accel, cpu := "tcg", ""
	if in.Accel != nil {
		accel, cpu = in.Accel(ctx, j)
	}
	j.Progress("installing %d functions (qemu %s)", len(fns), accel)
	m := qemu.Machine{
		Arch:      in.Arch,
		Kernel:    in.Kernel,
		Append:    image.RootAppend(in.Arch),
		MemoryMiB: max(in.MemoryMiB, 2048),
		CPUs:      max(in.CPUs, 2),
		Accel:     accel,
		CPU:       cpu,
		Disks:     []qemu.Disk{{Path: overlay, Format: "qcow2"}},
	}
	res, err := qemu.RunScript(ctx, j, m, script, files, j.Log(), in.Limit())
	if len(res.Log) > 0 {
		j.Logf("---- install log from the guest ----\n%s---- end of the install log ----", res.Log)
	}
	if err != nil {
		return fmt.Errorf("install boot: %w", err)
	}
	status, problems := parseInstallLog(res.Log, fns)
	b, _ := json.MarshalIndent(status, "", "  ")
	if err := os.WriteFile(j.Out(in.Summary()), append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := writeScans(j.Out(in.ScanRecord()), in.mergeScans(scans, res.Log, j)); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("functions:install: %s", strings.Join(problems, "; "))
	}
	return nil
}

// warnMisdecoded warns of an image's programs that gem5 would run wrongly
// (a function that computes wrongly under gem5 gives no measurement) and
// returns them.
func warnMisdecoded(j job.Job, img, archive string) []results.ProgramFinding {
	found, err := ScanArchive(archive)
	if err != nil {
		j.Warnf("image %s: its programs were not checked for instructions gem5 misdecodes: %v", img, err)
	}
	for _, f := range found {
		j.Warnf("image %s: %s (gem5's %s): under gem5 it runs wrongly %s", img, f.Line(), misdecode.Gem5Sources(f.Misdecodes), remedy(f))
	}
	return found
}

// remedy says what to do about a program gem5 runs wrongly.
func remedy(f results.ProgramFinding) string {
	if f.GoVersion != "" && slices.Equal(f.Misdecodes, []string{misdecode.XchgREXB}) {
		return "(a Go 1.20 or older collector stores wrong pointers); rebuild it with Go 1.21 or later"
	}
	return "where that code runs; use a gem5 with the project's fixes (GEM5_PATCHES=builtin, gem5:build)"
}

// functionsOf are the selected functions whose image is img.
func (in Install) functionsOf(img string) []string {
	var out []string
	for _, fn := range in.Selection.Functions {
		if in.Selection.Catalog.Project.Services[fn].Image == img {
			out = append(out, fn)
		}
	}
	return out
}

// mergeScans adds the guest's scans (what actually runs) to the host's,
// and warns of what only the guest found (images the host never had).
func (in Install) mergeScans(host map[string]results.ImageScan, log []byte, j job.Job) map[string]results.ImageScan {
	if in.Scanner == "" {
		return host
	}
	guest, scanned := parseScanLines(log)
	for _, fn := range in.Selection.Functions {
		if !scanned[fn] {
			continue // not installed, or the scan failed (said in the log)
		}
		img := in.Selection.Catalog.Project.Services[fn].Image
		where := "guest"
		if _, ok := host[fn]; ok {
			where = "host and guest"
		}
		host[fn] = results.ImageScan{Image: img, Where: where, Programs: guest[fn]}
		for _, f := range guest[fn] {
			j.Warnf("function %s (image %s, scanned in the guest): %s (gem5's %s): under gem5 it runs wrongly", fn, img, f.Line(), misdecode.Gem5Sources(f.Misdecodes))
		}
	}
	return host
}

// parseInstallLog reads the guest's verdict per function.
func parseInstallLog(log []byte, fns []string) (map[string]string, []string) {
	status := map[string]string{}
	var problems []string
	for _, m := range resultLine.FindAllSubmatch(log, -1) {
		text := string(m[2])
		if len(m[1]) > 0 {
			problems = append(problems, text)
			continue
		}
		fn, verdict, _ := strings.Cut(text, " ")
		status[fn] = verdict
	}
	for _, fn := range fns {
		v, ok := status[fn]
		switch {
		case !ok:
			problems = append(problems, fn+": no result (the install script stopped early)")
		case v != "ok":
			problems = append(problems, fn+" "+v)
		}
	}
	sort.Strings(problems)
	return status, problems
}

// Installed reads the install record.
func Installed(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]string
	return m, json.Unmarshal(b, &m)
}

// RegistryURL is the registry the guest pulls function images from with
// IMAGES=registry.
const RegistryURL = "https://registry-1.docker.io/v2/"

// Preflight checks, before anything is built, that the images can be had:
// with IMAGES=registry, Docker Hub must be reachable.
func (in Install) Preflight(ctx context.Context) error {
	if in.Images != "registry" {
		return nil
	}
	if err := download.Reachable(ctx, RegistryURL); err != nil {
		return fmt.Errorf(
			"IMAGES=registry: %w (IMAGES=reference builds the Go reference functions here; a directory of `docker save` archives or INSTALLED_DISK avoid Docker Hub)",
			err,
		)
	}
	return nil
}
