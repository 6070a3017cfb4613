package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/spotlake/spotlake/stages/ingest"
)

// startProgress shows the ingest's progress on a terminal (bytes, events/s,
// ETA) and stays quiet otherwise; --json never shows it. The returned func
// clears the line; with final it also stops the ticker.
func startProgress(g *globals, p *ingest.Progress) func(final bool) {
	f, ok := g.stderr.(*os.File)
	if g.json || !ok || !term.IsTerminal(int(f.Fd())) {
		return func(bool) {}
	}
	var mu sync.Mutex
	shown := false
	done := make(chan struct{})
	start := time.Now()
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			el := time.Since(start).Seconds()
			bd, bq := p.BytesDone.Load(), p.BytesQueued.Load()
			lines := p.Lines.Load()
			eta := "?"
			if bd > 0 && bq > bd {
				eta = time.Duration(el * float64(bq-bd) / float64(bd) * float64(time.Second)).Round(time.Second).String()
			} else if bq > 0 && bd >= bq {
				eta = "0s"
			}
			mu.Lock()
			fmt.Fprintf(f, "\r\033[K  objects %d/%d  %s/%s  %s lines/s  ETA %s",
				p.ObjectsDone.Load(), p.ObjectsQueued.Load(), humanBytes(float64(bd)), humanBytes(float64(bq)), human(float64(lines)/el), eta)
			shown = true
			mu.Unlock()
		}
	}()
	var once sync.Once
	return func(final bool) {
		mu.Lock()
		if shown {
			fmt.Fprint(f, "\r\033[K")
			shown = false
		}
		mu.Unlock()
		if final {
			once.Do(func() { close(done) })
		}
	}
}
