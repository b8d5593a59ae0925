// Package slurmtest starts a single-node Slurm cluster on this machine for
// tests: munged, slurmctld and slurmd from Debian's packages, run as root
// without systemd, with their own configuration, ports and state in a
// temporary directory, and stopped by PID when the test ends.
package slurmtest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/slurm"
)

// Packages are the Debian packages the cluster needs.
var Packages = []string{"slurmctld", "slurmd", "slurm-client", "munge"}

// Cluster is a running single-node cluster.
type Cluster struct {
	slurm.Cluster        // its commands' environment (SLURM_CONF)
	Conf          string // slurm.conf
	Dir           string // configuration, state, logs
	CPUs          int    // the node's CPUs
	Partition     string
	procs         []*exec.Cmd
}

// Start starts a cluster whose node has cpus CPUs (0: what slurmd -C
// finds), or skips the test when the packages or root are missing.
func Start(t testing.TB, cpus int) *Cluster {
	t.Helper()
	for _, tool := range []string{"munged", "slurmctld", "slurmd", "sbatch", "runuser"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf(
				"%s not found: the Slurm tests need Debian's %s (mage test:depInstall installs them)",
				tool,
				strings.Join(Packages, " "),
			)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("the Slurm tests run munged and slurmd and need root")
	}
	c, err := start(cpus)
	if c != nil {
		t.Cleanup(c.Stop)
	}
	if err != nil {
		t.Fatalf("start a single-node Slurm cluster: %v", err)
	}
	return c
}

func start(cpus int) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "vswarmu-slurm-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Conf: filepath.Join(dir, "slurm.conf"), Partition: "vswarmu"}
	c.Env = []string{"SLURM_CONF=" + c.Conf}
	node, err := nodeLine(cpus)
	if err != nil {
		return c, err
	}
	c.CPUs = node.cpus
	if err := c.startMunge(); err != nil {
		return c, err
	}
	if err := c.writeConf(node); err != nil {
		return c, err
	}
	if err := c.daemon("slurmctld", "slurmctld", "-D", "-i", "-f", c.Conf); err != nil {
		return c, err
	}
	if err := c.daemon("slurmd", "slurmd", "-D", "-N", "localhost", "-f", c.Conf); err != nil {
		return c, err
	}
	return c, c.waitIdle(30 * time.Second)
}

type node struct {
	cpus   int
	memory int
}

var slurmdC = regexp.MustCompile(`CPUs=(\d+).*RealMemory=(\d+)`)

// nodeLine reads this machine's CPUs and memory as slurmd sees them.
func nodeLine(cpus int) (node, error) {
	out, err := exec.Command("slurmd", "-C").Output()
	m := slurmdC.FindStringSubmatch(string(out))
	if err != nil || m == nil {
		return node{}, fmt.Errorf("slurmd -C: %v: %s", err, out)
	}
	n := node{}
	n.cpus, _ = strconv.Atoi(m[1])
	n.memory, _ = strconv.Atoi(m[2])
	if cpus > 0 {
		n.cpus = cpus
	}
	return n, nil
}

// startMunge starts munged as the munge user with a fresh key, its socket
// in a directory munge owns.
func (c *Cluster) startMunge() error {
	u, err := user.Lookup("munge")
	if err != nil {
		return fmt.Errorf("user munge: %w (is the munge package installed?)", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	md := filepath.Join(c.Dir, "munge")
	key := make([]byte, 1024)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	// munged wants its socket's directory searchable by everyone.
	steps := []error{
		os.Chmod(c.Dir, 0o755),
		os.Mkdir(md, 0o755),
		os.WriteFile(filepath.Join(md, "munge.key"), key, 0o400),
	}
	for _, p := range []string{md, filepath.Join(md, "munge.key")} {
		steps = append(steps, os.Chown(p, uid, gid))
	}
	for _, err := range steps {
		if err != nil {
			return fmt.Errorf("munge directory: %w", err)
		}
	}
	// The munge user runs munged by its real path: runuser keeps PATH, whose
	// directories (a user's own bin, say) the munge user may not enter.
	munged, err := realPath("munged")
	if err != nil {
		return err
	}
	return c.daemon("munged", "runuser", "-u", "munge", "--", munged, "-F",
		"--key-file="+filepath.Join(md, "munge.key"), "--socket="+c.socket(),
		"--pid-file="+filepath.Join(md, "munged.pid"), "--seed-file="+filepath.Join(md, "munge.seed"),
		"--log-file="+filepath.Join(md, "munged.log"))
}

// realPath finds a command on PATH and resolves its symbolic links.
func realPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		p, err = filepath.EvalSymlinks(p)
	}
	if err != nil {
		return "", fmt.Errorf("find %s: %w", name, err)
	}
	return p, nil
}

func (c *Cluster) socket() string { return filepath.Join(c.Dir, "munge", "munge.socket") }

// writeConf writes slurm.conf: root runs everything, no cgroups, no
// accounting, jobs scheduled at once, two free ports.
func (c *Cluster) writeConf(n node) error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	for _, d := range []string{"state", "spool"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, d), 0o755); err != nil {
			return err
		}
	}
	conf := fmt.Sprintf(`ClusterName=vswarmu-test
SlurmctldHost=localhost
SlurmctldPort=%d
SlurmdPort=%d
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=%s
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=%[4]s/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MailProg=/bin/true
ReturnToService=2
SchedulerParameters=batch_sched_delay=0
MinJobAge=600
StateSaveLocation=%[4]s/state
SlurmdSpoolDir=%[4]s/spool
SlurmctldPidFile=%[4]s/slurmctld.pid
SlurmdPidFile=%[4]s/slurmd.pid
SlurmctldLogFile=%[4]s/slurmctld.log
SlurmdLogFile=%[4]s/slurmd.log
NodeName=localhost CPUs=%[5]d RealMemory=%[6]d State=UNKNOWN
PartitionName=%[7]s Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`, ports[0], ports[1], c.socket(), c.Dir, n.cpus, n.memory, c.Partition)
	return os.WriteFile(c.Conf, []byte(conf), 0o644)
}

// freePorts returns n TCP ports nothing listens on now.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// daemon starts a daemon in the foreground of a process group of its own,
// its output in <name>.out.
func (c *Cluster) daemon(name string, argv ...string) error {
	out, err := os.Create(filepath.Join(c.Dir, name+".out"))
	if err != nil {
		return err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	out.Close()
	c.procs = append(c.procs, cmd)
	if name == "munged" {
		return waitFor(
			10*time.Second,
			func() bool { _, err := os.Stat(c.socket()); return err == nil },
			"munged's socket",
			func() string { return c.log("munged.out") + c.log("munge/munged.log") },
		)
	}
	return nil
}

// waitIdle waits for the node to accept jobs.
func (c *Cluster) waitIdle(within time.Duration) error {
	return waitFor(within, func() bool {
		out, _ := c.Run("sinfo", "-h", "-o", "%T")
		return strings.TrimSpace(out) == "idle"
	}, "the node to be idle", func() string { return c.log("slurmctld.out") + c.log("slurmd.out") })
}

// waitFor polls ok until it holds or within has passed; then the error
// carries the logs as they are at that moment.
func waitFor(within time.Duration, ok func() bool, what string, logs func() string) error {
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %v for %s; logs:\n%s", within, what, logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// log returns the tail of one of the cluster's files.
func (c *Cluster) log(name string) string {
	b, _ := os.ReadFile(filepath.Join(c.Dir, name))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "== " + name + "\n" + string(b)
}

// Run runs one of Slurm's commands against the cluster and returns its
// output.
func (c *Cluster) Run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), c.Env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Jobs lists the jobs squeue shows as id → state.
func (c *Cluster) Jobs() map[string]string {
	out, _ := c.Run("squeue", "-h", "-o", "%i %T")
	jobs := map[string]string{}
	sc := bufio.NewScanner(bytes.NewBufferString(out))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 {
			jobs[f[0]] = f[1]
		}
	}
	return jobs
}

// Stop cancels every job and stops the daemons by PID (SIGTERM, then
// SIGKILL after ten seconds), then removes the cluster's directory.
func (c *Cluster) Stop() {
	if len(c.procs) > 1 {
		_, _ = c.Run("scancel", "--full", "--partition", c.Partition)
	}
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	_ = os.RemoveAll(c.Dir)
}
