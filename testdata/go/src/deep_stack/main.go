// deep_stack: stacks deeper than the 32 frames Go (before 1.23) records per allocation.
// main.main builds 300 chains of nested nodes 48 calls deep (main.grow calls itself), so the
// allocations below depth ~30 are recorded with their outermost callers (main.main,
// runtime.main) cut off; it also loads a small config from main.main (a short, complete
// stack), and 20 worker goroutines each allocate results into a package-level slice and
// finish (a goroutine body that allocated, not a goroutine that blocks). MemProfileRate = 1.
package main

import (
	"heapdump"
	"runtime"
	"sync"
)

func init() { runtime.MemProfileRate = 1 }

type node struct {
	payload []byte
	kid     *node
}

var (
	forest  []*node
	config  [][]byte
	mu      sync.Mutex
	results [][]byte
)

// grow allocates one node per call, depth calls deep.
func grow(depth int) *node {
	n := &node{payload: make([]byte, 200)}
	if depth > 0 {
		n.kid = grow(depth - 1)
	}
	return n
}

func loadConfig() {
	for i := 0; i < 64; i++ {
		config = append(config, make([]byte, 1024))
	}
}

func worker(id int, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; i < 50; i++ {
		r := make([]byte, 512+id)
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
}

func main() {
	dir := heapdump.OutDir()
	loadConfig()
	for i := 0; i < 300; i++ {
		forest = append(forest, grow(48))
	}
	var wg sync.WaitGroup
	for id := 0; id < 20; id++ {
		wg.Add(1)
		go worker(id, &wg)
	}
	wg.Wait()
	heapdump.Heap(dir, "heap")
	runtime.KeepAlive(forest)
}
