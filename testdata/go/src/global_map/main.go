// global_map: a session registry in a package-level map that is never pruned — every login
// adds an entry, nothing removes one. MemProfileRate = 1: every allocation is recorded.
package main

import (
	"heapdump"
	"runtime"
	"strconv"
	"strings"
)

func init() { runtime.MemProfileRate = 1 }

type session struct {
	id      string
	user    string
	payload []byte
}

var sessions = map[string]*session{}

func newSession(id string, i int) *session {
	return &session{id: id, user: "user" + strconv.Itoa(i%97), payload: make([]byte, 512+(i%4)*256)}
}

func handleLogin(i int) {
	id := "sess-" + strconv.Itoa(100000+i)
	sessions[id] = newSession(id, i)
}

// renderGreeting makes short-lived garbage: allocated, never in use at profile time.
func renderGreeting(i int) int {
	return len(strings.Repeat("hello ", 8+i%8))
}

func main() {
	dir := heapdump.OutDir()
	n := 0
	for i := 0; i < 3000; i++ {
		handleLogin(i)
		n += renderGreeting(i)
	}
	heapdump.Heap(dir, "heap")
	runtime.KeepAlive(n)
}
