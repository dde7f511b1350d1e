package outreach

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOnlyTheSenderSends keeps the rule that every outbound message
// crosses the gate: outside this package and the channel adapters
// themselves, no code calls a Send method, and each platform library is
// imported by its adapter alone, so nothing else can reach a platform.
func TestOnlyTheSenderSends(t *testing.T) {
	root := filepath.Join("..", "..")
	only := map[string]string{ // platform library → the one package that may import it
		"github.com/go-telegram-bot-api/telegram-bot-api/v5": "internal/channel/telegram",
		"go.mau.fi/whatsmeow":                                "internal/channel/whatsapp",
	}
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.ToSlash(filepath.Dir(rel))
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, rel, src, 0)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			for lib, owner := range only {
				if (p == lib || strings.HasPrefix(p, lib+"/")) && dir != owner {
					t.Errorf("%s imports %s: only %s may", rel, p, owner)
				}
			}
		}
		if dir == "internal/outreach" || strings.HasPrefix(dir, "internal/channel/") {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if call, ok := n.(*ast.CallExpr); ok {
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Send" {
					t.Errorf("%s: calls %s.Send: only the outreach sender may send, after the gate", fset.Position(call.Pos()), exprString(sel.X))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked %d files: the walk did not find the module", checked)
	}
}

func exprString(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "…"
}
