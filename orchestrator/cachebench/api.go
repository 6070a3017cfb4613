package main

import (
	"context"

	"github.com/spotlake/spotlake/orchestrator"
	"github.com/spotlake/spotlake/orchestrator/config"
)

func benchAPI(ctx context.Context, p *orchestrator.Pipeline, cfg *config.Config, days, requests int) error {
	return nil
}
