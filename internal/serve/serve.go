// Package serve is the file server a guest talks to: it hands out the files
// a guest needs (run script, client, function list, installer data) and
// takes uploads (logs). It binds to loopback only — a qemu guest reaches it
// through user networking at 10.0.2.2 — serves only the names it was
// given, accepts only known upload names of bounded size, and never maps a
// request to an arbitrary path.
package serve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GuestHost is where a qemu user-network guest finds the host.
const GuestHost = "10.0.2.2"

// Options configure a Server.
type Options struct {
	// Addr to listen on; it must be a loopback address. Empty means
	// 127.0.0.1 on a free port.
	Addr string
	// Files maps a name (no slashes) to a local file to serve.
	Files map[string]string
	// Data maps a name to content to serve.
	Data map[string][]byte
	// Uploads are the names a guest may upload, each to
	// PUT or POST /upload/<name>.
	Uploads []string
	// MaxUpload bounds one upload's size (0: 64 MiB).
	MaxUpload int64
	// Log receives one line per request.
	Log io.Writer
}

// Server is a running file server.
type Server struct {
	opts    Options
	ln      net.Listener
	srv     *http.Server
	mu      sync.Mutex
	uploads map[string][]byte
	allowed map[string]bool
	served  map[string]int
	done    chan struct{}
}

// Start listens on loopback and serves until Close.
func Start(opts Options) (*Server, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("file server address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf(
			"file server address %q is not a loopback address: guests reach the host through qemu's user network, so nothing else may see the server",
			addr,
		)
	}
	for name := range opts.Files {
		if !validName(name) {
			return nil, fmt.Errorf("file server: %q is not a plain file name", name)
		}
	}
	if opts.MaxUpload <= 0 {
		opts.MaxUpload = 64 << 20
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("file server: %w", err)
	}
	s := &Server{opts: opts, ln: ln, uploads: map[string][]byte{}, allowed: map[string]bool{},
		served: map[string]int{}, done: make(chan struct{})}
	for _, u := range opts.Uploads {
		if !validName(u) {
			ln.Close()
			return nil, fmt.Errorf("file server: upload name %q is not a plain file name", u)
		}
		s.allowed[u] = true
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// validName accepts plain file names: no separators, no dot-dot, not empty.
func validName(n string) bool {
	return n != "" && n != "." && n != ".." && !strings.ContainsAny(n, `/\`) && !strings.ContainsRune(n, 0)
}

// SetData serves content under name from now on (for content that names
// the server itself, such as installer data).
func (s *Server) SetData(name string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Data == nil {
		s.opts.Data = map[string][]byte{}
	}
	s.opts.Data[name] = content
}

// Port is the port the server listens on.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Addr is the address the server listens on (127.0.0.1:port).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// GuestAddr is the server's host:port as a qemu guest sees it.
func (s *Server) GuestAddr() string { return net.JoinHostPort(GuestHost, strconv.Itoa(s.Port())) }

// GuestURL is the server's base URL as a qemu guest sees it.
func (s *Server) GuestURL() string { return "http://" + s.GuestAddr() }

// Uploaded returns an upload's content.
func (s *Server) Uploaded(name string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.uploads[name]
	return b, ok
}

// Served reports how many times name was fetched.
func (s *Server) Served(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served[name]
}

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}

func (s *Server) logf(format string, args ...any) {
	fmt.Fprintf(s.opts.Log, "file server: "+format+"\n", args...)
}

// ServeHTTP serves GET /<name> and PUT|POST /upload/<name>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if rest, ok := strings.CutPrefix(path, "/upload/"); ok {
		s.upload(w, r, rest)
		return
	}
	name := strings.TrimPrefix(path, "/")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.logf("%s %s: refused (method)", r.Method, path)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !validName(name) {
		s.logf("GET %q: refused (not a plain name)", path)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	s.mu.Lock()
	data, ok := s.opts.Data[name]
	s.mu.Unlock()
	if ok {
		s.count(name)
		s.logf("GET %s (%d bytes)", name, len(data))
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
		return
	}
	local, ok := s.opts.Files[name]
	if !ok {
		s.logf("GET %s: not served", name)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	f, err := os.Open(local)
	if err != nil {
		s.logf("GET %s: %v", name, err)
		http.Error(w, "not available", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, "not available", http.StatusInternalServerError)
		return
	}
	s.count(name)
	s.logf("GET %s (%d bytes)", name, fi.Size())
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

func (s *Server) count(name string) {
	s.mu.Lock()
	s.served[name]++
	s.mu.Unlock()
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodPut && r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !validName(name) || !s.allowed[name] {
		s.logf("upload %q: refused (not an expected name)", name)
		http.Error(w, "upload name not accepted", http.StatusForbidden)
		return
	}
	if r.ContentLength > s.opts.MaxUpload {
		s.logf("upload %s: refused (%d bytes > %d)", name, r.ContentLength, s.opts.MaxUpload)
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxUpload))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.logf("upload %s: refused (more than %d bytes)", name, s.opts.MaxUpload)
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.uploads[name] = body
	s.mu.Unlock()
	s.logf("upload %s (%d bytes)", name, len(body))
	w.WriteHeader(http.StatusNoContent)
}
