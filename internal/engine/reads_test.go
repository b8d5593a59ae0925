package engine

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestChangedReadsMakeARuleStale: a rule whose inputs become other files,
// or the same files with other (older) times, reruns even though nothing
// is newer than its outputs; a log written before reads were kept judges
// by time alone.
func TestChangedReadsMakeARuleStale(t *testing.T) {
	cases := []struct {
		name   string
		change func(f *fixture, given *string)
		runs   []string
		reason string
	}{
		{"nothing changed", func(*fixture, *string) {}, nil, ""},
		{"given file replaced by an older one", func(f *fixture, given *string) {
			old := time.Now().Add(-48 * time.Hour)
			if err := os.WriteFile(*given, []byte("other kernel"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(*given, old, old); err != nil {
				t.Fatal(err)
			}
		}, []string{"boot"}, "input " + "%GIVEN%" + " changed since the last run"},
		{"setting names another, older file", func(f *fixture, given *string) {
			f.write("older-kernel", "older")
			old := time.Now().Add(-48 * time.Hour)
			if err := os.Chtimes(f.path("older-kernel"), old, old); err != nil {
				t.Fatal(err)
			}
			*given = f.path("older-kernel")
		}, []string{"boot"}, "reads %GIVEN% instead of"},
		{"own input file replaced by an older one", func(f *fixture, _ *string) {
			old := time.Now().Add(-48 * time.Hour)
			if err := os.Chtimes(f.path("script"), old, old); err != nil {
				t.Fatal(err)
			}
		}, []string{"boot"}, "input %SCRIPT% changed since the last run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.write("kernel", "vmlinux")
			f.write("script", "run")
			given := f.path("kernel")
			shape := func(f *fixture) []*Rule {
				leaf := &Rule{Target: "given:KERNEL", Outputs: []string{given}}
				return []*Rule{leaf, f.rule("boot", []*Rule{leaf}, "script")}
			}
			f.mustRun(shape, []string{"boot"}, "boot")
			c.change(f, &given)
			f.mustRun(shape, c.runs, "boot")
			if c.reason == "" {
				return
			}
			want := strings.NewReplacer("%GIVEN%", given, "%SCRIPT%", f.path("script")).Replace(c.reason)
			if !strings.Contains(f.out.String(), want) {
				t.Errorf("the rerun's reason lacks %q:\n%s", want, f.out.String())
			}
			f.mustRun(shape, nil, "boot") // and then it is up to date
		})
	}
}

// TestLogsWithoutReadsJudgeByTime: a done line of the earlier format (no
// reads field) is read, and the rule stays up to date.
func TestLogsWithoutReadsJudgeByTime(t *testing.T) {
	f := newFixture(t)
	f.write("a.in", "a")
	shape := func(f *fixture) []*Rule { return []*Rule{f.rule("a", nil, "a.in")} }
	f.mustRun(shape, []string{"a"}, "a")
	logPath := f.path(".vswarmu/build.log")
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if fields := strings.Split(line, "\t"); fields[0] == "D" {
			if len(fields) != 9 {
				t.Fatalf("done line has %d fields, want 9: %q", len(fields), line)
			}
			line = strings.Join(fields[:8], "\t")
		}
		lines = append(lines, line)
	}
	if err := os.WriteFile(logPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(f.path("a.in"), old, old); err != nil {
		t.Fatal(err)
	}
	f.mustRun(shape, nil, "a")
}

func TestReadsChangesInWords(t *testing.T) {
	cases := []struct {
		old, cur Reads
		want     string
	}{
		{Reads{"/a": 1}, Reads{"/a": 1}, ""},
		{Reads{"/a": 1}, Reads{"/b": 1}, "reads /b instead of /a"},
		{Reads{"/a": 1}, Reads{"/a": 1, "/b": 2}, "reads /b, which its last run did not"},
		{Reads{"/a": 1, "/b": 2}, Reads{"/a": 1}, "no longer reads /b"},
		{Reads{"/a": -1}, Reads{"/a": 0}, "input /a changed since the last run (now dated"},
	}
	for _, c := range cases {
		got := strings.Join(c.old.changes(c.cur), "; ")
		if c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("%v → %v: %q, want %q", c.old, c.cur, got, c.want)
		}
	}
}
