// goroutine_leak: every stream handler starts a goroutine that allocates its own buffer and
// then waits on a channel nobody ever closes — thousands parked, each holding its buffer.
// A few healthy workers run beside them. Default MemProfileRate (sampled, 512 KiB).
package main

import (
	"context"
	"heapdump"
	"runtime"
	"runtime/pprof"
	"sync"
)

var started sync.WaitGroup

// streamWorker holds buf for as long as it waits; size is a parameter so the buffer is heap
// allocated, as a real read buffer would be.
func streamWorker(size int, updates chan []byte) {
	buf := make([]byte, size)
	buf[0] = 1
	started.Done()
	for u := range updates { // never closed: the goroutine leaks
		copy(buf, u)
	}
	runtime.KeepAlive(buf)
}

func pollWorker(stop chan struct{}) {
	started.Done()
	<-stop
}

func main() {
	dir := heapdump.OutDir()
	updates := make(chan []byte)
	stop := make(chan struct{})
	const leaked, healthy = 2000, 4
	started.Add(leaked + healthy)
	for i := 0; i < leaked; i++ {
		go pprof.Do(context.Background(), pprof.Labels("handler", "stream"), func(context.Context) {
			streamWorker(16<<10, updates)
		})
	}
	for i := 0; i < healthy; i++ {
		go pollWorker(stop)
	}
	started.Wait()
	heapdump.Heap(dir, "heap")
	heapdump.Goroutine(dir, "goroutine")
	close(stop)
}
