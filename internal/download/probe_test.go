package download

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

func TestReachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	open := ln.Addr().String()
	ln.Close() // now a closed port
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	t.Setenv("HTTPS_PROXY", "")
	t.Setenv("HTTP_PROXY", "")
	cases := []struct {
		src     string
		network bool // a *NetworkError
	}{
		{"http://" + ln2.Addr().String() + "/gem5.git", false},
		{"https://" + open + "/linux.tar.xz", true},
		{"/var/tmp/a-local-clone", false},
		{"file:///var/tmp/a-local-clone", false},
		{"https://no-such-host.invalid/x", true},
	}
	for _, c := range cases {
		err := Reachable(context.Background(), c.src)
		var ne *NetworkError
		if got := errors.As(err, &ne); got != c.network {
			t.Errorf("Reachable(%q) = %v, want a network error: %v", c.src, err, c.network)
			continue
		}
		if c.network && !strings.Contains(err.Error(), "cannot reach") {
			t.Errorf("Reachable(%q): %v", c.src, err)
		}
	}
}

func TestServerOf(t *testing.T) {
	cases := []struct{ src, host, port string }{
		{"git@github.com:gem5/gem5.git", "github.com", "22"},
		{"https://github.com/gem5/gem5.git", "github.com", "443"},
		{"http://mirror.example:8080/debian", "mirror.example", "8080"},
		{"git://git.kernel.org/x", "git.kernel.org", "9418"},
		{"/srv/gem5", "", ""},
	}
	for _, c := range cases {
		host, port, _ := serverOf(c.src)
		if host != c.host || port != c.port {
			t.Errorf("serverOf(%q) = %s:%s, want %s:%s", c.src, host, port, c.host, c.port)
		}
	}
}
