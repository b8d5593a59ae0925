// Command go119 is the fibonacci reference server (fibonacci.Greeter/SayHello,
// the same replies as functions/src/fibonacci) in a module of its own, so
// that Go 1.19 builds it: Debian 12's golang-1.19 package, whose write
// barrier holds the instruction gem5 v24.0.0.1 decodes wrongly (49 90,
// xchg %rax,%r8). docs/gem5-decoder-fix.md runs it on the stock and the
// patched gem5.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"

	pb "github.com/vswarmu/vswarmu-mage/functions/src/go119/pb"
)

type fibonacci struct {
	pb.UnimplementedGreeterServer
}

func fib(x int) uint64 {
	var a, b uint64 = 0, 1
	for i := 0; i < x; i++ {
		a, b = b, a+b
	}
	return a
}

// SayHello replies "fn: Fib: y = fib(x) | x: 10 y: 55 | runtime: GoLang".
func (fibonacci) SayHello(_ context.Context, req *pb.HelloRequest) (*pb.HelloReply, error) {
	x, err := strconv.Atoi(req.GetName())
	if err != nil {
		x = 0
	}
	return &pb.HelloReply{Message: fmt.Sprintf("fn: Fib: y = fib(x) | x: %d y: %d | runtime: GoLang", x, fib(x))}, nil
}

func main() {
	addr := flag.String("addr", "0.0.0.0:50051", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s (%s)\n", ln.Addr(), runtime.Version())
	s := grpc.NewServer()
	pb.RegisterGreeterServer(s, fibonacci{})
	reflection.Register(s)
	if err := s.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
