// A real Go workload for a big heap dump (issue 17 breadth, standard library only): go/parser
// parses the first MAX .go files under GOROOT/src (sorted by path, testdata/ skipped) with
// comments and keeps every AST and the FileSet (a linter's or indexer's first step); then, as
// testdata/go/heapdump/src/snapshot does, runtime.GC() runs, runtime.ReadMemStats is read with
// nothing allocated before the dump, and runtime/debug.WriteHeapDump writes the heap; the
// MemStats go to a JSON line beside it (PauseNs and PauseEnd zeroed).
//
//	realparse OUT.dump OUT.memstats.json MAX RATE
//
// RATE is runtime.MemProfileRate: 524288 is the runtime's default (what a production process
// has: only sampled objects carry an allocation site), 1 records every allocation.
package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
)

// The parsed state, reachable from globals while the heap is dumped.
var (
	fset   *token.FileSet
	asts   []*ast.File
	byPath = map[string]*ast.File{}
	failed []error
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: realparse OUT.dump OUT.memstats.json MAX RATE")
		os.Exit(2)
	}
	max, err := strconv.Atoi(os.Args[3])
	check(err)
	rate, err := strconv.Atoi(os.Args[4])
	check(err)
	runtime.MemProfileRate = rate
	dump, err := os.Create(os.Args[1])
	check(err)
	stats, err := os.Create(os.Args[2])
	check(err)

	root := os.Getenv("GOROOT") // set by the script: a -trimpath build records none
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
	fset = token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			failed = append(failed, err)
			continue
		}
		asts = append(asts, af)
		byPath[f] = af
	}

	var m runtime.MemStats
	fd := dump.Fd()
	runtime.GC()
	runtime.ReadMemStats(&m) // m lives on this stack: nothing allocated before the dump
	debug.WriteHeapDump(fd)
	m.PauseNs = [256]uint64{}
	m.PauseEnd = [256]uint64{}
	b, err := json.Marshal(&m)
	check(err)
	_, err = stats.Write(append(b, '\n'))
	check(err)
	check(dump.Close())
	check(stats.Close())
	fmt.Fprintf(os.Stderr, "%s: %d files parsed (%d failed), MemProfileRate %d, HeapAlloc %d, HeapObjects %d\n",
		runtime.Version(), len(asts), len(failed), rate, m.HeapAlloc, m.HeapObjects)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
