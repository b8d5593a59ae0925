package targets_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// TestStructsStaySmall: no struct type of the project's code has over 20
// fields (an embedded struct counts as one); a description that grows is
// split by concern (gem5configs.Simulation: machine, workload,
// evaluation, runner; config.Config: the settings' groups).
func TestStructsStaySmall(t *testing.T) {
	root := magetest.RepoRoot(t)
	seen := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "scratch") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") ||
			strings.Contains(p, "/client/pb/") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return true
			}
			seen++
			if n := fieldCount(st); n > 20 {
				rel, _ := filepath.Rel(root, p)
				t.Errorf("%s: struct %s has %d fields (at most 20: group them by concern)", rel, ts.Name.Name, n)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("looked at only %d struct types", seen)
	}
}

// fieldCount counts a struct's fields, an embedded one as one.
func fieldCount(st *ast.StructType) int {
	n := 0
	for _, f := range st.Fields.List {
		n += max(len(f.Names), 1)
	}
	return n
}
