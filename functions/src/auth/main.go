// Command auth serves the reference auth function: auth.Greeter/SayHello, with the
// flags of vSwarm's Go image.
package main

import (
	"flag"
	"fmt"
	"os"

	"google.golang.org/grpc"

	authpb "github.com/vswarmu/vswarmu-mage/client/pb/auth"
	"github.com/vswarmu/vswarmu-mage/functions/reference"
)

func main() {
	addr := flag.String("addr", "0.0.0.0:50051", "address to listen on")
	flag.String("zipkin", "http://localhost:9411/api/v2/spans", "zipkin URL (accepted; tracing is off)")
	flag.Parse()
	if err := reference.Serve(*addr, func(s *grpc.Server) { authpb.RegisterGreeterServer(s, reference.Auth{}) }); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
