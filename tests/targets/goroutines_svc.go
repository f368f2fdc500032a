// Test target for the goroutine-leak rule: an HTTP service on 127.0.0.1:0 in one of four
// shapes. Standard library only.
//
//	goroutines_svc leak       leaks 20 goroutines/s parked forever in main.parkedForever,
//	                          until GET /stop (which answers with the number leaked once the
//	                          leaking loop has ended); net/http/pprof served
//	goroutines_svc pool       a constant pool of 60 workers fed by a ticker; pprof served
//	goroutines_svc requests   short-lived goroutines (40 every 100 ms, each living 30 ms);
//	                          pprof served
//	goroutines_svc nopprof    the pool, and an HTTP service without net/http/pprof
//
// Prints "ready <port>" on stdout when its shape is in place. In leak mode it also prints
// "probe <n>" on stdout for every goroutine profile it serves, so a test can act after the
// n-th reading without sleeping.
package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync"
	"time"
)

var (
	never = make(chan struct{})
	out   = bufio.NewWriter(os.Stdout)
	outMu sync.Mutex
)

func say(format string, args ...interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Fprintf(out, format+"\n", args...)
	out.Flush()
}

//go:noinline
func parkedForever() {
	<-never
}

// leaker starts one parked goroutine every 50 ms until stop is closed, then reports the
// number it started on done.
func leaker(stop <-chan struct{}, done chan<- int) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	leaked := 0
	for {
		select {
		case <-stop:
			done <- leaked
			return
		case <-tick.C:
			go parkedForever()
			leaked++
		}
	}
}

func pool(workers int) {
	work := make(chan int)
	var started sync.WaitGroup
	started.Add(workers)
	for i := 0; i < workers; i++ {
		go func() {
			started.Done()
			for n := range work {
				_ = n * n
			}
		}()
	}
	started.Wait()
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		for n := 0; ; n++ {
			<-tick.C
			work <- n
		}
	}()
}

func requests() {
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		for {
			<-tick.C
			for i := 0; i < 40; i++ {
				go func() { time.Sleep(30 * time.Millisecond) }()
			}
		}
	}()
}

func main() {
	mode := "leak"
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	mux := http.NewServeMux()
	if mode != "nopprof" {
		probes := 0
		var probesMu sync.Mutex
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/goroutine", func(w http.ResponseWriter, r *http.Request) {
			pprof.Handler("goroutine").ServeHTTP(w, r)
			if mode == "leak" {
				probesMu.Lock()
				probes++
				n := probes
				probesMu.Unlock()
				say("probe %d", n)
			}
		})
	}
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	switch mode {
	case "leak":
		stop := make(chan struct{})
		done := make(chan int)
		var once sync.Once
		go leaker(stop, done)
		mux.HandleFunc("/stop", func(w http.ResponseWriter, r *http.Request) {
			leaked := -1
			once.Do(func() {
				close(stop)
				leaked = <-done
			})
			fmt.Fprintf(w, "stopped %d\n", leaked)
		})
	case "pool", "nopprof":
		pool(60)
	case "requests":
		requests()
	default:
		fmt.Fprintln(os.Stderr, "mode: leak|pool|requests|nopprof")
		os.Exit(2)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	say("ready %d", listener.Addr().(*net.TCPAddr).Port)
	if err := http.Serve(listener, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
