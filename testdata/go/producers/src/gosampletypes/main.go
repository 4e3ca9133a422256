// Go producer for testdata/go/producers/ (see ../../README.md): one process writes every profile runtime/pprof
// has, in every form net/http/pprof serves (?debug=0 gzipped protobuf, ?debug=1 legacy text, and ?debug=2 for
// goroutine), into the directory given as os.Args[1]:
//
//	heap.pb.gz heap.txt          pprof.Lookup("heap")         sample types alloc_objects/alloc_space/inuse_objects/inuse_space, default inuse_space
//	allocs.pb.gz allocs.txt      pprof.Lookup("allocs")       same data, default sample type alloc_space
//	memprofile.pb.gz             pprof.WriteHeapProfile       what `go test -memprofile` writes
//	goroutine.pb.gz .txt .debug2 pprof.Lookup("goroutine")   debug=2 is the panic-style full stack dump
//	threadcreate.pb.gz .debug1   pprof.Lookup("threadcreate")
//	block.pb.gz block.debug1     pprof.Lookup("block")        contentions/delay, SetBlockProfileRate(1)
//	mutex.pb.gz mutex.debug1     pprof.Lookup("mutex")        contentions/delay, SetMutexProfileFraction(1)
//
// (debug=1 text of the profiles heapscope does not read yet is named *.debug1, not *.txt, so that the format
// detection test, which parses every *.txt under testdata/go, does not pick them up before the parser does.)
//
// State: 8,000 *record (256 B payload) kept in a package-level slice (main.keep), 40,000 short-lived 512 B buffers
// (main.churn), 200 goroutines blocked on a channel (main.wait), a contended mutex and channel for block/mutex.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

type record struct {
	id      int
	payload []byte
}

var kept []*record
var sink []byte

//go:noinline
func keep(i int) { kept = append(kept, &record{id: i, payload: make([]byte, 256)}) }

//go:noinline
func churn(i int) { sink = make([]byte, 512); sink[0] = byte(i) }

//go:noinline
func wait(ch chan struct{}) { <-ch }

//go:noinline
func contend(mu *sync.Mutex, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < 200; i++ {
		mu.Lock()
		time.Sleep(20 * time.Microsecond)
		mu.Unlock()
	}
}

func write(dir, name, profile string, debug int) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup(profile).WriteTo(f, debug); err != nil {
		panic(err)
	}
	f.Close()
}

func main() {
	dir := os.Args[1]
	runtime.MemProfileRate = 4096
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)

	for i := 0; i < 8000; i++ {
		keep(i)
	}
	for i := 0; i < 40000; i++ {
		churn(i)
	}
	never := make(chan struct{})
	for i := 0; i < 200; i++ {
		go wait(never)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go contend(&mu, &wg)
	}
	wg.Wait()
	runtime.GC()
	runtime.GC()

	write(dir, "heap.pb.gz", "heap", 0)
	write(dir, "heap.txt", "heap", 1)
	write(dir, "allocs.pb.gz", "allocs", 0)
	write(dir, "allocs.txt", "allocs", 1)
	f, _ := os.Create(filepath.Join(dir, "memprofile.pb.gz"))
	if err := pprof.WriteHeapProfile(f); err != nil {
		panic(err)
	}
	f.Close()
	write(dir, "goroutine.pb.gz", "goroutine", 0)
	write(dir, "goroutine.txt", "goroutine", 1)
	write(dir, "goroutine.debug2", "goroutine", 2)
	write(dir, "threadcreate.pb.gz", "threadcreate", 0)
	write(dir, "threadcreate.debug1", "threadcreate", 1)
	write(dir, "block.pb.gz", "block", 0)
	write(dir, "block.debug1", "block", 1)
	write(dir, "mutex.pb.gz", "mutex", 0)
	write(dir, "mutex.debug1", "mutex", 1)
	fmt.Println(len(kept), "kept")
}
