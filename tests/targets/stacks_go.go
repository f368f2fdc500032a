// Test target for healthtop's stack capture: OS threads locked to goroutines, named
// "go-worker-N" and parked in a syscall under known functions
// (main.workerMain -> main.levelOne -> main.levelTwo -> syscall.Nanosleep).
package main

import (
	"fmt"
	"runtime"
	"syscall"
	"unsafe"
)

//go:noinline
func levelTwo() {
	ts := syscall.Timespec{Sec: 1000}
	for {
		syscall.Nanosleep(&ts, nil)
	}
}

//go:noinline
func levelOne() {
	levelTwo()
	fmt.Print("")
}

//go:noinline
func workerMain(n int, started chan<- struct{}) {
	runtime.LockOSThread()
	name := []byte(fmt.Sprintf("go-worker-%d\x00", n))
	syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0)
	started <- struct{}{}
	levelOne()
}

func main() {
	started := make(chan struct{})
	for n := 1; n <= 2; n++ {
		go workerMain(n, started)
	}
	for n := 1; n <= 2; n++ {
		<-started
	}
	fmt.Println("ready")
	select {}
}
