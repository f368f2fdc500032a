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
//	goroutines_svc ramp       125 goroutines parked at start, then 5 more every second
//	                          (about 130 -> 230 over 20 s); pprof served
//	goroutines_svc many N     N goroutines parked at start; GET /count answers
//	                          runtime.NumGoroutine() as the service's own truth; pprof served
//	goroutines_svc noindex    the pool; only the goroutine profile is served, not the index
//	goroutines_svc slow       the pool; the index page answers 150 ms late (a busy service)
//
// Prints "ready <port>" on stdout when its shape is in place. In leak mode it also prints
// "probe <n>" on stdout for every index page it serves (healthtop's count), so a test can act
// after the n-th reading without sleeping; in every mode GET /probes answers how many index
// pages it served.
package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
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

// parkMany parks n goroutines in parkedForever and returns once all of them are parked.
func parkMany(n int) {
	var started sync.WaitGroup
	started.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			started.Done()
			parkedForever()
		}()
	}
	started.Wait()
}

// ramp parks `every` more goroutines each second, forever.
func ramp(every int) {
	go func() {
		tick := time.NewTicker(time.Second)
		for {
			<-tick.C
			for i := 0; i < every; i++ {
				go parkedForever()
			}
		}
	}()
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
		if mode != "noindex" {
			mux.HandleFunc("/debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
				if mode == "slow" {
					time.Sleep(150 * time.Millisecond)
				}
				pprof.Index(w, r)
				if r.URL.Path == "/debug/pprof/" {
					probesMu.Lock()
					probes++
					n := probes
					probesMu.Unlock()
					if mode == "leak" {
						say("probe %d", n)
					}
				}
			})
		}
		mux.HandleFunc("/probes", func(w http.ResponseWriter, r *http.Request) {
			probesMu.Lock()
			defer probesMu.Unlock()
			fmt.Fprintln(w, probes)
		})
		mux.Handle("/debug/pprof/goroutine", pprof.Handler("goroutine"))
	}
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})
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
	case "pool", "nopprof", "noindex", "slow":
		pool(60)
	case "requests":
		requests()
	case "ramp":
		parkMany(125)
		ramp(5)
	case "many":
		n := 0
		if len(os.Args) > 2 {
			n, _ = strconv.Atoi(os.Args[2])
		}
		parkMany(n)
	default:
		fmt.Fprintln(os.Stderr, "mode: leak|pool|requests|nopprof|ramp|many N|noindex|slow")
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
