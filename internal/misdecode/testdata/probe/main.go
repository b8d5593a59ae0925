// Command probe runs each short and long XCHG form on the CPU it runs on
// (a real one, or gem5's) and says whether it swapped the two registers.
package main

import (
	"fmt"
	"os"
)

func xchg4990(a, b uint64) (uint64, uint64) // 49 90: xchg %rax,%r8
func xchg4190(a, b uint64) (uint64, uint64) // 41 90: xchg %eax,%r8d
func xchg4991(a, b uint64) (uint64, uint64) // 49 91: xchg %rax,%r9
func xchg4891(a, b uint64) (uint64, uint64) // 48 91: xchg %rax,%rcx
func xchg4c87(a, b uint64) (uint64, uint64) // 4c 87 c0: xchg %r8,%rax

func main() {
	forms := []struct {
		enc string
		f   func(a, b uint64) (uint64, uint64)
	}{
		{"49 90", xchg4990}, {"41 90", xchg4190}, {"49 91", xchg4991}, {"48 91", xchg4891}, {"4c 87 c0", xchg4c87},
	}
	const a, b = 0x1111, 0x2222
	for _, f := range forms {
		ra, rb := f.f(a, b)
		verdict := "swapped"
		if ra != b || rb != a {
			verdict = fmt.Sprintf("not swapped (rax %#x, other %#x)", ra, rb)
		}
		fmt.Printf("probe %s: %s\n", f.enc, verdict)
	}
	os.Exit(0)
}
