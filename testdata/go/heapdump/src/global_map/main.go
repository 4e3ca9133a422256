// global_map: a user cache in a package-level map that only grows: every lookup of a new user
// stores a 1 KiB profile, nothing ever evicts one. MemProfileRate = 1: every allocation is
// sampled. Two snapshots of one process (after 2000 and after 3000 users), so a diff can
// follow the surviving objects by address.
package main

import (
	"runtime"
	"snapshot"
	"strconv"
)

var _ = setRate()

func setRate() int { runtime.MemProfileRate = 1; return 0 }

var userCache = map[string][]byte{}

func newPayload(i int) []byte {
	b := make([]byte, 1024)
	for j := range b {
		b[j] = byte(i + j/64)
	}
	return b
}

func lookupUser(i int) int {
	id := "user-" + strconv.Itoa(100000+i)
	p, ok := userCache[id]
	if !ok {
		p = newPayload(i)
		userCache[id] = p
	}
	return len(p)
}

func main() {
	dir := snapshot.OutDir()
	n := 0
	for i := 0; i < 2000; i++ {
		n += lookupUser(i)
	}
	snapshot.Write(dir, "heap.1")
	for i := 2000; i < 3000; i++ {
		n += lookupUser(i)
	}
	snapshot.Write(dir, "heap.2")
	runtime.KeepAlive(n)
}
