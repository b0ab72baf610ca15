package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// write prints a report as tables, or as one JSON object.
func write(w io.Writer, rep Report, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var sb strings.Builder
	for i, r := range rep.Trackers {
		if i > 0 {
			sb.WriteByte('\n')
		}
		writeTable(&sb, r)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func writeTable(w *strings.Builder, r TrackerResult) {
	fmt.Fprintf(w, "%s (info_hash %s)\n", r.URL, r.InfoHash)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tRESULT\tLATENCY\tDETAIL")
	var fails, warns int
	for _, s := range r.Steps {
		lat := "-"
		if s.Status != Skip {
			lat = fmt.Sprintf("%.1fms", s.LatencyMS)
		}
		detail := s.Detail
		for _, wn := range s.Warnings {
			detail += " [" + wn.Name + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Step, s.Status, lat, detail)
		switch s.Status {
		case Fail:
			fails++
		case Warn:
			warns++
		}
	}
	_ = tw.Flush()
	seen := map[string]bool{}
	for _, s := range r.Steps {
		for _, wn := range s.Warnings {
			if !seen[wn.Name] {
				seen[wn.Name] = true
				fmt.Fprintf(w, "warning %s: %s\n", wn.Name, wn.Text)
			}
		}
	}
	verdict := "PASS"
	if !r.OK {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "result: %s (%d failed, %d warned, %.2fs)\n", verdict, fails, warns, r.Seconds)
}
