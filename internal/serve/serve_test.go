package serve

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rawRequest sends a request line as written, so paths are not cleaned by
// the client.
func rawRequest(t *testing.T, addr, method, path string, body []byte) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	if body != nil {
		req += "Content-Length: " + itoa(len(body)) + "\r\n"
	}
	c.Write([]byte(req + "\r\n"))
	c.Write(body)
	resp, err := http.ReadResponse(bufioReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

func TestServesKnownFilesAndUploads(t *testing.T) {
	dir := t.TempDir()
	client := filepath.Join(dir, "client-bin")
	os.WriteFile(client, []byte("ELF..."), 0o755)
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("do not serve"), 0o600)
	var log bytes.Buffer
	s := start(t, Options{
		Files:     map[string]string{"client": client},
		Data:      map[string][]byte{"run.sh": []byte("echo hi\n")},
		Uploads:   []string{"run.log"},
		MaxUpload: 16,
		Log:       &log,
	})
	base := "http://" + s.Addr()
	get := func(p string) (int, string) {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/run.sh"); code != 200 || body != "echo hi\n" {
		t.Fatalf("run.sh: %d %q", code, body)
	}
	if code, body := get("/client"); code != 200 || body != "ELF..." {
		t.Fatalf("client: %d %q", code, body)
	}
	if s.Served("run.sh") != 1 {
		t.Fatal("fetch not counted")
	}
	put := func(name string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPut, base+"/upload/"+name, bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := put("run.log", []byte("all good")); code != http.StatusNoContent {
		t.Fatalf("upload: %d", code)
	}
	if b, ok := s.Uploaded("run.log"); !ok || string(b) != "all good" {
		t.Fatalf("uploaded %q %v", b, ok)
	}

	cases := []struct {
		name, method, path string
		body               []byte
		want               int
	}{
		{"unknown file", "GET", "/secret", nil, 404},
		{"traversal", "GET", "/../secret", nil, 404},
		{"encoded traversal", "GET", "/%2e%2e%2fsecret", nil, 404},
		{"traversal upload", "PUT", "/upload/../run.sh", []byte("x"), 403},
		{"encoded traversal upload", "PUT", "/upload/..%2frun.sh", []byte("x"), 403},
		{"unknown upload name", "PUT", "/upload/evil.sh", []byte("x"), 403},
		{"oversize upload", "PUT", "/upload/run.log", bytes.Repeat([]byte("x"), 17), 413},
		{"write to a served file", "PUT", "/run.sh", []byte("x"), 405},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := rawRequest(t, s.Addr(), c.method, c.path, c.body); got != c.want {
				t.Fatalf("%s %s: status %d, want %d", c.method, c.path, got, c.want)
			}
		})
	}
	// A chunked body without a length is cut at the limit too.
	req, _ := http.NewRequest(
		http.MethodPost,
		base+"/upload/run.log",
		io.MultiReader(strings.NewReader(strings.Repeat("y", 40))),
	)
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Fatalf("chunked oversize upload: %d", resp.StatusCode)
	}
	if b, _ := s.Uploaded("run.log"); string(b) != "all good" {
		t.Fatalf("a refused upload replaced the earlier one: %q", b)
	}
	if !strings.Contains(log.String(), `upload "evil.sh": refused`) {
		t.Fatalf("refusals are not logged:\n%s", log.String())
	}
}

func TestRefusesNonLoopbackAndBadNames(t *testing.T) {
	cases := []Options{
		{Addr: "0.0.0.0:0"},
		{Addr: ":0"},
		{Addr: "192.0.2.1:0"},
		{Files: map[string]string{"../etc/passwd": "/etc/passwd"}},
		{Uploads: []string{"a/b"}},
	}
	for _, o := range cases {
		if s, err := Start(o); err == nil {
			s.Close()
			t.Errorf("Start(%+v) accepted", o)
		}
	}
	s := start(t, Options{Addr: "127.0.0.1:0"})
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.GuestURL() != "http://10.0.2.2:"+itoa(s.Port()) {
		t.Fatalf("addr %s guest %s", s.Addr(), s.GuestURL())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }
