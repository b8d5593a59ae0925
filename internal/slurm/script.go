package slurm

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Script is a batch job: what it asks the cluster for and the command it
// runs.
type Script struct {
	Name      string        // --job-name
	Comment   string        // --comment: how this tool finds its jobs again (no blanks)
	Output    string        // --output: the job's standard output and error
	Dir       string        // --chdir
	CPUs      int           // --cpus-per-task
	MemoryMiB int64         // --mem, in MiB
	Time      time.Duration // --time, rounded up to whole minutes
	Partition string        // --partition, when set
	Account   string        // --account, when set
	QOS       string        // --qos, when set
	Options   []string      // further sbatch options, as given
	Argv      []string      // the command
}

// Write writes the script to path, readable and resubmittable by hand.
func (s Script) Write(path string) error {
	if err := os.WriteFile(path, []byte(s.Render(path)), 0o755); err != nil {
		return fmt.Errorf("job script: %w", err)
	}
	return nil
}

// Render renders the script kept at path: #SBATCH lines, then the command
// run with exec so the job's signals reach it.
func (s Script) Render(path string) string {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	b.WriteString("# Written by vswarmu-mage; resubmit with: sbatch " + Quote(path) + "\n")
	opt := func(name, value string) {
		if value != "" {
			fmt.Fprintf(&b, "#SBATCH --%s=%s\n", name, value)
		}
	}
	opt("job-name", s.Name)
	opt("comment", s.Comment)
	opt("output", s.Output)
	opt("chdir", s.Dir)
	if s.CPUs > 0 {
		opt("cpus-per-task", fmt.Sprint(s.CPUs))
	}
	if s.MemoryMiB > 0 {
		opt("mem", fmt.Sprintf("%dM", s.MemoryMiB))
	}
	if s.Time > 0 {
		opt("time", fmt.Sprint(Minutes(s.Time)))
	}
	opt("partition", s.Partition)
	opt("account", s.Account)
	opt("qos", s.QOS)
	for _, o := range s.Options {
		fmt.Fprintf(&b, "#SBATCH %s\n", o)
	}
	b.WriteString("exec")
	for _, a := range s.Argv {
		b.WriteString(" " + Quote(a))
	}
	b.WriteString("\n")
	return b.String()
}

// Minutes is a time limit in whole minutes, rounded up (Slurm's unit).
func Minutes(d time.Duration) int64 {
	return max(1, int64((d+time.Minute-1)/time.Minute))
}

// Quote quotes a word for the shell.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
