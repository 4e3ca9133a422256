// unbounded_slice: an event log in a package-level slice that is appended to and never
// truncated. Default MemProfileRate (512 KiB): only some allocations are sampled, the rest of
// the dump's objects are named by their size class.
package main

import (
	"runtime"
	"snapshot"
)

type event struct {
	seq  int
	kind string
	body [96]byte
}

var eventLog []*event

func recordEvent(i int) {
	e := &event{seq: i, kind: "login"}
	for j := range e.body {
		e.body[j] = byte(i)
	}
	eventLog = append(eventLog, e)
}

func main() {
	dir := snapshot.OutDir()
	for i := 0; i < 30000; i++ {
		recordEvent(i)
	}
	snapshot.Write(dir, "heap")
	runtime.KeepAlive(eventLog)
}
