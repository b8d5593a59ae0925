package compilelock

import (
	"sync/atomic"
	"testing"
	"time"
)

// The second holder waits (and is told so) until the first releases.
func TestSecondHolderWaits(t *testing.T) {
	dir := t.TempDir()
	unlock, err := Lock(dir, func() { t.Error("first holder had to wait") })
	if err != nil {
		t.Fatal(err)
	}
	var held, waited atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		u, err := Lock(dir, func() { waited.Store(true) })
		if err != nil {
			t.Error(err)
			return
		}
		held.Store(true)
		u()
	}()
	time.Sleep(200 * time.Millisecond)
	if held.Load() {
		t.Fatal("second holder got the lock while the first held it")
	}
	unlock()
	<-done
	if !held.Load() || !waited.Load() {
		t.Fatalf("second holder: held %v, told it waits %v", held.Load(), waited.Load())
	}
}

// Other directories have other locks.
func TestOtherDirectoryDoesNotWait(t *testing.T) {
	unlock, err := Lock(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	u, err := Lock(t.TempDir(), func() { t.Error("waited for another directory's lock") })
	if err != nil {
		t.Fatal(err)
	}
	u()
}
