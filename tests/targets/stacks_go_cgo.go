// Built together with stacks_go.go to make it a cgo program: the binary is then linked by the
// host linker against libc, and its .dynsym holds the cgo runtime's C symbols (_cgo_*).
package main

// #include <unistd.h>
import "C"

// cgoPid is never called: importing "C" is what changes how the binary is built.
func cgoPid() int { return int(C.getpid()) }
