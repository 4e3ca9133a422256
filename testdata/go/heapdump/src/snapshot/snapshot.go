// Package snapshot writes, at one moment, what heapscope's Go heap-dump tests compare:
// <name>.dump (runtime/debug.WriteHeapDump), <name>.pb.gz (pprof.WriteHeapProfile, the
// protobuf heap profile) and <name>.memstats.json (runtime.ReadMemStats).
//
// The files are created first, then runtime.GC() runs (the heap profile reports the last
// completed cycle, and the dump then holds live objects only), then the dump and the profile
// are written with nothing allocated in between by the program itself; MemStats are read
// just before the dump (after the GC), so they describe the heap the dump holds.
package snapshot

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
)

// Write writes <dir>/<name>.dump, <dir>/<name>.pb.gz and <dir>/<name>.memstats.json.
func Write(dir, name string) {
	dump := create(filepath.Join(dir, name+".dump"))
	prof := create(filepath.Join(dir, name+".pb.gz"))
	stats := create(filepath.Join(dir, name+".memstats.json"))
	var m runtime.MemStats
	fd := dump.Fd()
	runtime.GC()
	// Read right before the dump, with no allocation in between (m lives on this stack).
	runtime.ReadMemStats(&m)
	debug.WriteHeapDump(fd)
	if err := pprof.WriteHeapProfile(prof); err != nil {
		fail(err)
	}
	m.PauseNs = [256]uint64{}
	m.PauseEnd = [256]uint64{}
	// (BySize kept: per size class mallocs and frees.)
	b, err := json.Marshal(&m)
	if err != nil {
		fail(err)
	}
	if _, err := stats.Write(append(b, '\n')); err != nil {
		fail(err)
	}
	for _, f := range []*os.File{dump, prof, stats} {
		if err := f.Close(); err != nil {
			fail(err)
		}
	}
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

func create(path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	return f
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
