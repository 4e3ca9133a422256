// fragmentation: a batch loader allocates many 1 KiB records, then keeps only every 8th.
// Each 8 KiB span of the 1024-byte size class keeps one survivor, so no span can be
// returned: HeapInuse stays ~8x HeapAlloc and neither runtime.GC nor debug.FreeOSMemory
// brings it down. The heap profile's inuse_space is small. MemProfileRate = 1.
package main

import (
	"heapdump"
	"runtime"
	"runtime/debug"
)

func init() { runtime.MemProfileRate = 1 }

type record struct {
	key  uint64
	body [1016]byte
}

var kept []*record

func loadBatch(n int) []*record {
	batch := make([]*record, n)
	for i := range batch {
		batch[i] = &record{key: uint64(i)}
	}
	return batch
}

func keepSparse(batch []*record, every int) {
	for i := 0; i < len(batch); i += every {
		kept = append(kept, batch[i])
	}
}

func main() {
	dir := heapdump.OutDir()
	for round := 0; round < 4; round++ {
		keepSparse(loadBatch(16384), 8)
	}
	runtime.GC()
	debug.FreeOSMemory()
	heapdump.Heap(dir, "heap")
}
