// Package heapdump writes the profiles of the running process the way a Go service
// exposes them on /debug/pprof: the protobuf form (debug=0, what `curl .../heap > heap.pb.gz`
// saves) and the legacy text form (debug=1, with its `# runtime.MemStats` trailer).
package heapdump

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// Heap writes <dir>/<name>.pb.gz and <dir>/<name>.txt. The heap profile reports the state
// as of the most recently completed GC, so a GC runs first; no GC runs between the two
// writes, so both forms describe the same cycle.
func Heap(dir, name string) {
	runtime.GC()
	write(filepath.Join(dir, name+".pb.gz"), "heap", 0)
	write(filepath.Join(dir, name+".txt"), "heap", 1)
}

// Goroutine writes <dir>/<name>.pb.gz and <dir>/<name>.txt: one sample per distinct stack
// (and label set), valued by the number of goroutines with it.
func Goroutine(dir, name string) {
	write(filepath.Join(dir, name+".pb.gz"), "goroutine", 0)
	write(filepath.Join(dir, name+".txt"), "goroutine", 1)
}

// OutDir returns the output directory given as the only argument, creating it.
func OutDir() string {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s OUTDIR\n", os.Args[0])
		os.Exit(2)
	}
	if err := os.MkdirAll(os.Args[1], 0o755); err != nil {
		fail(err)
	}
	return os.Args[1]
}

func write(path, profile string, debug int) {
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	if err := pprof.Lookup(profile).WriteTo(f, debug); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
