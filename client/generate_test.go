package client

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeIsCurrent regenerates the stubs from proto/ and compares
// them with the committed pb/ (when protoc is installed).
func TestGeneratedCodeIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Skip("protoc not installed (apt-get install protobuf-compiler)")
	}
	tool := func(name string) string {
		out, err := exec.Command("go", "tool", "-n", name).Output()
		if err != nil {
			t.Fatalf("go tool -n %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	out := t.TempDir()
	protos, _ := filepath.Glob("proto/*.proto")
	const mod = "github.com/vswarmu/vswarmu-mage/client/pb"
	args := append([]string{"-I", "proto", "--plugin=protoc-gen-go=" + tool("protoc-gen-go"),
		"--plugin=protoc-gen-go-grpc=" + tool("protoc-gen-go-grpc"),
		"--go_out=" + out, "--go_opt=module=" + mod, "--go-grpc_out=" + out, "--go-grpc_opt=module=" + mod}, protos...)
	if b, err := exec.Command("protoc", args...).CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, b)
	}
	fresh := map[string][]byte{}
	filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(out, p)
			fresh[rel], _ = os.ReadFile(p)
		}
		return nil
	})
	committed := map[string][]byte{}
	filepath.Walk("pb", func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel("pb", p)
			committed[rel], _ = os.ReadFile(p)
		}
		return nil
	})
	if len(fresh) != len(committed) {
		t.Fatalf("protoc makes %d files, pb/ has %d: run go generate ./client", len(fresh), len(committed))
	}
	for name, b := range fresh {
		if !bytes.Equal(b, committed[name]) {
			t.Errorf("pb/%s is out of date: run go generate ./client", name)
		}
	}
}
