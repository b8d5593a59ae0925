// Command aes serves the reference aes function: aes.Aes/ShowEncryption,
// with the flags of vSwarm's Go image.
package main

import (
	"flag"
	"fmt"
	"os"

	"google.golang.org/grpc"

	aespb "github.com/vswarmu/vswarmu-mage/client/pb/aes"
	"github.com/vswarmu/vswarmu-mage/functions/reference"
)

func main() {
	addr := flag.String("addr", "0.0.0.0:50051", "address to listen on")
	flag.String("zipkin", "http://localhost:9411/api/v2/spans", "zipkin URL (accepted; tracing is off)")
	key := flag.String("key", reference.DefaultAESKey, "AES key, hex")
	def := flag.String("default-plaintext", "defaultplaintext", "plaintext used for an empty request or \"world\"")
	flag.Parse()
	a, err := reference.NewAES(*key, *def)
	if err == nil {
		err = reference.Serve(*addr, func(s *grpc.Server) { aespb.RegisterAesServer(s, a) })
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
