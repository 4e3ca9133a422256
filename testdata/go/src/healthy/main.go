// healthy: the control. Requests allocate and drop their buffers; a small fixed-size table
// is the only thing kept. High alloc_space, small inuse_space. Default MemProfileRate.
package main

import (
	"bytes"
	"encoding/json"
	"heapdump"
	"runtime"
)

type reply struct {
	ID    int      `json:"id"`
	Items []string `json:"items"`
}

var routes = make(map[int][]byte, 64)

func setupRoutes() {
	for i := 0; i < 64; i++ {
		routes[i] = make([]byte, 2048)
	}
}

func handle(i int) int {
	var b bytes.Buffer
	r := reply{ID: i, Items: make([]string, 16)}
	for j := range r.Items {
		r.Items[j] = "item"
	}
	if err := json.NewEncoder(&b).Encode(&r); err != nil {
		panic(err)
	}
	scratch := make([]byte, 32<<10+i%1024)
	return b.Len() + len(scratch) + len(routes[i%64])
}

func main() {
	dir := heapdump.OutDir()
	setupRoutes()
	n := 0
	for i := 0; i < 20000; i++ {
		n += handle(i)
	}
	heapdump.Heap(dir, "heap")
	runtime.KeepAlive(n)
}
