package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/vswarmu/vswarmu-mage/client"
)

// BenchmarkInvokeFibonacci is the client's cost per invocation against the
// reference fibonacci server on loopback: generator, request, reply and
// its formatting — the window between work items 100+i.
func BenchmarkInvokeFibonacci(b *testing.B) {
	addr := referenceServer(b, "fibonacci")
	ctx := context.Background()
	cc, err := client.Dial(ctx, addr, 5*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Close()
	svc, _ := client.Lookup("fibonacci-go")
	gen := client.NewGenerator(client.Unique, client.Input{Value: "10", Method: "0"}, 1, 100, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := svc.Invoke(ctx, cc, 0, svc.Next(gen)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRun is a whole client run of 100 measured invocations.
func BenchmarkRun(b *testing.B) {
	addr := referenceServer(b, "fibonacci")
	b.ResetTimer()
	for range b.N {
		if _, err := client.Run(context.Background(), client.Options{Function: "fibonacci-go", Addr: addr, Input: "10",
			Method: "0", N: 100, Timeout: 5 * time.Second}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/invocation")
}
