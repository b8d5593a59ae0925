package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRequest(t *testing.T) {
	for _, tc := range []struct {
		name      string
		seed      int
		wantBits  uint32
		wantBytes uint32
		wantErr   string
	}{
		{"too short", 31, 0, 0, "want at least 32"},
		{"empty", 0, 0, 0, "has 0 bytes"},
		{"the least", 32, 256, 32, ""},
		{"the disk's", 64, 512, 64, ""},
		{"capped", 4096, 4096, 512, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed := make([]byte, tc.seed)
			for i := range seed {
				seed[i] = byte(i)
			}
			req, err := Request(seed)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Request(%d bytes) error %v, want %q", tc.seed, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			bits, n := binary.NativeEndian.Uint32(req[0:]), binary.NativeEndian.Uint32(req[4:])
			if bits != tc.wantBits || n != tc.wantBytes || len(req) != 8+int(n) {
				t.Fatalf("request: %d bits, %d bytes, %d long; want %d bits, %d bytes", bits, n, len(req), tc.wantBits, tc.wantBytes)
			}
			if req[8] != 0 || req[len(req)-1] != byte(n-1) {
				t.Fatalf("request does not carry the seed's bytes in order")
			}
		})
	}
}

func TestRunNamesTheSeedFile(t *testing.T) {
	short := filepath.Join(t.TempDir(), "random-seed")
	if err := os.WriteFile(short, []byte("too short"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{short}, short + ": seed has 9 bytes"},
		{[]string{filepath.Join(t.TempDir(), "absent")}, "no such file"},
		{nil, "usage: vswarmu-seed"},
	} {
		err := run(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestCheckRunsOnTheHost(t *testing.T) {
	// The host's generator is ready; -check must say so without a seed.
	if !ready() {
		t.Skip("the host's random number generator is not ready")
	}
	if err := run([]string{"-check"}); err != nil {
		t.Fatal(err)
	}
}
