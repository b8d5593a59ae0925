package kernel

import (
	"fmt"
	"strings"

	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// Requirement is one thing a kernel config must (or should) have: one of
// several sets of options, each set complete (y, or m when modules are
// acceptable).
type Requirement struct {
	AnyOf    [][]string // alternatives; each is a set of symbols all needed
	NoneOf   []string   // symbols that must not be set (y or m)
	Required bool       // missing fails the check; otherwise a warning
	Why      string     // what breaks without it
	Arch     string     // "" for every architecture, else amd64 or arm64
}

// Group is a titled list of requirements.
type Group struct {
	Name  string
	Items []Requirement
}

func all(syms ...string) Requirement { return Requirement{AnyOf: [][]string{syms}, Required: true} }

func each(required bool, why string, syms ...string) []Requirement {
	out := make([]Requirement, len(syms))
	for i, s := range syms {
		out[i] = Requirement{AnyOf: [][]string{{s}}, Required: required, Why: why}
	}
	return out
}

// Requirements are the groups kernel:check reports: Docker's generally
// necessary options and storage/network drivers (from Docker's
// check-config list), what systemd needs, and what gem5 and qemu need.
var Requirements = []Group{
	{Name: "Docker: generally necessary", Items: each(true, "dockerd refuses to start or containers fail",
		"NAMESPACES", "NET_NS", "PID_NS", "IPC_NS", "UTS_NS", "CGROUPS", "CGROUP_CPUACCT", "CGROUP_DEVICE",
		"CGROUP_FREEZER", "CGROUP_SCHED", "CPUSETS", "MEMCG", "KEYS", "VETH", "BRIDGE", "BRIDGE_NETFILTER",
		"IP_NF_FILTER", "IP_NF_TARGET_MASQUERADE", "NETFILTER_XT_MATCH_ADDRTYPE", "NETFILTER_XT_MATCH_CONNTRACK",
		"NETFILTER_XT_MATCH_IPVS", "NETFILTER_XT_MARK", "IP_NF_NAT", "NF_NAT", "POSIX_MQUEUE", "CGROUP_BPF")},
	{Name: "Docker: optional features", Items: each(false, "resource limits or security features are unavailable",
		"USER_NS", "SECCOMP", "SECCOMP_FILTER", "CGROUP_PIDS", "BLK_CGROUP", "FAIR_GROUP_SCHED", "CFS_BANDWIDTH")},
	{
		Name:  "Docker: storage driver overlay2",
		Items: each(true, "the overlay2 storage driver cannot work", "OVERLAY_FS"),
	},
	{Name: "Docker: network drivers (bridge, nftables)", Items: append(
		each(false, "iptables-nft (Ubuntu 22.04's default) cannot set up container networking",
			"NF_TABLES", "NFT_COMPAT", "NFT_NAT", "NFT_MASQ", "NFT_CT"),
		each(false, "IPv6 container networking is unavailable", "IP6_NF_NAT", "IP6_NF_TARGET_MASQUERADE")...)},
	{Name: "systemd", Items: append(
		each(
			true,
			"systemd does not boot",
			"DEVTMPFS",
			"CGROUPS",
			"INOTIFY_USER",
			"SIGNALFD",
			"TIMERFD",
			"EPOLL",
			"FHANDLE",
			"PROC_FS",
			"SYSFS",
			"TMPFS",
			"UNIX",
		),
		each(false, "some systemd features are missing", "AUTOFS_FS", "TMPFS_POSIX_ACL", "TMPFS_XATTR")...)},
	{Name: "gem5 full system", Items: []Requirement{
		{
			AnyOf:    [][]string{{"SERIAL_8250", "SERIAL_8250_CONSOLE"}},
			Required: true,
			Arch:     "amd64",
			Why:      "no console output from gem5's UART",
		},
		{
			AnyOf:    [][]string{{"SERIAL_AMBA_PL011", "SERIAL_AMBA_PL011_CONSOLE"}},
			Required: true,
			Arch:     "arm64",
			Why:      "no console output from gem5's PL011",
		},
		{
			AnyOf:    [][]string{{"VEXPRESS_CONFIG", "CLK_VEXPRESS_OSC"}},
			Required: true,
			Arch:     "arm64",
			Why:      "gem5's PL011 waits for ever for its clock, a VExpress oscillator: no console output (board.terminal stays empty)",
		},
		{
			AnyOf:    [][]string{{"IDE", "BLK_DEV_IDEDISK", "BLK_DEV_PIIX"}, {"ATA", "ATA_PIIX", "BLK_DEV_SD"}},
			Required: true,
			Arch:     "amd64",
			Why:      "the root disk on gem5's PIIX IDE controller is not found",
		},
		all("EXT4_FS", "PCI", "BLK_DEV_INITRD"),
		{
			AnyOf:    [][]string{{"DEVMEM"}},
			Required: true,
			Why:      "m5 ops through /dev/mem (client -m5ops, m5 readfile/exit) fail",
		},
		{
			AnyOf: [][]string{{"E1000"}},
			Arch:  "amd64",
			Why:   "TOPOLOGY=two-machine finds no network card (gem5's IGbE_e1000)",
		},
		{
			NoneOf:   []string{"P2SB"},
			Required: true,
			Arch:     "amd64",
			Why: "gem5 panics at boot: the P2SB driver writes the config space of 00:1f.1, which gem5's PC lacks " +
				"(unset CONFIG_I2C_I801, which selects it)",
		},
	}},
	{Name: "qemu (installing functions)", Items: []Requirement{
		{
			AnyOf:    [][]string{{"VIRTIO_PCI", "VIRTIO_BLK", "VIRTIO_NET"}},
			Required: true,
			Why:      "the disk and network of the install VM are not found",
		},
	}},
}

// Finding is the result of one requirement.
type Finding struct {
	Requirement
	OK      bool
	Modules bool   // satisfied only with modules (=m)
	Have    string // what the config has, for the report
	Missing []string
}

// GroupReport is a group's findings.
type GroupReport struct {
	Name     string
	Findings []Finding
}

// Report is the result of checking one config.
type Report struct {
	Path   string
	Arch   string
	Groups []GroupReport
}

// Check evaluates every requirement for arch against cfg.
func Check(cfg Config, arch, path string) Report {
	rep := Report{Path: path, Arch: arch}
	for _, g := range Requirements {
		gr := GroupReport{Name: g.Name}
		for _, req := range g.Items {
			if req.Arch != "" && req.Arch != arch {
				continue
			}
			gr.Findings = append(gr.Findings, evaluate(cfg, req))
		}
		rep.Groups = append(rep.Groups, gr)
	}
	return rep
}

func evaluate(cfg Config, req Requirement) Finding {
	f := Finding{Requirement: req}
	if len(req.NoneOf) > 0 {
		f.OK = true
		var haves []string
		for _, s := range req.NoneOf {
			v := cfg.Get(s)
			haves = append(haves, fmt.Sprintf("CONFIG_%s=%s", s, describeValue(v)))
			if v == "y" || v == "m" {
				f.OK = false
				f.Missing = append(f.Missing, "CONFIG_"+s+" unset")
			}
		}
		f.Have = strings.Join(haves, " ")
		return f
	}
	var haves []string
	for i, set := range req.AnyOf {
		ok, modules := true, false
		var missing []string
		for _, s := range set {
			switch cfg.Get(s) {
			case "y":
			case "m":
				modules = true
			default:
				ok = false
				missing = append(missing, "CONFIG_"+s)
			}
			haves = append(haves, fmt.Sprintf("CONFIG_%s=%s", s, describeValue(cfg.Get(s))))
		}
		if ok {
			f.OK, f.Modules, f.Missing = true, modules, nil
			f.Have = strings.Join(haves[len(haves)-len(set):], " ")
			return f
		}
		if i == 0 || len(missing) < len(f.Missing) {
			f.Missing = missing
		}
	}
	f.Have = strings.Join(haves, " ")
	return f
}

// Failed returns the required options that are missing, each with why it
// matters.
func (r Report) Failed() []string {
	var out []string
	for _, g := range r.Groups {
		for _, f := range g.Findings {
			if !f.OK && f.Required {
				out = append(out, fmt.Sprintf("%s (%s: %s)", strings.Join(f.Missing, ", "), g.Name, f.Why))
			}
		}
	}
	return out
}

// Name describes a requirement's options: "A B" or "A B | C D".
func (req Requirement) Name() string {
	if len(req.NoneOf) > 0 {
		names := make([]string, len(req.NoneOf))
		for i, s := range req.NoneOf {
			names[i] = "no CONFIG_" + s
		}
		return strings.Join(names, " ")
	}
	alts := make([]string, len(req.AnyOf))
	for i, set := range req.AnyOf {
		names := make([]string, len(set))
		for j, s := range set {
			names[j] = "CONFIG_" + s
		}
		alts[i] = strings.Join(names, " ")
	}
	return strings.Join(alts, " | ")
}

// Print writes the report grouped, one line per requirement.
func (r Report) Print(out *ui.Printer) {
	out.Printf("%s (%s)", out.Bold("kernel config "+r.Path), r.Arch)
	for _, g := range r.Groups {
		out.Printf("%s", g.Name)
		for _, f := range g.Findings {
			switch {
			case f.OK && f.Modules:
				out.Printf("  %s %s (as modules: the guest must load them)", out.Yellow("✔"), f.Have)
			case f.OK:
				out.Printf("  %s %s", out.Green("✔"), f.Have)
			case f.Required:
				out.Printf("  %s %s missing — %s", out.Red("✘"), strings.Join(f.Missing, " "), f.Why)
			default:
				out.Printf("  %s %s missing (optional) — %s", out.Yellow("–"), strings.Join(f.Missing, " "), f.Why)
			}
		}
	}
}
