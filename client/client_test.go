package client_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/vswarmu/vswarmu-mage/client"
	aespb "github.com/vswarmu/vswarmu-mage/client/pb/aes"
	authpb "github.com/vswarmu/vswarmu-mage/client/pb/auth"
	fibpb "github.com/vswarmu/vswarmu-mage/client/pb/fibonacci"
	"github.com/vswarmu/vswarmu-mage/functions/reference"
	"github.com/vswarmu/vswarmu-mage/results"
)

// serve starts a gRPC server on a loopback port and returns its address.
func serve(t testing.TB, register func(*grpc.Server), opts ...grpc.ServerOption) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(opts...)
	register(s)
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

func referenceServer(t testing.TB, fn string) string { return serveReference(t, fn, nil) }

// serveReference serves a reference function; with n, counting its requests.
func serveReference(t testing.TB, fn string, n *atomic.Int64) string {
	t.Helper()
	var opts []grpc.ServerOption
	if n != nil {
		opts = append(opts, counting(n))
	}
	a, _ := reference.NewAES(reference.DefaultAESKey, "defaultplaintext")
	return serve(t, map[string]func(*grpc.Server){
		"fibonacci": func(s *grpc.Server) { fibpb.RegisterGreeterServer(s, reference.Fibonacci{}) },
		"aes":       func(s *grpc.Server) { aespb.RegisterAesServer(s, a) },
		"auth":      func(s *grpc.Server) { authpb.RegisterGreeterServer(s, reference.Auth{}) },
	}[fn], opts...)
}

func TestReferenceRepliesMatchTheFacts(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		fn, input, want string
	}{
		{"fibonacci-go", "10", "fn: Fib: y = fib(x) | x: 10 y: 55 | runtime: GoLang"},
		{"fibonacci-go", "0", "x: 0 y: 0 |"},
		{"fibonacci-go", "2", "x: 2 y: 1 |"},
		{"fibonacci-go", "50", "x: 50 y: 12586269025 |"},
		{"fibonacci-go", "90", "x: 90 y: 2880067194370816120 |"},
		{"fibonacci-go", "abc", "x: 0 y: 0 |"},
		{"aes-go", "hello", "fn: AES | plaintext: hello | ciphertext: d40e94c520 | runtime: golang"},
		{"aes-go", "", "fn: AES | plaintext: defaultplaintext | ciphertext: d80e9ec83a6acbef3d909876e79904a9 | runtime: golang"},
		{"aes-go", "world", "plaintext: defaultplaintext | ciphertext: d80e9ec83a6acbef3d909876e79904a9"},
		{"auth-go", "allow", "fn: Auth | token: allow | resp: {principalId:user policyDocument:{Version:2012-10-17 Statement:[{Action:execute-api:Invoke Effect:Allow"},
		{"auth-go", "deny", "Effect:Deny"},
		{"auth-go", "unauthorized", "resp: Unauthorized | runtime: golang"},
		{"auth-go", "bla bla", "resp: Error: Invalid token"},
	}
	for _, c := range cases {
		svc, err := client.Lookup(c.fn)
		if err != nil {
			t.Fatal(err)
		}
		cc, err := client.Dial(ctx, referenceServer(t, svc.Name), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		reply, err := svc.Invoke(ctx, cc, 0, client.Input{Value: c.input})
		cc.Close()
		if err != nil {
			t.Fatalf("%s(%q): %v", c.fn, c.input, err)
		}
		if got := fmt.Sprint(reply); !strings.Contains(got, c.want) {
			t.Errorf("%s(%q) = %s, want it to contain %q", c.fn, c.input, got, c.want)
		}
	}
}

// expectedReply is what the reference functions answer for an input.
func expectedReply(svc, input string) string {
	switch svc {
	case "fibonacci":
		x, err := strconv.Atoi(input)
		if err != nil {
			x = 0
		}
		return fmt.Sprintf("x: %d y: %d |", x, reference.Fib(x))
	case "aes":
		if input == "" || input == "world" {
			input = "defaultplaintext"
		}
		key, _ := hex.DecodeString(reference.DefaultAESKey)
		return "ciphertext: " + hex.EncodeToString(reference.Encrypt(key, input)) + " |"
	}
	return "resp: " + reference.Decide(input) + " |"
}

func TestEveryGeneratorAgainstTheReferenceServers(t *testing.T) {
	ctx := context.Background()
	for _, fn := range []string{"fibonacci-go", "aes-python", "auth-nodejs"} {
		for _, gt := range []string{"unique", "linear", "random"} {
			t.Run(fn+"/"+gt, func(t *testing.T) {
				svc, _ := client.Lookup(fn)
				gen, err := client.ParseGenType(gt)
				if err != nil {
					t.Fatal(err)
				}
				cc, err := client.Dial(ctx, referenceServer(t, svc.Name), 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer cc.Close()
				g := client.NewGenerator(gen, client.Input{Value: "10", Method: "0"}, 5, 12, 42)
				seen := map[string]bool{}
				for i := 0; i < 30; i++ {
					in := svc.Next(g)
					seen[in.Value] = true
					reply, err := svc.Invoke(ctx, cc, 0, in)
					if err != nil {
						t.Fatalf("invocation %d (%q): %v", i, in.Value, err)
					}
					if want := expectedReply(svc.Name, in.Value); !strings.Contains(fmt.Sprint(reply), want) {
						t.Fatalf("invocation %d (%q): reply %s lacks %q", i, in.Value, reply, want)
					}
				}
				if gt == "random" && len(seen) < 3 {
					t.Errorf("random generator gave only %v", seen)
				}
			})
		}
	}
}

func TestGenerators(t *testing.T) {
	seq := func(fn, gt string, def client.Input, lower, upper, n int) []string {
		svc, err := client.Lookup(fn)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := client.ParseGenType(gt)
		gen := client.NewGenerator(g, def, lower, upper, 1)
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, svc.Next(gen).Value)
		}
		return out
	}
	cases := []struct {
		name string
		got  []string
		want string
	}{
		{"fibonacci unique uses -input", seq("fibonacci-go", "unique", client.Input{Value: "10"}, 1, 100, 3), "10 10 10"},
		{"fibonacci linear starts at 1 and wraps to the lower bound", seq("fibonacci-go", "linear", client.Input{}, 2, 4, 7), "1 2 3 4 2 3 4"},
		{"aes unique", seq("aes-go", "unique", client.Input{Value: "x"}, 1, 100, 1), "A unique message"},
		{"aes linear", seq("aes-go", "linear", client.Input{}, 1, 100, 1), "A linear message"},
		{"auth unique", seq("auth-go", "unique", client.Input{}, 1, 100, 1), "A unique message"},
		{"geo unique", seq("geo", "unique", client.Input{}, 1, 100, 2), "37.7867,-122.4112 37.7867,-122.4112"},
		{"geo linear starts at index 1", seq("geo", "linear", client.Input{}, 0, 100, 2), "37.795,-122.5 37.9,-122.3"},
		{"profile unique", seq("profile", "unique", client.Input{}, 1, 100, 1), "1,2"},
		{"rate linear", seq("rate", "linear", client.Input{}, 0, 1000, 2), "1 2"},
		{"reservation unique", seq("reservation", "unique", client.Input{}, 1, 100, 1), "hello,2"},
		{"user linear", seq("user", "linear", client.Input{}, 0, 100, 1), "user_100,pass_100"},
		{"online shop ignores the generator", seq("currencyservice", "random", client.Input{Value: "7"}, 1, 100, 2), "7 7"},
	}
	for _, c := range cases {
		if got := strings.Join(c.got, " "); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	// Random inputs stay within their bounds; equal bounds do not panic.
	for _, v := range seq("fibonacci-go", "random", client.Input{}, 5, 8, 200) {
		if n, _ := strconv.Atoi(v); n < 5 || n >= 8 {
			t.Fatalf("fibonacci random %s outside [5,8)", v)
		}
	}
	for _, v := range seq("aes-go", "random", client.Input{}, 6, 6, 20) {
		if len(v) != 6 {
			t.Fatalf("aes random with equal bounds: %q", v)
		}
	}
	for _, v := range seq("profile", "random", client.Input{}, 1, 100, 50) {
		ids := strings.Split(v, ",")
		if ids[0] != "1" || len(ids) > 5 {
			t.Fatalf("profile random %q", v)
		}
	}
	if _, err := client.ParseGenType("sometimes"); err == nil || !strings.Contains(err.Error(), "unique, linear or random") {
		t.Fatalf("bad generator: %v", err)
	}
}

// recorder is an M5 that records the protocol.
type recorder struct {
	mu  sync.Mutex
	ops []string
}

func (r *recorder) add(s string)            { r.mu.Lock(); r.ops = append(r.ops, s); r.mu.Unlock() }
func (r *recorder) Fail(_, code uint64)     { r.add(fmt.Sprintf("fail %d", code)) }
func (r *recorder) WorkBegin(id, th uint64) { r.add(fmt.Sprintf("begin %d", id)) }
func (r *recorder) WorkEnd(id, th uint64)   { r.add(fmt.Sprintf("end %d", id)) }

func TestRunFollowsTheM5Protocol(t *testing.T) {
	addr := referenceServer(t, "fibonacci")
	rec := &recorder{}
	var log strings.Builder
	res, err := client.Run(context.Background(), client.Options{Function: "fibonacci-go", Addr: addr, Input: "10",
		Method: "0", N: 3, W: 2, M5: rec, Log: &log, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := "fail 20,fail 31,fail 32,begin 100,end 100,begin 101,end 101,begin 102,end 102"
	if got := strings.Join(rec.ops, ","); got != want {
		t.Fatalf("m5 ops %s\nwant     %s", got, want)
	}
	if !strings.Contains(log.String(), "SUCCESS: Calling functions for 3 times") {
		t.Fatalf("log:\n%s", log.String())
	}
	if len(res.Records) != 6 || res.Records[0].Phase != "first" || res.Records[1].Phase != "warm" || res.Records[5].Phase != "measured" {
		t.Fatalf("records %+v", res.Records)
	}
	s := res.Summarize()
	if s.Measured != 3 || s.First <= 0 || s.P50 <= 0 || s.P99 < s.P50 {
		t.Fatalf("summary %+v", s)
	}
}

func TestBadInput(t *testing.T) {
	_, err := client.Lookup("fibonaci-go")
	if err == nil || !strings.Contains(err.Error(), `unknown function "fibonaci-go"; known functions:`) ||
		!strings.Contains(err.Error(), "fibonacci-go") || !strings.Contains(err.Error(), "recommendationservice") {
		t.Fatalf("unknown function: %v", err)
	}
	svc, _ := client.Lookup("reservation")
	if _, err := svc.MethodIndex("Cancel"); err == nil || !strings.Contains(err.Error(), "0 or CheckAvailability, 1 or MakeReservation") {
		t.Fatalf("unknown method: %v", err)
	}
	// A closed port: the run ends with an error within the connect timeout.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	_, err = client.Run(context.Background(), client.Options{Function: "aes-go", Addr: addr, N: 1, Timeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the function at "+addr+" within 1s") {
		t.Fatalf("unreachable: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("gave up after %v with a 1s timeout", d)
	}
}

// wrongFibonacci answers fib(x)+1.
type wrongFibonacci struct {
	fibpb.UnimplementedGreeterServer
}

func (wrongFibonacci) SayHello(_ context.Context, r *fibpb.HelloRequest) (*fibpb.HelloReply, error) {
	x, _ := strconv.Atoi(r.Name)
	return &fibpb.HelloReply{Message: fmt.Sprintf("fn: Fib: y = fib(x) | x: %d y: %d | runtime: GoLang", x, reference.Fib(x)+1)}, nil
}

// TestRunChecksEveryReply: the reference servers' replies are right for
// every generator; a server that answers wrongly makes the run fail, and
// each wrong reply is said on its own line, naming the function, the
// invocation and what came back.
func TestRunChecksEveryReply(t *testing.T) {
	for _, fn := range []string{"fibonacci-go", "aes-nodejs", "auth-python"} {
		for _, gen := range []string{"unique", "linear", "random"} {
			svc, _ := client.Lookup(fn)
			g, _ := client.ParseGenType(gen)
			res, err := client.Run(context.Background(), client.Options{Function: fn, Addr: referenceServer(t, svc.Name),
				Input: "10", Gen: g, Lower: 1, Upper: 40, N: 12, W: 3, Timeout: 5 * time.Second, Seed: 7})
			if err != nil || res.Wrong != 0 {
				t.Fatalf("%s (%s) on the reference server: %v, %d wrong", fn, gen, err, res.Wrong)
			}
		}
	}
	var log strings.Builder
	addr := serve(t, func(s *grpc.Server) { fibpb.RegisterGreeterServer(s, wrongFibonacci{}) })
	res, err := client.Run(context.Background(), client.Options{Function: "fibonacci-go", Addr: addr, Input: "10", N: 3,
		Timeout: 5 * time.Second, Log: &log})
	if err == nil || res.Wrong != 4 || !strings.Contains(err.Error(), "4 of 4 replies of fibonacci-go were wrong") {
		t.Fatalf("a wrong server: %v, %+v", err, res)
	}
	want := `VSWARMU-WRONG-REPLY fibonacci-go measured 2: fibonacci of 10: y is 56, fib(10) is 55 (the reply: "fn: Fib: y = fib(x) | x: 10 y: 56 | runtime: GoLang")`
	if !strings.Contains(log.String(), want) {
		t.Errorf("the log lacks %q:\n%s", want, log.String())
	}
}

func TestReplyChecks(t *testing.T) {
	cases := []struct {
		fn, in, reply, wrong string // wrong: "" for a right reply
	}{
		{"fibonacci-go", "10", "fn: Fib: y = fib(x) | x: 10 y: 55 | runtime: GoLang", ""},
		{"fibonacci-python", "10", "fn: Fib: y = fib(x) | x: 10 y: 55.0 | runtime: Python", ""},
		{"fibonacci-go", "90", "x: 90 y: 2880067194370816120 |", ""},
		{"fibonacci-go", "abc", "x: 0 y: 0 |", ""},
		{"fibonacci-go", "10", "x: 10 y: 54 |", "y is 54, fib(10) is 55"},
		{"fibonacci-go", "10", "no number here", `the reply has no "y: "`},
		{"fibonacci-go", "500", "x: 500 y: 1 |", ""}, // past 64 bits: the servers overflow
		{"aes-go", "hello", "fn: AES | plaintext: hello | ciphertext: d40e94c520 | runtime: golang", ""},
		{"aes-go", "", "plaintext: defaultplaintext | ciphertext: d80e9ec83a6acbef3d909876e79904a9 |", ""},
		{"aes-python", "hello", "ciphertext: d40e94c521 |", "ciphertext d40e94c521, want d40e94c520"},
		{"auth-go", "allow", "resp: {principalId:user policyDocument:{Statement:[{Effect:Allow}]}} |", ""},
		{"auth-go", "deny", "Effect:Deny |", ""},
		{"auth-go", "unauthorized", "resp: Unauthorized |", ""},
		{"auth-go", "bla bla", "resp: Error: Invalid token |", ""},
		{"auth-nodejs", "allow", `{"Effect": "Deny"}`, `the reply does not say "Allow"`},
		{"geo", "37.7867,-122.4112", "anything", ""}, // not checked
	}
	for _, c := range cases {
		svc, err := client.Lookup(c.fn)
		if err != nil {
			t.Fatal(err)
		}
		err = svc.Replies().Check(client.Input{Value: c.in}, c.reply)
		switch {
		case c.wrong == "" && err != nil:
			t.Errorf("%s(%q) %q: %v", c.fn, c.in, c.reply, err)
		case c.wrong != "" && (err == nil || !strings.Contains(err.Error(), c.wrong)):
			t.Errorf("%s(%q) %q: %v, want %q", c.fn, c.in, c.reply, err, c.wrong)
		}
	}
	if client.AESCiphertext("hello") != "d40e94c520" {
		t.Errorf("AESCiphertext(hello) = %s", client.AESCiphertext("hello"))
	}
}

func FuzzReplyChecks(f *testing.F) {
	f.Add("10", "x: 10 y: 55 |")
	f.Fuzz(func(t *testing.T, in, reply string) {
		for _, fn := range []string{"fibonacci-go", "aes-go", "auth-go"} {
			svc, _ := client.Lookup(fn)
			_ = svc.Replies().Check(client.Input{Value: in}, reply) // must not panic
		}
	})
}

// TestWrongReplyLineIsWhatReportsRead: report:check reads the line the
// client writes.
func TestWrongReplyLineIsWhatReportsRead(t *testing.T) {
	if client.WrongReplyLine != results.WrongReplyLine {
		t.Fatalf("client writes %q, results reads %q", client.WrongReplyLine, results.WrongReplyLine)
	}
}
