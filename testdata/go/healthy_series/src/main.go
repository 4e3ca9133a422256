// healthy_series: a healthy service in steady state, three heap profiles of ONE process (see
// ../README.md). Four worker goroutines serve requests in batches. Every request decodes a JSON
// body, allocates a scratch buffer and encodes a JSON response, and drops all of it; it looks its
// product up in a bounded LRU cache (capacity entries of valueBytes bytes, the least recently
// used evicted). The only other state is bounded: a fixed ring of latencies and a counter per
// endpoint. A warm-up fills the cache before the first profile; each profile follows perStep more
// requests. MemProfileRate = 1 (every allocation), so in-use bytes are exact, not sampled.
package main

import (
	"bytes"
	"container/list"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"
)

func init() { runtime.MemProfileRate = 1 }

const (
	capacity   = 2000
	valueBytes = 512
	keys       = 10000
	warmup     = 60000
	perStep    = 40000
	workers    = 4
)

var endpoints = []string{"/product", "/search", "/cart", "/checkout", "/health", "/price", "/stock", "/user"}

type entry struct {
	key   string
	value []byte
}

// lru is a bounded cache: a map into a recency list; the back of the list is evicted.
type lru struct {
	mu    sync.Mutex
	items map[string]*list.Element
	order *list.List
}

var cache = &lru{items: make(map[string]*list.Element, capacity+1), order: list.New()}

func loadProduct(key string) []byte {
	v := make([]byte, valueBytes)
	for i := range v {
		v[i] = key[i%len(key)]
	}
	return v
}

func (c *lru) get(key string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*entry).value
	}
	v := loadProduct(key)
	c.items[key] = c.order.PushFront(&entry{key: key, value: v})
	if c.order.Len() > capacity {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*entry).key)
	}
	return v
}

type request struct {
	Endpoint string `json:"endpoint"`
	SKU      string `json:"sku"`
	Lang     string `json:"lang"`
	Page     int    `json:"page"`
}

type response struct {
	SKU   string `json:"sku"`
	Bytes int    `json:"bytes"`
	Head  string `json:"head"`
}

var (
	latencies [1024]int64
	hits      [8]int64
	statsMu   sync.Mutex
)

func handle(n int) int {
	start := time.Now()
	k := (n * 2654435761) % keys
	if n%3 != 0 {
		k %= capacity / 2
	}
	body, _ := json.Marshal(request{Endpoint: endpoints[n%len(endpoints)], SKU: fmt.Sprintf("sku-%05d", k), Lang: "en", Page: n % 7})
	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		panic(err)
	}
	value := cache.get(req.SKU)
	scratch := make([]byte, 4096+n%2048)
	copy(scratch, value)
	var out bytes.Buffer
	if err := json.NewEncoder(&out).Encode(response{SKU: req.SKU, Bytes: len(scratch), Head: string(scratch[:16])}); err != nil {
		panic(err)
	}
	statsMu.Lock()
	hits[n%len(endpoints)]++
	latencies[n%len(latencies)] = int64(time.Since(start))
	statsMu.Unlock()
	return out.Len()
}

var served int

func serve(requests int) {
	var wg sync.WaitGroup
	share := requests / workers
	for w := 0; w < workers; w++ {
		from := served + w*share
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := from; n < from+share; n++ {
				handle(n)
			}
		}()
	}
	wg.Wait()
	served += share * workers
}

// heap writes <dir>/heap.<i>.pb.gz (debug=0, what /debug/pprof/heap serves) and heap.<i>.txt
// (debug=1, with the runtime.MemStats trailer). runtime.GC() first: the profile reports the last
// completed cycle; none runs between the two writes, so both describe the same cycle.
func heap(dir string, i int) {
	runtime.GC()
	for debug, ext := range []string{"pb.gz", "txt"} {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("heap.%d.%s", i, ext)))
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
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s OUTDIR\n", os.Args[0])
		os.Exit(2)
	}
	dir := os.Args[1]
	serve(warmup)
	// The profiler's own one-time setup: the gzip writer of the protobuf form builds its CRC-32
	// table (8 KiB, hash/crc32.slicingMakeTable) on first use. Left to the first recorded profile,
	// it is allocated after that profile's GC, so profile 1 lacks it and 2 and 3 have it: a
	// step of 8 KiB that is the profiler's, not the service's. A service whose /debug/pprof/heap
	// has been fetched before is in this state.
	if err := pprof.Lookup("heap").WriteTo(io.Discard, 0); err != nil {
		panic(err)
	}
	for i := 1; i <= 3; i++ {
		serve(perStep)
		heap(dir, i)
		time.Sleep(time.Second) // dumps apart in time, as a user's would be (time_nanos records it)
	}
	fmt.Printf("served %d, cached %d\n", served, cache.order.Len())
}
