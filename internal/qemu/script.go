package qemu

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vswarmu/vswarmu-mage/internal/serve"
)

// ScriptResult is what a guest reported after running a script.
type ScriptResult struct {
	Outcome
	Status  int               // the script's exit status
	Log     []byte            // its output
	Uploads map[string][]byte // everything the guest uploaded
}

// RunScript boots m with user networking and has the image's gem5init
// agent run script: a loopback file server serves run.sh and files, the
// kernel command line names it (vswarmu.server=10.0.2.2:PORT), and the
// guest uploads run.log and exit-status, then powers off. uploads are
// further names the script may upload.
func RunScript(
	ctx context.Context,
	c Commander,
	m Machine,
	script string,
	files map[string]string,
	console io.Writer,
	limit time.Duration,
	uploads ...string,
) (ScriptResult, error) {
	uploads = append([]string{"run.log", "exit-status"}, uploads...)
	srv, err := serve.Start(serve.Options{
		Files:   files,
		Data:    map[string][]byte{"run.sh": []byte(script)},
		Uploads: uploads,
		Log:     console,
	})
	if err != nil {
		return ScriptResult{}, err
	}
	defer srv.Close()
	m.Network = true
	m.Append = strings.TrimSpace(m.Append + " vswarmu.server=" + srv.GuestAddr())
	out, err := Run(ctx, c, m, console, limit)
	res := ScriptResult{Outcome: out, Status: -1, Uploads: map[string][]byte{}}
	for _, name := range uploads {
		if b, ok := srv.Uploaded(name); ok {
			res.Uploads[name] = b
		}
	}
	res.Log = res.Uploads["run.log"]
	if err != nil {
		return res, err
	}
	st, ok := res.Uploads["exit-status"]
	if !ok {
		if srv.Served("run.sh") == 0 {
			return res, fmt.Errorf(
				"the guest powered off without fetching run.sh (is gem5init installed and enabled?); console ends with:\n%s",
				lastLines(out.Tail, 15),
			)
		}
		return res, fmt.Errorf(
			"the guest fetched run.sh but did not report its exit status; console ends with:\n%s",
			lastLines(out.Tail, 15),
		)
	}
	res.Status, err = strconv.Atoi(strings.TrimSpace(string(st)))
	if err != nil {
		return res, fmt.Errorf("the guest reported exit status %q", st)
	}
	return res, nil
}
