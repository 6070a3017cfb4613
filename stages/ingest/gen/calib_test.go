package gen

import (
	"fmt"
	"testing"
	"time"
)

func TestCalib(t *testing.T) {
	w := newWorld(1)
	for _, n := range sourceNames {
		src := registry[n]
		d := newDay(src, w, 1, time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), false)
		for i := 0; i < 20000; i++ {
			d.gen.activity(d, d.when())
		}
		fmt.Printf("%s per=%.2f (declared %.2f) avg line %.0f\n", n, float64(len(d.recs))/20000, src.per, float64(len(d.arena))/float64(len(d.recs)))
	}
}
