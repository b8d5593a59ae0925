package client

// Reply checks: what fibonacci, aes and auth must answer for an input,
// whatever language serves them (vSwarm's Go, Node.js and Python servers
// and the project's reference servers word their replies alike: "x: 10
// y: 55", "ciphertext: <hex>", the policy's effect). A program gem5 runs
// wrongly can answer wrongly and still be measured; the client says so.

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// replyChecks are the services whose replies are checked, by service name.
var replyChecks = map[string]func(in string, reply string) error{
	"fibonacci": checkFibonacci,
	"aes":       checkAES,
	"auth":      checkAuth,
}

// ReplyChecker checks a service's replies, remembering each input's and
// reply's verdict: a run repeats its input, and the check sits in the
// measured window, so after the first a check is one map look-up.
type ReplyChecker struct {
	check    func(in, reply string) error
	verdicts map[[2]string]error
}

// Replies returns the service's reply checker; nil when its replies are
// not checked.
func (s *Service) Replies() *ReplyChecker {
	check := replyChecks[s.Name]
	if check == nil {
		return nil
	}
	return &ReplyChecker{check: check, verdicts: map[[2]string]error{}}
}

// Check says what is wrong with a reply's text for an input (nil for a
// right reply, and on a nil checker).
func (c *ReplyChecker) Check(in Input, reply string) error {
	if c == nil {
		return nil
	}
	key := [2]string{in.Value, reply}
	if err, ok := c.verdicts[key]; ok {
		return err
	}
	err := c.check(in.Value, reply)
	if err != nil {
		err = fmt.Errorf("%w (the reply: %q)", err, truncateReply(reply))
	}
	c.verdicts[key] = err
	return err
}

// ReplyText is a reply's first string field (fibonacci's and auth's
// message, aes's encryption_info): what the checks read.
func ReplyText(m proto.Message) string {
	if m == nil {
		return ""
	}
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); f.Kind() == protoreflect.StringKind && !f.IsList() {
			return r.Get(f).String()
		}
	}
	return ""
}

func truncateReply(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// field is the text after "name: " in a reply, up to the next space or |.
func field(reply, name string) (string, bool) {
	i := strings.Index(reply, name+": ")
	if i < 0 {
		return "", false
	}
	rest := reply[i+len(name)+2:]
	if j := strings.IndexAny(rest, " |\"\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest, true
}

// fibonacciMax is the largest input whose value vSwarm's servers compute
// without overflowing 64 bits (fib(93) does not fit).
const fibonacciMax = 92

// checkFibonacci: y is fib(x) for x the input (0 for an input that is no
// number, as the servers read it); a float y (Python) within rounding.
func checkFibonacci(in, reply string) error {
	x, err := strconv.Atoi(strings.TrimSpace(in))
	if err != nil || x < 0 {
		x = 0
	}
	y, ok := field(reply, "y")
	if !ok {
		return fmt.Errorf("fibonacci of %q: the reply has no \"y: \"", in)
	}
	if x > fibonacciMax {
		return nil // the servers overflow differently; nothing to compare
	}
	want := fib(x)
	if got, ok := new(big.Int).SetString(y, 10); ok {
		if got.Cmp(want) != 0 {
			return fmt.Errorf("fibonacci of %d: y is %s, fib(%d) is %s", x, y, x, want)
		}
		return nil
	}
	got, err := strconv.ParseFloat(y, 64)
	w, _ := new(big.Float).SetInt(want).Float64()
	if err != nil || math.Abs(got-w) > 1e-9*math.Max(1, w) {
		return fmt.Errorf("fibonacci of %d: y is %s, fib(%d) is %s", x, y, x, want)
	}
	return nil
}

func fib(n int) *big.Int {
	a, b := big.NewInt(0), big.NewInt(1)
	for range n {
		a.Add(a, b)
		a, b = b, a
	}
	return a
}

// AESKey is the key vSwarm's aes servers use by default (hex).
const AESKey = "6368616e676520746869732070617373"

// AESCiphertext is what vSwarm's aes servers answer for a plaintext:
// AES-128 in CTR mode with a zero IV and the default key, in hex; an empty
// plaintext or "world" stands for "defaultplaintext".
func AESCiphertext(plaintext string) string {
	if plaintext == "" || plaintext == "world" {
		plaintext = "defaultplaintext"
	}
	key, _ := hex.DecodeString(AESKey)
	block, _ := aes.NewCipher(key)
	out := make([]byte, len(plaintext))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(out, []byte(plaintext))
	return hex.EncodeToString(out)
}

// checkAES: the ciphertext is the input's.
func checkAES(in, reply string) error {
	got, ok := field(reply, "ciphertext")
	if !ok {
		return fmt.Errorf("aes of %q: the reply has no \"ciphertext: \"", in)
	}
	if want := AESCiphertext(in); !strings.EqualFold(got, want) {
		return fmt.Errorf("aes of %q: ciphertext %s, want %s", in, got, want)
	}
	return nil
}

// AuthAnswer is what vSwarm's auth servers must say for a token: the
// policy's effect (Allow, Deny), Unauthorized, or that the token is
// invalid.
func AuthAnswer(token string) string {
	switch token {
	case "allow":
		return "Allow"
	case "deny":
		return "Deny"
	case "unauthorized":
		return "Unauthorized"
	}
	return "Invalid token"
}

// checkAuth: the reply carries the token's answer, and no other's.
func checkAuth(in, reply string) error {
	want := AuthAnswer(in)
	if !strings.Contains(reply, want) {
		return fmt.Errorf("auth of %q: the reply does not say %q", in, want)
	}
	for _, other := range []string{"Allow", "Deny", "Unauthorized", "Invalid token"} {
		if other != want && strings.Contains(reply, other) {
			return fmt.Errorf("auth of %q: the reply says %q, want %q", in, other, want)
		}
	}
	return nil
}
