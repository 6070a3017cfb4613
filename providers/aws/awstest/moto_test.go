package awstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The emulator answers through the SDK as spotlake configures it.
func TestMotoAnswers(t *testing.T) {
	m := Start(t)
	out, err := sts.NewFromConfig(m.Config(t)).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Account == nil || *out.Account == "" {
		t.Fatalf("no account from %s", m.Endpoint)
	}
	m.Reset(t)
}
