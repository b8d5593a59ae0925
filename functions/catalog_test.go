package functions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/client"
)

func TestBuiltInCatalogDefinesEveryFunction(t *testing.T) {
	cat, err := Load("functions.yaml", DefaultCompose)
	if err != nil {
		t.Fatal(err)
	}
	all, err := ParseList(AllList, "all.list")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 21 || strings.Join(all, " ") != strings.Join(client.Functions, " ") {
		t.Fatalf("all.list %v differs from the client's functions %v", all, client.Functions)
	}
	if err := cat.Validate(all); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cat.Functions(), " "); len(cat.Functions()) != 21 {
		t.Fatalf("functions in the catalogue: %s", got)
	}
	imgs := cat.Images([]string{"profile", "recommendationservice"})
	want := "vhiveease/hotel-app-profile:latest vhiveease/memcached vhiveease/mongodb vhiveease/onlineshop-productcatalogservice:latest vhiveease/onlineshop-recommendationservice:latest"
	if strings.Join(imgs, " ") != want {
		t.Fatalf("images %v", imgs)
	}
	def, err := ParseList(DefaultList, "functions.list")
	if err != nil || strings.Join(def, " ") != "fibonacci-go fibonacci-nodejs fibonacci-python" {
		t.Fatalf("default list %v %v", def, err)
	}
}

func TestValidateNamesEveryProblem(t *testing.T) {
	bad := `version: "3.3"
services:
  good:
    image: a/b
    container_name: function
    ports: ["50000:50051"]
  noport:
    image: a/c
    container_name: function
  named:
    image: a/d
    container_name: fn
    ports: ["50000:1"]
  fibonacci-go:
    image: x
    container_name: function
    ports: ["50000:50051"]
    depends_on: [noport]
  rust:
    image: a/e
    container_name: function
    ports: ["50000:50051"]
    labels: {vswarmu.client: fibonacci}
  typo:
    image: a/f
    container_name: function
    ports: ["50000:50051"]
    labels: {vswarmu.client: fibonaci}
`
	cat, err := Load("bad.yaml", []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	err = cat.Validate([]string{"fibonacci-go", "noport", "named", "missing", "good", "rust", "typo"})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{
		"noport (bad.yaml): does not publish port 50000",
		`named (bad.yaml): container_name is "fn"`,
		"missing: not in bad.yaml",
		"good (bad.yaml): the client cannot drive it: name the protocol it speaks with the label vswarmu.client",
		"noport (bad.yaml): the client cannot drive it",
		"typo (bad.yaml): label vswarmu.client=fibonaci: the client knows no function or service of that name (services: aes, auth,",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for _, ok := range []string{"fibonacci-go", "rust"} {
		if strings.Contains(err.Error(), "\n"+ok+" ") || strings.HasPrefix(err.Error(), ok+" ") {
			t.Errorf("a correct function (%s) was reported:\n%v", ok, err)
		}
	}
	if got := cat.ClientName("rust"); got != "fibonacci" {
		t.Errorf("ClientName(rust) = %q", got)
	}
	if got := cat.ClientName("good"); got != "good" {
		t.Errorf("ClientName(good) = %q", got)
	}
	if _, err := Load("broken.yaml", []byte("services:\n  a:\n    image: [1, 2]\n")); err == nil ||
		!strings.Contains(err.Error(), "broken.yaml") {
		t.Fatalf("schema error: %v", err)
	}
}

func TestParseList(t *testing.T) {
	cases := []struct {
		in, want, err string
	}{
		{"# c\nfibonacci-go\n\n aes-go  # trailing\n", "fibonacci-go aes-go", ""},
		{"a b\n", "", "l:1: \"a b\": one function name per line"},
		{"a\nb\na\n", "", "l:3: a is already listed on line 1"},
		{"# nothing\n", "", "l lists no function"},
	}
	for _, c := range cases {
		got, err := ParseList([]byte(c.in), "l")
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("%q: %v %v", c.in, got, err)
		}
	}
}

func TestSelectPrefersTheProject(t *testing.T) {
	dir := t.TempDir()
	sel, err := Select(dir, "", nil)
	if err != nil || len(sel.Functions) != 3 || !strings.Contains(sel.ListFrom, "built in") {
		t.Fatalf("built-in selection: %+v %v", sel, err)
	}
	os.MkdirAll(filepath.Join(dir, "functions"), 0o755)
	os.WriteFile(filepath.Join(dir, "functions", "functions.list"), []byte("aes-go\nnosuch\n"), 0o644)
	if _, err := Select(dir, "", nil); err == nil ||
		!strings.Contains(err.Error(), "nosuch: not in functions.yaml (built in)") {
		t.Fatalf("bad project list: %v", err)
	}
	sel, err = Select(dir, "", []string{"geo", "user"})
	if err != nil || sel.ListFrom != "FUNCTIONS" || len(sel.Functions) != 2 {
		t.Fatalf("FUNCTIONS: %+v %v", sel, err)
	}
	// FUNCTIONS_YAML replaces the catalogue the list is checked against.
	compose := filepath.Join(t.TempDir(), "mine.yaml")
	os.WriteFile(
		compose,
		[]byte(
			"version: \"3.3\"\nservices:\n  nosuch:\n    image: a/b\n    container_name: function\n    ports: [\"50000:50051\"]\n    labels: {vswarmu.client: aes}\n",
		),
		0o644,
	)
	sel, err = Select(dir, compose, []string{"nosuch"})
	if err != nil || sel.Catalog.Path != compose || sel.Catalog.ClientName("nosuch") != "aes" {
		t.Fatalf("FUNCTIONS_YAML: %+v %v", sel, err)
	}
	if _, err := Select(dir, compose, []string{"aes-go"}); err == nil ||
		!strings.Contains(err.Error(), "aes-go: not in "+compose) {
		t.Fatalf("FUNCTIONS_YAML without the listed function: %v", err)
	}
}

// TestYAMLErrorsCountLinesFromOne: a syntax error names the lines an
// editor shows (yaml.v3 counts them from 0 in these messages).
func TestYAMLErrorsCountLinesFromOne(t *testing.T) {
	data := "version: \"3.3\"\nservices:\n  fibonacci-go:\n    image: x\n    container_name: [function\n    ports: [\"50000:50051\"]\n"
	_, err := Load("functions.yaml", []byte(data))
	want := "line 6, column 10: did not find expected ',' or ']' (in parsing a flow sequence that starts at line 5, column 21)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v\nwant %q", err, want)
	}
}

// TestCatalogueSaysWhichImagesAnAffectedGoBuilds: vSwarm builds
// productcatalogservice and shippingservice with Go 1.18.4, which gem5
// v24.0 runs wrongly; the catalogue says so, and nothing else.
func TestCatalogueSaysWhichImagesAnAffectedGoBuilds(t *testing.T) {
	data, err := os.ReadFile("functions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Load("functions.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	var marked []string
	for _, fn := range cat.Functions() {
		if b := cat.BuiltWith(fn); b != "" {
			marked = append(marked, fn)
			if !strings.HasPrefix(b, "go1.18.4") {
				t.Errorf("%s: %s=%q", fn, BuiltWithLabel, b)
			}
		}
	}
	if strings.Join(marked, " ") != "productcatalogservice shippingservice" {
		t.Fatalf("marked %v", marked)
	}
}
