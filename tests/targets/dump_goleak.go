// Test target for `healthtop dump` on Go: an HTTP service with net/http/pprof on 127.0.0.1:0
// that leaks goroutines parked forever in main.parkedForever. It leaks -leak N goroutines at
// start and K more on GET /leak?n=K, and answers only once every leaked goroutine is parked
// (checked through runtime.Stack), so tests read a settled state without sleeping.
// Prints "port <N>" on stdout when ready. Standard library only.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

var (
	mu     sync.Mutex
	leaked int
	never  = make(chan struct{})
)

//go:noinline
func parkedForever(started *sync.WaitGroup) {
	started.Done()
	<-never
}

func countParked() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "[chan receive") && strings.Contains(g, "\nmain.parkedForever(") {
			count++
		}
	}
	return count
}

func leak(n int) int {
	mu.Lock()
	defer mu.Unlock()
	var started sync.WaitGroup
	started.Add(n)
	for i := 0; i < n; i++ {
		go parkedForever(&started)
	}
	started.Wait()
	leaked += n
	for countParked() < leaked {
		runtime.Gosched()
	}
	return leaked
}

func main() {
	initial := flag.Int("leak", 0, "goroutines to leak at start")
	flag.Parse()
	leak(*initial)
	http.HandleFunc("/leak", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "leaked %d\n", leak(n))
	})
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "port %d\n", listener.Addr().(*net.TCPAddr).Port)
	out.Flush()
	if err := http.Serve(listener, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
