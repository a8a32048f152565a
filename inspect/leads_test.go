package inspect

import (
	"testing"
	"time"
)

func hours(vals []float64, flag string) []Sample {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var out []Sample
	for i, v := range vals {
		out = append(out, Sample{Time: t0.Add(time.Duration(i) * time.Hour), Value: v, Flag: flag, Frame: int64(100 + i)})
	}
	return out
}

func TestSeriesEvidence(t *testing.T) {
	kinds := func(evs []Evidence) map[string]Evidence {
		m := map[string]Evidence{}
		for _, e := range evs {
			m[e.Kind] = e
		}
		return m
	}
	// Three hours over 35 (the boundary: 35 itself is not over).
	ev := kinds(SeriesEvidence(Series{Point: "DA001", Kind: "gas_outlet", Factor: "a21026", Limit: 35,
		Samples: hours([]float64{20, 36, 35, 40, 41, 12, 13}, "N")}, LeadRules{}))
	if e, ok := ev[EvidenceExceedance]; !ok || e.Hours != 3 || e.Values[0] != 36 || e.Frames[0] != 101 || e.Score != 9 {
		t.Errorf("exceedance %+v", e)
	}
	// Two hours over is not repeated.
	ev = kinds(SeriesEvidence(Series{Limit: 35, Samples: hours([]float64{36, 37, 1, 2, 3}, "N")}, LeadRules{}))
	if _, ok := ev[EvidenceExceedance]; ok {
		t.Error("two exceedances reported as repeated")
	}
	// Values over the limit flagged M are maintenance, not exceedances.
	ev = kinds(SeriesEvidence(Series{Limit: 35, Samples: hours(make([]float64, 30), "M")}, LeadRules{}))
	if _, ok := ev[EvidenceExceedance]; ok {
		t.Error("flagged values counted as exceedances")
	}
	if e := ev[EvidenceMaintenance]; e.Hours != 30 {
		t.Errorf("maintenance %+v, want 30 hours", e)
	}
	// Flat line: 6 identical hours is a run, 5 is not.
	ev = kinds(SeriesEvidence(Series{Samples: hours([]float64{1, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5, 2}, "N")}, LeadRules{}))
	if e := ev[EvidenceFlatLine]; e.Hours != 6 {
		t.Errorf("flat %+v, want 6 hours", e)
	}
	ev = kinds(SeriesEvidence(Series{Samples: hours([]float64{1, 7.5, 7.5, 7.5, 7.5, 7.5, 2}, "N")}, LeadRules{}))
	if _, ok := ev[EvidenceFlatLine]; ok {
		t.Error("5 identical hours reported as flat-lined")
	}
	// A treatment facility at zero.
	ev = kinds(SeriesEvidence(Series{Kind: "power_use", Samples: hours([]float64{80, 0, 0, 0, 0, 81}, "N")}, LeadRules{}))
	if e := ev[EvidenceFacilityOff]; e.Hours != 4 {
		t.Errorf("facility off %+v, want 4 hours", e)
	}
}

func TestSuspiciousAndRank(t *testing.T) {
	flow := Series{Factor: "a00000", Samples: hours([]float64{1e5, 1e5, 1e5, 1e5, 0}, "N")}
	conc := Series{Point: "DA001", Factor: "a21026", Limit: 35, Samples: hours([]float64{0.1, 0.2, 0.3, 20, 0.1}, "N")}
	ev, ok := SuspiciousEvidence(flow, conc, LeadRules{})
	if !ok || ev.Hours != 3 {
		t.Errorf("suspicious %+v %v, want 3 hours (the last hour has no flow)", ev, ok)
	}
	leads := RankLeads([]Lead{
		{CreditCode: "B", Evidence: []Evidence{{Kind: EvidenceFlatLine, Score: 6}}},
		{CreditCode: "A", Evidence: []Evidence{{Kind: EvidenceFlatLine, Score: 6}}},
		{CreditCode: "C", Evidence: []Evidence{{Score: 1}, {Score: 9}}},
		{CreditCode: "clean"},
	})
	if len(leads) != 3 || leads[0].CreditCode != "C" || leads[0].Score != 10 || leads[0].Evidence[0].Score != 9 || leads[1].CreditCode != "A" {
		t.Errorf("ranked %+v", leads)
	}
}
