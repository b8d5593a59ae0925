package functions

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vswarmu/vswarmu-mage/image"
	"github.com/vswarmu/vswarmu-mage/internal/apt"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

// Tiny describes functions:tiny: a small disk that boots in minutes on a
// real gem5 without KVM, to check a gem5, a kernel and the whole protocol
// before hours of simulation. It holds busybox, the gem5init agent (run by
// a small init, no systemd), m5, the client, and functions installed as
// plain processes (EXEC_MODE=process), unpacked from docker archives on
// the host: no docker in the guest.
type Tiny struct {
	Catalog  *Catalog
	Archives map[string]string // function -> docker-archive of its image
	Busybox  string            // a static busybox
	// Applets is a busybox the host runs to list the applets to link when
	// Busybox is for another arch: Debian builds busybox-static of a
	// release with one configuration for every arch (the host's
	// busybox-static lists what the arm64 one has).
	Applets    string
	M5         string // the guest's m5 utility
	Client     string // the test-client
	Launcher   string // vswarmu-run
	ProjectDir string // image/guest files are taken from here when present
	Out        string // the raw disk
	// Drive makes the drive system's disk of two-machine runs
	// (functions:driveDisk): the same guest with the client and no
	// function.
	Drive bool
}

// withHostBusybox fills in the host's busybox where the plan found none:
// the plan is made before the packages its rules need are installed
// (AUTO_INSTALL installs busybox-static), so it is looked up again when
// the disk is made.
func (t Tiny) withHostBusybox() Tiny {
	host, _ := exec.LookPath("busybox")
	t.Busybox, t.Applets = cmp.Or(t.Busybox, host), cmp.Or(t.Applets, host)
	return t
}

// guest tools and where they go.
func (t Tiny) tools() []image.Inject {
	tools := []image.Inject{
		{Src: t.Busybox, Dst: "/bin/busybox", Mode: 0o755},
		{Src: t.M5, Dst: "/sbin/m5", Mode: 0o755},
		{Src: t.Client, Dst: "/usr/local/bin/test-client", Mode: 0o755},
	}
	if t.Drive {
		return tools
	}
	return append(tools, image.Inject{Src: t.Launcher, Dst: Launcher, Mode: 0o755})
}

// builder names the rule that makes the disk, and the guest's host name.
func (t Tiny) builder() (rule, hostname string) {
	if t.Drive {
		return "functions:driveDisk", "vswarmu-drive"
	}
	return "functions:tiny", "vswarmu"
}

// Inputs are the files the tiny disk is made of.
func (t Tiny) Inputs() []string {
	var inputs []string
	for _, f := range t.tools() {
		if f.Src != "" { // no busybox on this host: Make says what to install
			inputs = append(inputs, f.Src)
		}
	}
	for _, fn := range sortedKeys(t.Archives) {
		inputs = append(inputs, t.Archives[fn])
	}
	for _, name := range []string{"tiny-init", "gem5init"} {
		if _, p, err := image.GuestFile(t.ProjectDir, name); err == nil && p != "" {
			inputs = append(inputs, p)
		}
	}
	return inputs
}

// Description is what shapes the tiny disk: its functions' services and
// its guest files.
func (t Tiny) Description() map[string]string {
	d := map[string]string{}
	if t.Drive {
		d["role"] = "drive system"
	}
	for _, fn := range sortedKeys(t.Archives) {
		d["function:"+fn] = string(t.Catalog.serviceText(fn))
	}
	for _, name := range []string{"tiny-init", "gem5init"} {
		if b, _, err := image.GuestFile(t.ProjectDir, name); err == nil {
			d["guest:"+name] = string(b)
		}
	}
	return d
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Make makes the tiny disk at j.Out(Out).
func (t Tiny) Make(ctx context.Context, j job.Job) error {
	if err := apt.Need("mkfs.ext4", "sfdisk"); err != nil {
		return err
	}
	t = t.withHostBusybox()
	if t.Busybox == "" {
		return &apt.MissingToolsError{Tools: []string{"busybox (a static one: package busybox-static)"}}
	}
	if len(t.Archives) == 0 && !t.Drive {
		return fmt.Errorf("no function to put on the tiny disk: it takes the reference functions (%s) of %s",
			strings.Join(sortedKeys(References), ", "), t.Catalog.Path)
	}
	tree, err := os.MkdirTemp(filepath.Dir(t.Out), ".tiny-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tree)
	j.Progress("populating the tree")
	if err := t.populate(ctx, j, tree); err != nil {
		return err
	}
	size, err := treeSize(tree)
	if err != nil {
		return err
	}
	// Room for the file system's own structures and the guest's logs.
	disk := (size*3/2 + 64<<20 + 1<<20 - 1) &^ (1<<20 - 1)
	j.Logf("tree %d MiB, disk %d MiB", size>>20, disk>>20)
	j.Progress("making the disk")
	return image.MakeDisk(ctx, j, tree, j.Out(t.Out), disk)
}

// populate writes the guest's files into tree.
func (t Tiny) populate(ctx context.Context, j job.Job, tree string) error {
	for _, d := range []string{"proc", "sys", "dev", "tmp", "root", "etc/vswarmu", "usr/local/sbin", "usr/local/bin", "sbin", "bin"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range t.tools() {
		if err := copyFile(f.Src, filepath.Join(tree, f.Dst), f.Mode); err != nil {
			return fmt.Errorf("%s: %w", f.Dst, err)
		}
	}
	if err := t.busyboxLinks(ctx, j, tree); err != nil {
		return err
	}
	files := map[string]string{"sbin/init": "tiny-init", "usr/local/sbin/gem5init": "gem5init"}
	for dst, name := range files {
		b, _, err := image.GuestFile(t.ProjectDir, name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tree, dst), b, 0o755); err != nil {
			return err
		}
	}
	rule, hostname := t.builder()
	etc := map[string]string{
		"etc/hosts":    "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
		"etc/hostname": hostname + "\n",
		"etc/passwd":   "root:x:0:0:root:/root:/bin/sh\n",
		"etc/group":    "root:x:0:\n",
	}
	for p, content := range etc {
		if err := os.WriteFile(filepath.Join(tree, p), []byte(content), 0o644); err != nil {
			return err
		}
	}
	for _, fn := range sortedKeys(t.Archives) {
		j.Progress("unpacking %s", fn)
		if err := t.Catalog.ProcessFiles(fn, t.Archives[fn], filepath.Join(tree, ProcessDir, fn)); err != nil {
			return fmt.Errorf("%s: %w", fn, err)
		}
	}
	manifest, _ := json.MarshalIndent(map[string]any{
		"builder": rule, "functions": sortedKeys(t.Archives), "exec_mode": Process,
		"made": time.Now().UTC().Format(time.RFC3339),
	}, "", "  ")
	return os.WriteFile(filepath.Join(tree, "etc/vswarmu/image.json"), append(manifest, '\n'), 0o644)
}

// busyboxLinks links every applet busybox lists to /bin/busybox, except
// init (the tiny disk has its own).
func (t Tiny) busyboxLinks(ctx context.Context, j job.Job, tree string) error {
	lister := cmp.Or(t.Applets, t.Busybox)
	out, err := j.Command(lister, "--list-full").Output(ctx)
	if err != nil {
		return fmt.Errorf(
			"%s --list-full (a static busybox is needed: apt-get install busybox-static): %w",
			lister,
			err,
		)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "sbin/init" || applet == "linuxrc" || applet == "bin/busybox" {
			continue
		}
		dst := filepath.Join(tree, applet)
		if _, err := os.Lstat(dst); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Symlink("/bin/busybox", dst); err != nil {
			return err
		}
	}
	return nil
}

func treeSize(root string) (int64, error) {
	var n int64
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n, err
}

func copyFile(src, dst string, mode os.FileMode) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, mode)
}
