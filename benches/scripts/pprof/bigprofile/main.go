// bigprofile: a Go process whose heap profile has many distinct stacks, for benchmarking the
// pprof parser. Two mutually recursive functions follow the bits of each index, so index i
// allocates under its own call path: 2^depth distinct stacks, about depth+3 frames deep.
// MemProfileRate = 1 so every stack is recorded. Usage: bigprofile DEPTH OUTDIR
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
)

var kept [][]byte

// left and right each take one bit, so a bit costs one frame (the runtime records at most 32,
// inlined frames included) and call paths differ by function name, not only by PC.
//
//go:noinline
func left(i, bit int) {
	if bit < 0 {
		kept = append(kept, make([]byte, 64+i%512))
	} else if i>>uint(bit)&1 == 0 {
		left(i, bit-1)
	} else {
		right(i, bit-1)
	}
}

//go:noinline
func right(i, bit int) {
	if bit < 0 {
		kept = append(kept, make([]byte, 64+i%512))
	} else if i>>uint(bit)&1 == 0 {
		left(i, bit-1)
	} else {
		right(i, bit-1)
	}
}

func write(path string, debug int) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, debug)
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func main() {
	runtime.MemProfileRate = 1
	depth, err := strconv.Atoi(os.Args[1])
	if err != nil || depth < 1 || depth > 28 {
		fmt.Fprintln(os.Stderr, "usage: bigprofile DEPTH(1..28) OUTDIR")
		os.Exit(2)
	}
	for i := 0; i < 1<<uint(depth); i++ {
		left(i, depth-1)
	}
	runtime.GC()
	write(filepath.Join(os.Args[2], fmt.Sprintf("big-%d.pb.gz", depth)), 0)
	write(filepath.Join(os.Args[2], fmt.Sprintf("big-%d.txt", depth)), 1)
}
