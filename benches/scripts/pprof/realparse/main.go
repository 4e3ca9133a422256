// A real Go workload from the standard library only (issue 17 breadth, not a synthetic call
// graph): go/parser parses every .go file under GOROOT/src (sorted by path; at most MAX files)
// with comments and keeps the ASTs (a linter's or indexer's first step), then writes its heap
// profile with MemProfileRate = 1 (every allocation recorded, as `go test -memprofilerate=1`
// does) in the legacy text form (debug=1) and as gzipped protobuf (debug=0).
//
//	realparse OUT_DIR [MAX]
package main

import (
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
)

var keep []interface{}

func main() {
	runtime.MemProfileRate = 1
	out := os.Args[1]
	max := 1 << 30
	if len(os.Args) > 2 {
		max, _ = strconv.Atoi(os.Args[2])
	}
	root := os.Getenv("GOROOT") // set by the script: a -trimpath build records none
	if root == "" {
		root = build.Default.GOROOT
	}
	src := filepath.Join(root, "src")
	if real, err := filepath.EvalSymlinks(src); err == nil {
		src = real // Debian links GOROOT/src into /usr/share
	}
	var files []string
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.Contains(p, "/testdata/") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	if len(files) > max {
		files = files[:max]
	}
	fset := token.NewFileSet()
	parsed, failed := 0, 0
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			failed++
			continue
		}
		keep = append(keep, af)
		parsed++
	}
	runtime.GC()
	for _, form := range []struct {
		name  string
		debug int
	}{{"real-goparser.txt", 1}, {"real-goparser.pb.gz", 0}} {
		w, err := os.Create(filepath.Join(out, form.name))
		if err != nil {
			panic(err)
		}
		if err := pprof.Lookup("heap").WriteTo(w, form.debug); err != nil {
			panic(err)
		}
		w.Close()
	}
	fmt.Fprintf(os.Stderr, "%s: %d files parsed (%d failed)\n", runtime.Version(), parsed, failed)
}
