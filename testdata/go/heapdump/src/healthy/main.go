// healthy: control. 20 000 requests each build a response and scratch buffers, then drop
// them; only a fixed 64-entry table is kept. MemProfileRate = 1.
package main

import (
	"runtime"
	"snapshot"
	"strconv"
	"strings"
)

var _ = setRate()

func setRate() int { runtime.MemProfileRate = 1; return 0 }

var routes [64]string

func handle(i int) int {
	scratch := make([]byte, 4096+i%512)
	resp := strings.Repeat("ok ", 10+i%20) + strconv.Itoa(i)
	routes[i%len(routes)] = "/route/" + strconv.Itoa(i%len(routes))
	return len(scratch) + len(resp)
}

func main() {
	dir := snapshot.OutDir()
	n := 0
	for i := 0; i < 20000; i++ {
		n += handle(i)
	}
	snapshot.Write(dir, "heap")
	runtime.KeepAlive(n)
}
