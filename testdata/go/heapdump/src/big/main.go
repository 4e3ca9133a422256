// big: a benchmark dump (not committed; `gen.sh big OUTDIR [N]`): N nodes of 48 B in a
// package-level map, each also linked to the previous one, plus a 16 KiB buffer per 1000
// nodes. MemProfileRate = 1, so every object carries its site (the costliest case for the
// reader: one alloc-sample record per object).
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

var _ = setRate()

func setRate() int { runtime.MemProfileRate = 1; return 0 }

type node struct {
	id   int
	prev *node
	buf  []byte
	tag  [16]byte
}

var index = map[int]*node{}

func newNode(i int, prev *node) *node {
	n := &node{id: i, prev: prev}
	if i%1000 == 0 {
		n.buf = make([]byte, 16<<10)
	}
	return n
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintf(os.Stderr, "usage: %s OUT.dump N\n", os.Args[0])
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		panic(err)
	}
	var prev *node
	for i := 0; i < n; i++ {
		prev = newNode(i, prev)
		index[i] = prev
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	runtime.GC()
	debug.WriteHeapDump(f.Fd())
	if err := f.Close(); err != nil {
		panic(err)
	}
	runtime.KeepAlive(prev)
}
