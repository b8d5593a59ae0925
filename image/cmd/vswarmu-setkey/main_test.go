package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keyListener answers on Socket(root, "ctl") as dockerd's libnetwork key
// listener does (one read of the request, unmarshalled, then "success" or
// the error's text), refusing a container it has no sandbox for.
func keyListener(t *testing.T, root string, got chan<- map[string]any) {
	t.Helper()
	sock := Socket(root, "ctl")
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 1280)
			n, _ := conn.Read(buf)
			var req map[string]any
			reply := success
			if err := json.Unmarshal(buf[:n], &req); err != nil {
				reply = err.Error()
			} else if req["ContainerID"] != "c1" {
				reply = "failed to get sandbox for " + req["ContainerID"].(string)
			}
			got <- req
			conn.Write([]byte(reply))
			conn.Close()
		}
	}()
}

func TestTheHookSendsTheContainersNamespace(t *testing.T) {
	root := t.TempDir()
	got := make(chan map[string]any, 4)
	keyListener(t, root, got)
	for _, tc := range []struct {
		name, stdin, container, wantErr string
		args                            []string
	}{
		{name: "dockerd's arguments", stdin: `{"ociVersion":"1.0.2","id":"c1","status":"creating","pid":4242,"bundle":"/b"}`,
			container: "c1", args: []string{"-exec-root=" + root, "c1", "ctl"}},
		{name: "dockerd refuses", stdin: `{"pid":7}`, container: "c2", wantErr: "failed to get sandbox for c2",
			args: []string{"-exec-root=" + root, "c2", "ctl"}},
		{name: "no pid", stdin: `{"id":"c1"}`, wantErr: "no pid", args: []string{"-exec-root=" + root, "c1", "ctl"}},
		{name: "not JSON", stdin: `state`, wantErr: "read the container's state", args: []string{"-exec-root=" + root, "c1", "ctl"}},
		{name: "one argument", stdin: `{"pid":7}`, wantErr: "got 1 arguments", args: []string{"c1"}},
		{name: "no listener", stdin: `{"pid":7}`, wantErr: "dockerd's key listener", args: []string{"-exec-root=" + root, "c1", "other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args, strings.NewReader(tc.stdin))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("run: %v, want error %q", err, tc.wantErr)
			}
			if tc.container == "" {
				return
			}
			req := <-got
			if req["ContainerID"] != tc.container || req["Key"] != "/proc/"+map[string]string{"c1": "4242", "c2": "7"}[tc.container]+"/ns/net" {
				t.Errorf("dockerd got %v", req)
			}
			if _, ok := req["OTelTrace"].(map[string]any); !ok {
				t.Errorf("OTelTrace is %T, want an object as dockerd's own hook sends", req["OTelTrace"])
			}
		})
	}
}
