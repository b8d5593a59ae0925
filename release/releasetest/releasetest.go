// Package releasetest serves a directory of release assets the way GitHub
// does (the releases API's JSON and the assets' download URLs), for tests
// of release downloads.
package releasetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Server serves the assets in Dir as release Tag of Repo.
type Server struct {
	*httptest.Server
	Dir, Repo, Tag string

	mu   sync.Mutex
	cut  map[string]bool // asset → drop the connection halfway through its next download
	gets map[string]int  // asset → downloads served
}

// Serve starts a server for t.
func Serve(t testing.TB, dir, repo, tag string) *Server {
	s := &Server{Dir: dir, Repo: repo, Tag: tag, cut: map[string]bool{}, gets: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// Cut drops the connection halfway through asset's next download.
func (s *Server) Cut(asset string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut[asset] = true
}

// Downloads returns how many times asset was downloaded.
func (s *Server) Downloads(asset string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets[asset]
}

type asset struct {
	Name string `json:"name"`
	URL  string `json:"browser_download_url"`
	Size int64  `json:"size"`
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	base := "/repos/" + s.Repo + "/releases/"
	switch {
	case r.URL.Path == base+"tags/"+s.Tag || r.URL.Path == base+"latest":
		s.release(w)
	case strings.HasPrefix(r.URL.Path, "/download/"+s.Tag+"/"):
		s.asset(w, r, filepath.Base(r.URL.Path))
	default:
		http.NotFound(w, r)
	}
}

// release writes the API's description of the release.
func (s *Server) release(w http.ResponseWriter) {
	ents, _ := os.ReadDir(s.Dir)
	rel := struct {
		Tag    string  `json:"tag_name"`
		Assets []asset `json:"assets"`
	}{Tag: s.Tag}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			rel.Assets = append(
				rel.Assets,
				asset{Name: e.Name(), URL: s.URL + "/download/" + s.Tag + "/" + e.Name(), Size: fi.Size()},
			)
		}
	}
	_ = json.NewEncoder(w).Encode(rel)
}

// asset serves one asset (HEAD too, as go-getter asks first).
func (s *Server) asset(w http.ResponseWriter, r *http.Request, name string) {
	b, err := os.ReadFile(filepath.Join(s.Dir, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	if r.Method != http.MethodGet {
		return
	}
	s.mu.Lock()
	cut := s.cut[name]
	delete(s.cut, name)
	s.gets[name]++
	s.mu.Unlock()
	if cut {
		_, _ = w.Write(b[:len(b)/2])
		panic(http.ErrAbortHandler) // the connection drops mid-file
	}
	_, _ = w.Write(b)
}
