package recdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type job struct{ N int }

func TestRecordsAndKillMarks(t *testing.T) {
	d := Dir[job]{Path: filepath.Join(t.TempDir(), "recs"), Name: "job record"}
	if items, err := d.List(); items != nil || err != nil {
		t.Fatalf("a missing directory: %v %v, want none", items, err)
	}
	for i, key := range []string{"a", "b"} {
		if err := d.Add(key, job{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.MarkKilled("b", "mage kill (pid 7)"); err != nil {
		t.Fatal(err)
	}
	// A writer's temporary file and another tool's file are not records.
	os.WriteFile(filepath.Join(d.Path, ".c.json.tmp-1"), []byte("{"), 0o644)
	os.WriteFile(filepath.Join(d.Path, "notes.txt"), []byte("x"), 0o644)
	items, err := d.List()
	if err != nil || len(items) != 2 || items[0] != (Item[job]{Key: "a", Value: job{0}}) ||
		items[1] != (Item[job]{Key: "b", Value: job{1}, Killed: "mage kill (pid 7)"}) {
		t.Fatalf("List: %+v %v", items, err)
	}
	vals, err := d.Values(func(j *job, who string) {
		if who != "" {
			j.N += 10
		}
	}, func(a, b job) bool { return a.N > b.N })
	if err != nil || len(vals) != 2 || vals[0].N != 11 || vals[1].N != 0 {
		t.Fatalf("Values: %+v %v, want the killed one marked and first by less", vals, err)
	}
	d.Remove("b")
	if who, ok := d.KilledBy("b"); ok || who != "" {
		t.Errorf("the kill mark outlived its record: %q", who)
	}
	os.WriteFile(filepath.Join(d.Path, "bad.json"), []byte("{"), 0o644)
	items, err = d.List()
	if len(items) != 1 || err == nil ||
		!strings.Contains(err.Error(), "job record "+filepath.Join(d.Path, "bad.json")) {
		t.Errorf("a broken record: %+v, %v (want the good one and an error naming the file)", items, err)
	}
}
