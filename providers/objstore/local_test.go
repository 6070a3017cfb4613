package objstore_test

import (
	"testing"

	"github.com/spotlake/spotlake/providers/objstore"
	"github.com/spotlake/spotlake/providers/objstore/storetest"
)

func TestLocal(t *testing.T) {
	s, err := objstore.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, s)
}
