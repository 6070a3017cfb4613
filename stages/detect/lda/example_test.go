package lda_test

import (
	"context"
	"fmt"
	"os"

	"github.com/spotlake/spotlake/stages/detect/lda"
)

func Example() {
	c := lda.NewCorpus()
	for i := range 50 {
		doc := fmt.Sprintf("10.0.0.%d", i)
		c.AddN(doc, "-1_443_6_14_12_5", 40) // HTTPS, every host
		c.AddN(doc, "-1_53_17_14_2_1", 10)  // DNS
	}
	m, err := lda.Fit(context.Background(), c, lda.Config{Topics: 4, Seed: 1, Workers: 1})
	if err != nil {
		panic(err)
	}
	s := m.Scorer()
	d, _ := s.DocID("10.0.0.7")
	w, _ := s.WordID("-1_443_6_14_12_5")
	fmt.Printf("typical %.2f\n", s.ScoreIDs(d, w))
	fmt.Printf("unseen word %.0e\n", m.Score("10.0.0.7", "1_4444_6_3_19_19"))

	f, _ := os.CreateTemp("", "lda-*.model")
	defer os.Remove(f.Name())
	defer f.Close()
	m.WriteTo(f)
	f.Seek(0, 0)
	m2, err := lda.Read(f)
	fmt.Println(err, m2.Score("10.0.0.7", "-1_443_6_14_12_5") == m.Score("10.0.0.7", "-1_443_6_14_12_5"))
	// Output:
	// typical 0.79
	// unseen word 2e-05
	// <nil> true
}
