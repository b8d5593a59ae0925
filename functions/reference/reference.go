// Package reference implements the fibonacci, aes and auth functions in
// Go, answering exactly as vSwarm's Go images do (same services, same
// reply text): offline stand-ins for those images and the client's test
// peers.
package reference

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"

	aespb "github.com/vswarmu/vswarmu-mage/client/pb/aes"
	authpb "github.com/vswarmu/vswarmu-mage/client/pb/auth"
	fibpb "github.com/vswarmu/vswarmu-mage/client/pb/fibonacci"
)

// Fibonacci answers fibonacci.Greeter/SayHello with fib of the name.
type Fibonacci struct {
	fibpb.UnimplementedGreeterServer
}

// Fib returns the x-th Fibonacci number (wrapping past 2^64).
func Fib(x int) uint64 {
	var a, b uint64 = 0, 1
	for i := 0; i < x; i++ {
		a, b = b, a+b
	}
	return a
}

// SayHello replies "fn: Fib: y = fib(x) | x: 10 y: 55 | runtime: GoLang";
// a name that is not a number counts as 0.
func (Fibonacci) SayHello(_ context.Context, req *fibpb.HelloRequest) (*fibpb.HelloReply, error) {
	x, err := strconv.Atoi(req.GetName())
	if err != nil {
		x = 0
	}
	return &fibpb.HelloReply{Message: fmt.Sprintf("fn: Fib: y = fib(x) | x: %d y: %d | runtime: GoLang", x, Fib(x))}, nil
}

// DefaultAESKey is the aes function's default key (hex).
const DefaultAESKey = "6368616e676520746869732070617373"

// AES answers aes.Aes/ShowEncryption with AES-128-CTR (zero IV).
type AES struct {
	aespb.UnimplementedAesServer
	Key              []byte
	DefaultPlaintext string
}

// NewAES makes the aes function from a hex key.
func NewAES(hexKey, defaultPlaintext string) (*AES, error) {
	key, err := hex.DecodeString(hexKey)
	if err != nil {
		return nil, fmt.Errorf("aes key %q: %w", hexKey, err)
	}
	if _, err := aes.NewCipher(key); err != nil {
		return nil, fmt.Errorf("aes key: %w", err)
	}
	return &AES{Key: key, DefaultPlaintext: defaultPlaintext}, nil
}

// Encrypt returns the AES-CTR ciphertext of plaintext under key, zero IV.
func Encrypt(key []byte, plaintext string) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // NewAES checked the key
	}
	out := make([]byte, len(plaintext))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(out, []byte(plaintext))
	return out
}

// ShowEncryption replies "fn: AES | plaintext: … | ciphertext: <hex> | runtime: golang";
// an empty plaintext or "world" encrypts the default plaintext.
func (a *AES) ShowEncryption(_ context.Context, req *aespb.PlainTextMessage) (*aespb.ReturnEncryptionInfo, error) {
	pt := req.GetPlaintextMessage()
	if pt == "" || pt == "world" {
		pt = a.DefaultPlaintext
	}
	return &aespb.ReturnEncryptionInfo{EncryptionInfo: fmt.Sprintf("fn: AES | plaintext: %s | ciphertext: %s | runtime: golang",
		pt, hex.EncodeToString(Encrypt(a.Key, pt)))}, nil
}

// Auth answers auth.Greeter/SayHello with an API gateway authorizer
// decision for the token in the name.
type Auth struct {
	authpb.UnimplementedGreeterServer
}

func policy(effect string) string {
	return "{principalId:user policyDocument:{Version:2012-10-17 Statement:[{Action:execute-api:Invoke Effect:" + effect +
		" Resource:*}]} context:{stringKey:stringval numberKey:123 booleanKey:true}}"
}

// Decide is the authorizer: allow, deny, unauthorized, or an invalid token
// (a reply, not a gRPC error, as the real function does).
func Decide(token string) string {
	switch token {
	case "allow":
		return policy("Allow")
	case "deny":
		return policy("Deny")
	case "unauthorized":
		return "Unauthorized"
	}
	return "Error: Invalid token"
}

// SayHello replies "fn: Auth | token: … | resp: … | runtime: golang".
func (Auth) SayHello(_ context.Context, req *authpb.HelloRequest) (*authpb.HelloReply, error) {
	return &authpb.HelloReply{Message: fmt.Sprintf("fn: Auth | token: %s | resp: %s | runtime: golang", req.GetName(), Decide(req.GetName()))}, nil
}

// NewServer returns a gRPC server with one function registered and server
// reflection, as the real Go images have.
func NewServer(register func(*grpc.Server)) *grpc.Server {
	s := grpc.NewServer()
	register(s)
	reflection.Register(s)
	return s
}

// CheckEnvironment applies the real images' environment switches:
// ENABLE_TRACING must be unset, "false" or "true" (tracing is not
// implemented here and is refused), IS_LAMBDA must be unset.
func CheckEnvironment() error {
	switch os.Getenv("ENABLE_TRACING") {
	case "", "false":
	case "true":
		return fmt.Errorf("ENABLE_TRACING=true: the reference server has no tracing; unset it")
	default:
		return fmt.Errorf("ENABLE_TRACING=%q: use true or false", os.Getenv("ENABLE_TRACING"))
	}
	if v := os.Getenv("IS_LAMBDA"); v != "" {
		return fmt.Errorf("IS_LAMBDA=%s: the reference server does not run as an AWS Lambda", v)
	}
	return nil
}

// Serve listens on addr and serves until the listener fails.
func Serve(addr string, register func(*grpc.Server)) error {
	if err := CheckEnvironment(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	return NewServer(register).Serve(ln)
}
