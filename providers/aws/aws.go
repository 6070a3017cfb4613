// Package aws loads the AWS SDK configuration every AWS provider uses:
// credentials only from the SDK's default chain, the standard endpoint
// settings (AWS_ENDPOINT_URL and its per-service variants, so an emulator
// or a private endpoint needs no code change), and adaptive retries for
// throttling.
package aws

import (
	"context"
	"fmt"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Load returns the SDK configuration for region.
func Load(ctx context.Context, region string) (sdkaws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(region),
		// A buildable client: the SDK refuses a plain *http.Client when
		// AWS_CA_BUNDLE is set.
		config.WithHTTPClient(awshttp.NewBuildableClient()),
		config.WithRetryMode(sdkaws.RetryModeAdaptive),
	)
	if err != nil {
		return sdkaws.Config{}, fmt.Errorf("aws: load configuration: %w (credentials come from the default chain: environment, ~/.aws, or the instance role)", err)
	}
	return cfg, nil
}
