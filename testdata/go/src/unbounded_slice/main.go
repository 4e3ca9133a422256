// unbounded_slice: an event history appended to forever; growslice doubles the backing array
// and the last, largest array stays in use. Default MemProfileRate (sampled, 512 KiB).
package main

import (
	"heapdump"
	"strconv"
)

type event struct {
	at      int64
	kind    uint32
	source  string
	payload [40]byte
}

var history []event

func record(e event) {
	history = append(history, e)
}

func main() {
	dir := heapdump.OutDir()
	for i := 0; i < 100000; i++ {
		record(event{at: int64(i), kind: uint32(i % 7), source: "node-" + strconv.Itoa(i%13)})
	}
	heapdump.Heap(dir, "heap")
}
