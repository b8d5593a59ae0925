// Package targets is the Mage surface of vswarmu-mage: one target per step
// of the gem5 + serverless workflow, each a rule of the build engine in
// targets/graph. Import it from a magefile with
//
//	//mage:import
//	_ "github.com/vswarmu/vswarmu-mage/targets"
//
// Every target reads its settings from environment variables (see
// `mage config`) and builds only what is out of date.
package targets

import (
	"context"
	"os"
	"sync"

	"github.com/vswarmu/vswarmu-mage/internal/config"
	"github.com/vswarmu/vswarmu-mage/internal/ui"
)

// session is the one configuration and graph of this mage invocation; the
// Mage surface is the only place that keeps such state.
var session struct {
	once sync.Once
	cfg  *config.Config
	p    *pipeline
	err  error
}

// load reads the configuration and builds the pipeline once per invocation;
// invalid settings fail here, before any work.
func load() (*config.Config, *pipeline, error) {
	session.once.Do(func() {
		cfg, err := config.FromEnv()
		if err != nil {
			session.err = err
			return
		}
		out := ui.New(os.Stdout, os.Getenv("GITHUB_ACTIONS") == "true")
		p, err := newPipeline(cfg, out)
		session.cfg, session.p, session.err = cfg, p, err
	})
	return session.cfg, session.p, session.err
}

// build brings the named rules up to date.
func build(ctx context.Context, names ...string) error {
	_, p, err := load()
	if err != nil {
		return err
	}
	rules, err := p.g.Lookup(names...)
	if err != nil {
		return err
	}
	return p.build(ctx, rules...)
}

// exitError carries an exit status to Mage without the word "Error".
type exitError struct {
	msg  string
	code int
}

func (e *exitError) Error() string   { return e.msg }
func (e *exitError) ExitStatus() int { return e.code }
