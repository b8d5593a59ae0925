// Package client drives vSwarm-u's serverless functions over gRPC, as the
// original vSwarm-u client did: the same flags, name-to-service mapping,
// input generators and gem5 m5-op protocol, plus per-invocation latency.
//
// What changed from the original client, deliberately:
//   - connecting has a time limit (-timeout): an unreachable function is an
//     error, not a hang;
//   - m5 fail code 20 is sent once the connection exists, as its comment
//     always said;
//   - the payment card expires five years after today, so Charge works
//     whatever the guest's clock says (the original's expired in 3/2025);
//   - random aes inputs with equal bounds use that length instead of
//     panicking, and random fibonacci inputs honour the lower bound;
//   - an unknown function name, method or generator is an error listing what
//     is known, not a silent fallback.
package client

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// serviceNames maps function names to service names (vSwarm's
// FindServiceName); other names are services already.
var serviceNames = map[string]string{
	"aes-go": "aes", "aes-python": "aes", "aes-nodejs": "aes",
	"auth-go": "auth", "auth-python": "auth", "auth-nodejs": "auth",
	"fibonacci-go": "fibonacci", "fibonacci-python": "fibonacci", "fibonacci-nodejs": "fibonacci", "fibonacci-cpp": "fibonacci",
}

// ServiceName returns the service a function name stands for.
func ServiceName(function string) string {
	if s, ok := serviceNames[function]; ok {
		return s
	}
	return function
}

// serviceAliases are the further spellings vSwarm's FindGrpcClient accepts.
var serviceAliases = map[string]string{
	"Geo": "geo", "Profile": "profile", "Rate": "rate", "Recommendation": "recommendation",
	"Reservation": "reservation", "User": "user", "Currency": "currencyservice", "Email": "emailservice",
	"Payment": "paymentservice", "ProductCatalog": "productcatalogservice", "Shipping": "shippingservice",
}

// Functions are the vSwarm-u function names (simulation/functions/*.list).
var Functions = []string{
	"fibonacci-go", "fibonacci-nodejs", "fibonacci-python",
	"aes-go", "aes-nodejs", "aes-python",
	"auth-go", "auth-nodejs", "auth-python",
	"geo", "profile", "rate", "recommendation", "reservation", "user",
	"productcatalogservice", "currencyservice", "paymentservice", "shippingservice",
	"emailservice", "recommendationservice",
}

// Service is what the client needs to drive one gRPC service.
type Service struct {
	Name    string   // fibonacci, geo, paymentservice, ...
	Methods []string // full method paths; index = -function-method
	// next makes the next input from a generator.
	next func(g *Generator) Input
	// call sends one request for in through the connection.
	call callFunc
}

// Lookup finds the service behind a function name (or a service name).
func Lookup(function string) (*Service, error) {
	name := ServiceName(function)
	if a, ok := serviceAliases[name]; ok {
		name = a
	}
	s, ok := services()[name]
	if !ok {
		return nil, fmt.Errorf("unknown function %q; known functions: %s", function, strings.Join(KnownNames(), ", "))
	}
	return s, nil
}

// KnownNames lists every name Lookup accepts, sorted.
func KnownNames() []string {
	seen := map[string]bool{}
	for _, f := range Functions {
		seen[f] = true
	}
	for f := range serviceNames {
		seen[f] = true
	}
	for s := range services() {
		seen[s] = true
	}
	for a := range serviceAliases {
		seen[a] = true
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Services lists the gRPC services the client speaks, sorted.
func Services() []string { return slices.Sorted(maps.Keys(services())) }

// MethodIndex resolves -function-method: a method's name or its index.
func (s *Service) MethodIndex(method string) (int, error) {
	for i, full := range s.Methods {
		short := full[strings.LastIndexByte(full, '/')+1:]
		if method == fmt.Sprint(i) || method == short {
			return i, nil
		}
	}
	if len(s.Methods) == 1 {
		return 0, nil // single-method services ignore the method
	}
	names := make([]string, len(s.Methods))
	for i, full := range s.Methods {
		names[i] = fmt.Sprintf("%d or %s", i, full[strings.LastIndexByte(full, '/')+1:])
	}
	return 0, fmt.Errorf("%s has no method %q; use %s", s.Name, method, strings.Join(names, ", "))
}
