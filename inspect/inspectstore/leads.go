package inspectstore

import (
	"context"
	"time"

	"ecowatch/inspect"
	"ecowatch/registry"
	"ecowatch/store"
)

// Flow factors of HJ 212 (废气流量 a00000 and 废水流量 w00000): an outlet
// with flow discharges.
var flowFactors = map[string]bool{"a00000": true, "w00000": true}

// Leads ranks the enterprises in regionPrefix by the evidence in their
// hourly online data in [from, to): repeated exceedances of their limits,
// flat-lined values, long maintenance, facilities switched off and clean
// readings while discharging (inspect.SeriesEvidence,
// inspect.SuspiciousEvidence). The value compared with a limit is the
// O2-converted average where the limit has a reference O2 and the device
// sends one, the average otherwise.
func Leads(ctx context.Context, st store.Store, regionPrefix string, from, to time.Time, rules inspect.LeadRules) ([]inspect.Lead, error) {
	ents, err := st.Enterprises(ctx)
	if err != nil {
		return nil, err
	}
	points, err := st.Points(ctx)
	if err != nil {
		return nil, err
	}
	limits, err := st.Limits(ctx, "")
	if err != nil {
		return nil, err
	}
	type key struct{ point, factor string }
	limitOf := map[key]registry.Limit{}
	for _, l := range limits {
		// The limit in force at the window's end.
		if l.ValidFrom.After(to) || (!l.ValidTo.IsZero() && !l.ValidTo.After(to)) {
			continue
		}
		limitOf[key{l.PointCode, l.Factor}] = l
	}
	byEnt := map[string][]registry.Point{}
	for _, p := range points {
		if p.EnterpriseCode != "" {
			byEnt[p.EnterpriseCode] = append(byEnt[p.EnterpriseCode], p)
		}
	}
	var leads []inspect.Lead
	for _, e := range ents {
		if len(e.RegionCode) < len(regionPrefix) || e.RegionCode[:len(regionPrefix)] != regionPrefix {
			continue
		}
		lead := inspect.Lead{CreditCode: e.CreditCode, Name: e.Name, Region: e.RegionCode}
		for _, p := range byEnt[e.CreditCode] {
			var flow *inspect.Series
			var conc []inspect.Series
			for _, f := range p.Factors {
				ms, err := st.Measurements(ctx, store.MeasurementQuery{Point: p.Code, Factor: f.Code, Kind: store.Hour, From: from, To: to})
				if err != nil {
					return nil, err
				}
				lim, hasLimit := limitOf[key{p.Code, f.Code}]
				s := inspect.Series{Point: p.Code, Kind: string(p.Kind), Factor: f.Code}
				if hasLimit {
					s.Limit = lim.Value
				}
				for _, m := range ms {
					v, ok := m.Values.Get(store.Avg)
					if hasLimit && lim.ReferenceO2 != nil {
						if zs, zok := m.Values.Get(store.ZsAvg); zok {
							v, ok = zs, true
						}
					}
					if !ok {
						continue
					}
					s.Samples = append(s.Samples, inspect.Sample{Time: m.Time, Value: v, Flag: m.Values.Flag, Frame: m.Frame})
				}
				lead.Evidence = append(lead.Evidence, inspect.SeriesEvidence(s, rules)...)
				if flowFactors[f.Code] {
					flow = &s
				} else if hasLimit {
					conc = append(conc, s)
				}
			}
			if flow != nil {
				for _, c := range conc {
					if ev, ok := inspect.SuspiciousEvidence(*flow, c, rules); ok {
						lead.Evidence = append(lead.Evidence, ev)
					}
				}
			}
		}
		leads = append(leads, lead)
	}
	return inspect.RankLeads(leads), nil
}

// LeadCounts is an EvidenceSource over the online data until the alarm
// and case features provide real counts: an enterprise's "alarms" are its
// pieces of lead evidence in the Window (default 30 days) before the
// pool's date.
type LeadCounts struct {
	Store  store.Store
	Window time.Duration
	Now    func() time.Time
}

// Counts implements EvidenceSource.
func (c LeadCounts) Counts(ctx context.Context, region string, _ time.Time) (map[string]Counts, error) {
	w := c.Window
	if w <= 0 {
		w = 30 * 24 * time.Hour
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	to := now()
	prefix := ""
	if len(region) == 6 {
		prefix = region[:2]
		if region[2:4] != "00" {
			prefix = region[:4]
		}
		if region[4:] != "00" {
			prefix = region
		}
	}
	leads, err := Leads(ctx, c.Store, prefix, to.Add(-w), to, inspect.LeadRules{})
	if err != nil {
		return nil, err
	}
	out := map[string]Counts{}
	for _, l := range leads {
		out[l.CreditCode] = Counts{Alarms: len(l.Evidence)}
	}
	return out, nil
}
