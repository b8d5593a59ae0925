package client

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// GenType is how inputs vary between invocations.
type GenType int

// The generator types of vSwarm's client library.
const (
	Unique GenType = iota // the same input every time
	Linear                // a counter walking lowerBound..upperBound
	Random                // random inputs between the bounds
)

// ParseGenType reads -genType.
func ParseGenType(s string) (GenType, error) {
	switch strings.ToLower(s) {
	case "unique", "":
		return Unique, nil
	case "linear":
		return Linear, nil
	case "random":
		return Random, nil
	}
	return Unique, fmt.Errorf("unknown generator %q: use unique, linear or random", s)
}

// Input is one request's input: a value and the method it goes to.
type Input struct {
	Value  string
	Method string
}

// Generator makes inputs for a service, as vSwarm's generators do.
type Generator struct {
	Type         GenType
	Default      Input // -input and -function-method
	Lower, Upper int
	count        int
	rng          *rand.Rand
}

// NewGenerator returns a generator; the random one is seeded from seed.
func NewGenerator(t GenType, def Input, lower, upper int, seed uint64) *Generator {
	return &Generator{Type: t, Default: def, Lower: lower, Upper: upper, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Increment advances the linear counter: count+1, back to the lower bound
// past the upper one (so the first value is 1).
func (g *Generator) Increment() int {
	g.count++
	if g.count > g.Upper {
		g.count = g.Lower
	}
	return g.count
}

// intn returns a random int in [0, n), 0 when n <= 0.
func (g *Generator) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return g.rng.IntN(n)
}

// between returns a random int in [lower, upper), lower when they are equal.
func (g *Generator) between() int {
	if g.Upper <= g.Lower {
		return g.Lower
	}
	return g.Lower + g.rng.IntN(g.Upper-g.Lower)
}

// Next returns the service's next input.
func (s *Service) Next(g *Generator) Input { return s.next(g) }

func (g *Generator) with(value string) Input { return Input{Value: value, Method: g.Default.Method} }

// The generators per service (vSwarm grpcclient semantics).

func nextFibonacci(g *Generator) Input {
	switch g.Type {
	case Linear:
		return g.with(strconv.Itoa(g.Increment()))
	case Random:
		return g.with(strconv.Itoa(g.between()))
	}
	return g.Default
}

const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

func nextAES(g *Generator) Input {
	switch g.Type {
	case Linear:
		return g.with("A linear message")
	case Random:
		b := make([]byte, g.between())
		for i := range b {
			b[i] = letters[g.intn(len(letters))]
		}
		return g.with(string(b))
	}
	return g.with("A unique message")
}

var authTokens = []string{"allow", "deny", "unauthorized", "bla bla"}

func nextAuth(g *Generator) Input {
	switch g.Type {
	case Linear:
		return g.with("A linear message")
	case Random:
		return g.with(authTokens[g.intn(len(authTokens))])
	}
	return g.with("A unique message")
}

// pick is the hotel generators' pattern: the first entry, entry count%n
// of a counter starting at 1, or a random entry.
func pick(list []string) func(g *Generator) Input {
	return func(g *Generator) Input {
		switch g.Type {
		case Linear:
			return g.with(list[g.Increment()%len(list)])
		case Random:
			return g.with(list[g.intn(len(list))])
		}
		return g.with(list[0])
	}
}

// Hotel inputs (vSwarm's literal lists).
var (
	coords = []string{"37.7867,-122.4112", "37.795,-122.5", "37.9,-122.3", "37.783,-122.41",
		"37.7,-129.4015", "37.7854,-122.4005", "37.7854,-122.4071", "37.7936,-122.3930"}
	reservations = []string{"hello,2", "user_100,3", "user_100,10", "user_430,33", "adam,33", "drno,3", "user_ssd,10",
		"user_43,22", "peter,1", "test,3", "user_d,13", "user,23", "tom,4", "jack,3", "user_100,18", "hi,13"}
	users = []string{"hello,hello", "user_100,pass_100", "user_100,pass_100", "user_430,pass_430", "hello,hello2",
		"user_ads,pass_asdf", "user_23,pass_100", "user_230,pass_5", "user_132,pass_132", "user_22,pass_22",
		"user_43,pass_43", "hello,hello2", "user_ads,pass_asdf", "user_23,pass_111", "user_233,pass_5"}
)

// nextHotelIDs is profile's and rate's: "1,2"; count%80; or "1" plus up to
// four random ids below 50.
func nextHotelIDs(g *Generator) Input {
	switch g.Type {
	case Linear:
		return g.with(strconv.Itoa(g.Increment() % 80))
	case Random:
		ids := []string{"1"}
		for n := g.intn(5); n > 0; n-- {
			ids = append(ids, strconv.Itoa(g.intn(50)))
		}
		return g.with(strings.Join(ids, ","))
	}
	return g.with("1,2")
}

// nextDefault is the online-shop services': always -input and -function-method.
func nextDefault(g *Generator) Input { return g.Default }
