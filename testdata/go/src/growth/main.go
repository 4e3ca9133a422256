// growth: one process, three heap profiles one "tick" apart. An audit log grows linearly
// (1200 x 256 B per tick, never trimmed); an LRU-ish cache of 1 KiB entries fills (1500
// inserts per tick, capacity 3000) and then levels off while still churning. Between the
// first and last profile the cache grows more than the log, but only the log keeps growing.
// MemProfileRate = 1.
package main

import (
	"heapdump"
	"runtime"
	"strconv"
)

func init() { runtime.MemProfileRate = 1 }

var auditLog [][]byte

func appendAudit(i int) {
	auditLog = append(auditLog, make([]byte, 256))
}

type cache struct {
	entries map[int][]byte
	order   []int
	limit   int
}

func (c *cache) put(k int, v []byte) {
	if len(c.entries) >= c.limit {
		oldest := c.order[0]
		c.order = c.order[1:]
		delete(c.entries, oldest)
	}
	c.entries[k] = v
	c.order = append(c.order, k)
}

func fetchEntry(k int) []byte {
	b := make([]byte, 1024)
	copy(b, strconv.Itoa(k))
	return b
}

var responses = &cache{entries: map[int][]byte{}, limit: 3000}

func tick(t int) {
	for i := 0; i < 1200; i++ {
		appendAudit(i)
	}
	for i := 0; i < 1500; i++ {
		k := t*1500 + i
		responses.put(k, fetchEntry(k))
	}
}

func main() {
	dir := heapdump.OutDir()
	for t := 1; t <= 3; t++ {
		tick(t)
		heapdump.Heap(dir, "heap."+strconv.Itoa(t))
	}
}
