package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/spotlake/spotlake/orchestrator"
)

type feedbackOptions struct {
	event, label, note string
}

func newFeedbackCmd(g *globals) *cobra.Command {
	c := &cobra.Command{Use: "feedback", Short: "Label what detection showed you: benign patterns are suppressed, malicious ones kept at the top"}
	o := &feedbackOptions{}
	add := &cobra.Command{
		Use:   "add --event ID --label benign|malicious [--note TEXT]",
		Short: "Label a suspicious or scored event",
		Long: `feedback add labels an event from the suspicious or scores tables. The label
applies to its pattern — the (source, document, word) of an LDA score, the
(heuristic, principal) of a finding — in every later run of the oa stage:
benign patterns are suppressed (and counted), malicious ones are kept at the top
with severity high. The latest label of a pattern wins.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.event == "" {
				return usagef("--event is required")
			}
			if o.label != orchestrator.LabelBenign && o.label != orchestrator.LabelMalicious {
				return usagef("--label %q: use benign or malicious", o.label)
			}
			p, err := g.openPipeline(c.Context())
			if err != nil {
				return err
			}
			defer p.Close()
			fb, err := p.AddFeedback(c.Context(), o.event, o.label, o.note)
			if errors.Is(err, orchestrator.ErrUnknownEvent) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(fb)
			}
			pattern := fmt.Sprintf("%s %s %s", fb.Source, fb.Document, fb.Word)
			if fb.Kind != "" {
				pattern = fmt.Sprintf("%s %s", fb.Kind, fb.Key)
			}
			fmt.Fprintf(g.stdout, "labelled %s %s: pattern %q; the next oa run applies it\n", fb.EventID, fb.Label, pattern)
			return nil
		},
	}
	add.Flags().StringVar(&o.event, "event", "", "event id (from suspicious or scores)")
	add.Flags().StringVar(&o.label, "label", "", "benign or malicious")
	add.Flags().StringVar(&o.note, "note", "", "why")
	c.AddCommand(add)
	return c
}
