package download

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"time"
)

// ProbeTimeout bounds how long Reachable waits for a server to answer.
const ProbeTimeout = 5 * time.Second

// scpLike matches git's scp-like addresses: user@host:path.
var scpLike = regexp.MustCompile(`^[^/@]+@([^/:]+):`)

// Reachable says whether the server of src (an http(s), git or ssh URL,
// or git's user@host:path) accepts a TCP connection, through the proxy the
// environment names for it, within ProbeTimeout. A local path is always
// reachable. The error is a *NetworkError naming the host.
func Reachable(ctx context.Context, src string) error {
	host, port, ok := serverOf(src)
	if !ok {
		return nil
	}
	addr := net.JoinHostPort(host, port)
	if u, err := url.Parse(src); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		if proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err == nil && proxy != nil {
			addr = proxy.Host
			if proxy.Port() == "" {
				addr = net.JoinHostPort(proxy.Hostname(), "80")
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	conn, err := new(net.Dialer).DialContext(ctx, "tcp", addr)
	if err != nil {
		shown := host
		if u, perr := url.Parse(src); perr == nil && u.Host != "" {
			shown = u.Host // with its port, as the download's errors name it
		}
		return &NetworkError{Src: src, Host: shown, Err: err}
	}
	return conn.Close()
}

// serverOf returns the host and port src names, if it names a server.
func serverOf(src string) (host, port string, ok bool) {
	if m := scpLike.FindStringSubmatch(src); m != nil {
		return m[1], "22", true
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return "", "", false
	}
	defaults := map[string]string{
		"http":    "80",
		"https":   "443",
		"git":     "9418",
		"ssh":     "22",
		"git+ssh": "22",
		"ftp":     "21",
	}
	port = u.Port()
	if port == "" {
		if port, ok = defaults[u.Scheme]; !ok {
			return "", "", false
		}
	}
	return u.Hostname(), port, true
}
