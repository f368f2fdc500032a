// A Go heap for the rules tests: a GC sawtooth (garbage piled up for 2 s, then collected and
// returned to the OS), with or without a leak under it. Standard library only.
//
//	rules_goheap sawtooth|leak
//
// Prints "ready" after its first collection, when the heap has reached its steady shape.
package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"
)

var kept [][]byte

func touched(size int) []byte {
	b := make([]byte, size)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	return b
}

func main() {
	leak := len(os.Args) > 1 && os.Args[1] == "leak"
	var batch [][]byte
	tick := time.NewTicker(100 * time.Millisecond)
	// Collections are timed by the clock, not by a count of ticks: on a loaded machine the
	// ticker drops ticks, and a sawtooth that slowed down would put troughs further apart
	// than the floor fit's buckets.
	collected := time.Now()
	for first := true; ; {
		<-tick.C
		batch = append(batch, touched(8<<20))
		if leak {
			kept = append(kept, touched(2<<20))
		}
		if time.Since(collected) >= 2*time.Second {
			batch = nil
			debug.FreeOSMemory()
			collected = time.Now()
			if first {
				fmt.Println("ready")
				first = false
			}
		}
	}
}
