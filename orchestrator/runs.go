package orchestrator

import (
	"context"
	"sort"
	"time"

	"github.com/spotlake/spotlake/schemas"
	"github.com/spotlake/spotlake/stages/tableio"
)

// StageRun is one row of the runs table.
type StageRun struct {
	Stage          string    `json:"stage"`
	Day            string    `json:"day"`
	Status         string    `json:"status"`
	StartedAt      time.Time `json:"started_at"`
	FinishedAt     time.Time `json:"finished_at"`
	Seconds        float64   `json:"seconds"`
	Rows           int64     `json:"rows"`
	Rejects        int64     `json:"rejects"`
	ClusterType    string    `json:"cluster_type,omitempty"`
	ClusterSize    string    `json:"cluster_size,omitempty"`
	ClusterSeconds float64   `json:"cluster_seconds,omitempty"`
	CostUSD        float64   `json:"cost_usd,omitempty"`
	Message        string    `json:"message,omitempty"`
	Host           string    `json:"host,omitempty"`
}

// RunSummary is one run: its stages, in the order they started.
type RunSummary struct {
	RunID      string     `json:"run_id"`
	Days       []string   `json:"days"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt time.Time  `json:"finished_at"`
	CostUSD    float64    `json:"cost_usd"`
	Stages     []StageRun `json:"stages"`
}

// Runs reads the run history, newest run first.
func (p *Pipeline) Runs(ctx context.Context) ([]RunSummary, error) {
	tbl, err := p.Table(ctx, schemas.Runs)
	if err != nil {
		return nil, err
	}
	byID := map[string]*RunSummary{}
	err = tableio.Scan(ctx, tbl, nil, nil, func(r tableio.Row) error {
		id := r.Str("run_id")
		s := byID[id]
		if s == nil {
			s = &RunSummary{RunID: id, Status: StatusSucceeded}
			byID[id] = s
		}
		sr := StageRun{
			Stage: r.Str("stage"), Day: r.Date("input_day").Format(time.DateOnly), Status: r.Str("status"),
			StartedAt: r.Time("started_at"), FinishedAt: r.Time("finished_at"), Seconds: r.Float64("seconds"),
			Rows: r.Int64("rows"), Rejects: r.Int64("rejects"), ClusterType: r.Str("cluster_type"),
			ClusterSize: r.Str("cluster_size"), ClusterSeconds: r.Float64("cluster_seconds"), CostUSD: r.Float64("cost_usd"),
			Message: r.Str("message"), Host: r.Str("host"),
		}
		s.Stages = append(s.Stages, sr)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]RunSummary, 0, len(byID))
	for _, s := range byID {
		sort.Slice(s.Stages, func(i, j int) bool { return s.Stages[i].StartedAt.Before(s.Stages[j].StartedAt) })
		days := map[string]bool{}
		for i, st := range s.Stages {
			if i == 0 || st.StartedAt.Before(s.StartedAt) {
				s.StartedAt = st.StartedAt
			}
			if st.FinishedAt.After(s.FinishedAt) {
				s.FinishedAt = st.FinishedAt
			}
			if st.Status != StatusSucceeded {
				s.Status = StatusFailed
			}
			s.CostUSD += st.CostUSD
			if !days[st.Day] {
				days[st.Day] = true
				s.Days = append(s.Days, st.Day)
			}
		}
		sort.Strings(s.Days)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt.After(out[j].StartedAt) })
	return out, nil
}
