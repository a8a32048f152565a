package inspectstore

import (
	"context"
	"time"

	"ecowatch/inspect"
	"ecowatch/store"
)

// Counts are an enterprise's recent alarms, complaints and violations,
// which put it in the focus group.
type Counts struct {
	Alarms, Complaints, Violations int
}

// EvidenceSource gives the recent evidence counts per enterprise (credit
// code) of a region (GB/T 2260 code) since a time. The alarm and case features provide the real
// counts; until they are wired, LeadCounts derives alarm counts from the
// online data (see Leads).
type EvidenceSource interface {
	Counts(ctx context.Context, region string, since time.Time) (map[string]Counts, error)
}

// EnterprisePool builds the enterprise pool of region as of asOf from the
// registry: every enterprise of the region with its key-unit status and
// industry, the evidence counts of the last year and the last inspection
// date recorded here. ev may be nil (no counts).
func (r *Repo) EnterprisePool(ctx context.Context, reg store.Registry, region string, asOf time.Time, ev EvidenceSource) (inspect.EnterprisePool, error) {
	p := inspect.EnterprisePool{Region: region, AsOf: asOf.In(store.CST).Format(time.DateOnly), Enterprises: []inspect.Enterprise{}}
	es, err := reg.Enterprises(ctx)
	if err != nil {
		return p, err
	}
	last, err := r.LastInspected(ctx)
	if err != nil {
		return p, err
	}
	counts := map[string]Counts{}
	if ev != nil {
		if counts, err = ev.Counts(ctx, region, asOf.AddDate(-1, 0, 0)); err != nil {
			return p, err
		}
	}
	for _, e := range es {
		if !inspect.InRegion(e.RegionCode, region) {
			continue
		}
		c := counts[e.CreditCode]
		p.Enterprises = append(p.Enterprises, inspect.Enterprise{CreditCode: e.CreditCode, Name: e.Name, Region: e.RegionCode,
			Industry: e.IndustryCode, KeyUnit: len(e.KeyUnits) > 0, Alarms: c.Alarms, Complaints: c.Complaints, Violations: c.Violations,
			LastInspected: last[e.CreditCode]})
	}
	return p, p.Validate()
}

// OfficerPool builds the inspector pool of region as of asOf: the
// registered officers serving a region that overlaps it.
func (r *Repo) OfficerPool(ctx context.Context, region string, asOf time.Time) (inspect.OfficerPool, error) {
	p := inspect.OfficerPool{Region: region, AsOf: asOf.In(store.CST).Format(time.DateOnly), Officers: []inspect.Officer{}}
	all, err := r.Officers(ctx, "")
	if err != nil {
		return p, err
	}
	for _, o := range all {
		if inspect.InRegion(o.Region, region) || inspect.InRegion(region, o.Region) {
			p.Officers = append(p.Officers, o)
		}
	}
	return p, p.Validate()
}
