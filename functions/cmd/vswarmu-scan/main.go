// Command vswarmu-scan reads a container's exported file system (a tar
// stream, `docker export <container> | vswarmu-scan -function <name>`) and
// prints one line per program that holds an instruction gem5 is known to
// misexecute: "VSWARMU-SCAN <name> <finding as JSON>", then
// "VSWARMU-SCAN-DONE <name> <programs scanned with findings>".
// functions:install runs it in the guest, for images the host never had.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vswarmu/vswarmu-mage/internal/misdecode"
	"github.com/vswarmu/vswarmu-mage/results"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vswarmu-scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("function", "", "the function whose file system stdin holds")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: docker export <container> | vswarmu-scan -function <name>")
		return 2
	}
	progs, err := misdecode.ScanTar(stdin)
	found := results.FindingsOf(progs)
	for _, f := range found {
		b, _ := json.Marshal(f)
		fmt.Fprintf(stdout, "%s %s %s\n", results.ScanLine, *name, b)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vswarmu-scan: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s-DONE %s %d\n", results.ScanLine, *name, len(found))
	return 0
}
