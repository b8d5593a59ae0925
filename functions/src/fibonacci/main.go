// Command fibonacci serves the reference fibonacci function: fibonacci.Greeter/SayHello, with the
// flags of vSwarm's Go image.
package main

import (
	"flag"
	"fmt"
	"os"

	"google.golang.org/grpc"

	fibpb "github.com/vswarmu/vswarmu-mage/client/pb/fibonacci"
	"github.com/vswarmu/vswarmu-mage/functions/reference"
)

func main() {
	addr := flag.String("addr", "0.0.0.0:50051", "address to listen on")
	flag.String("zipkin", "http://localhost:9411/api/v2/spans", "zipkin URL (accepted; tracing is off)")
	flag.Parse()
	if err := reference.Serve(*addr, func(s *grpc.Server) { fibpb.RegisterGreeterServer(s, reference.Fibonacci{}) }); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
