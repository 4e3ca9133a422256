// blocked_goroutines: 200 workers each allocate a 16 KiB buffer, then block on a channel
// receive nobody ever sends on, holding the buffer on their stacks. MemProfileRate = 1.
package main

import (
	"runtime"
	"snapshot"
	"sync"
)

var _ = setRate()

func setRate() int { runtime.MemProfileRate = 1; return 0 }

var bufSize = 16 << 10

func pollWorker(jobs <-chan int, started *sync.WaitGroup) {
	buf := make([]byte, bufSize)
	for i := range buf {
		buf[i] = byte(i)
	}
	started.Done()
	for j := range jobs {
		buf[j%len(buf)]++
	}
	runtime.KeepAlive(buf)
}

func main() {
	dir := snapshot.OutDir()
	jobs := make(chan int)
	var started sync.WaitGroup
	for i := 0; i < 200; i++ {
		started.Add(1)
		go pollWorker(jobs, &started)
	}
	started.Wait() // every worker holds its buffer and waits on the channel
	snapshot.Write(dir, "heap")
	runtime.KeepAlive(jobs)
}
