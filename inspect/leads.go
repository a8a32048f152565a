package inspect

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Sample is one hourly value of a factor at a point, with its HJ 212 data
// flag and the id of the raw frame it came from (the evidence).
type Sample struct {
	Time  time.Time
	Value float64
	Flag  string
	Frame int64
}

// Series is one factor of one point over the lead window, in time order.
type Series struct {
	Point  string
	Kind   string // registry point kind: gas_outlet, water_outlet, working_condition, power_use
	Factor string
	// Limit in force (0: none).
	Limit   float64
	Samples []Sample
}

// LeadRules are the thresholds that turn online data into evidence.
type LeadRules struct {
	// MinExceedances: at least this many hours over the limit (repeated
	// exceedance); 0 means 3.
	MinExceedances int
	// FlatHours: a run of at least this many identical consecutive hourly
	// values (a stuck analyser or fabricated data); 0 means 6.
	FlatHours int
	// MaintenanceHours: at least this many hours flagged M (maintenance)
	// or D (fault); 0 means 24.
	MaintenanceHours int
	// OffHours: at least this many hours a treatment facility's
	// working-condition or power-use point reads zero or is flagged F
	// (stopped); 0 means 3.
	OffHours int
}

func (r LeadRules) withDefaults() LeadRules {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&r.MinExceedances, 3)
	def(&r.FlatHours, 6)
	def(&r.MaintenanceHours, 24)
	def(&r.OffHours, 3)
	return r
}

// Evidence kinds, with their weight per hour in a lead's score: an
// exceedance is the most direct sign, a switched-off facility and data
// that cannot be true (suspicious) next, flat-lined values and long
// maintenance the weakest.
const (
	EvidenceExceedance  = "exceedance"
	EvidenceFlatLine    = "flat_line"
	EvidenceMaintenance = "maintenance"
	EvidenceFacilityOff = "facility_off"
	EvidenceSuspicious  = "suspicious"
)

var evidenceWeight = map[string]float64{
	EvidenceExceedance:  3,
	EvidenceFacilityOff: 2,
	EvidenceSuspicious:  2,
	EvidenceFlatLine:    1,
	EvidenceMaintenance: 0.25,
}

// Evidence is one reason an enterprise is a lead.
type Evidence struct {
	Kind   string    `json:"kind"`
	Point  string    `json:"point"`
	Factor string    `json:"factor"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Hours  int       `json:"hours"`
	Limit  float64   `json:"limit"`
	// Values and Frames are up to five examples: the values and the ids of
	// the raw frames that carried them.
	Values []float64 `json:"values"`
	Frames []int64   `json:"frames"`
	Score  float64   `json:"score"`
}

const maxExamples = 5

type collector struct {
	ev Evidence
}

func (c *collector) add(s Sample) {
	if c.ev.Hours == 0 || s.Time.Before(c.ev.From) {
		c.ev.From = s.Time
	}
	if s.Time.After(c.ev.To) {
		c.ev.To = s.Time
	}
	c.ev.Hours++
	if len(c.ev.Values) < maxExamples {
		c.ev.Values = append(c.ev.Values, s.Value)
		if s.Frame != 0 {
			c.ev.Frames = append(c.ev.Frames, s.Frame)
		}
	}
}

func (c *collector) done(min int) (Evidence, bool) {
	if c.ev.Hours < min {
		return Evidence{}, false
	}
	if c.ev.Frames == nil {
		c.ev.Frames = []int64{}
	}
	c.ev.Score = evidenceWeight[c.ev.Kind] * float64(c.ev.Hours)
	return c.ev, true
}

// SeriesEvidence finds the evidence in one series: repeated exceedances
// of its limit, flat-lined runs, long maintenance or fault flags, and, for
// a treatment facility's point, hours switched off.
func SeriesEvidence(s Series, rules LeadRules) []Evidence {
	rules = rules.withDefaults()
	var out []Evidence
	base := Evidence{Point: s.Point, Factor: s.Factor, Limit: s.Limit}
	exc := collector{base}
	exc.ev.Kind = EvidenceExceedance
	mnt := collector{base}
	mnt.ev.Kind = EvidenceMaintenance
	off := collector{base}
	off.ev.Kind = EvidenceFacilityOff
	facility := s.Kind == "working_condition" || s.Kind == "power_use"
	for _, x := range s.Samples {
		if s.Limit > 0 && x.Value > s.Limit && (x.Flag == "" || x.Flag == "N") {
			exc.add(x)
		}
		if x.Flag == "M" || x.Flag == "D" {
			mnt.add(x)
		}
		if facility && (x.Flag == "F" || x.Value <= 0) {
			off.add(x)
		}
	}
	for _, c := range []struct {
		c   *collector
		min int
	}{{&exc, rules.MinExceedances}, {&mnt, rules.MaintenanceHours}, {&off, rules.OffHours}} {
		if ev, ok := c.c.done(c.min); ok {
			out = append(out, ev)
		}
	}
	// Flat-lined runs: identical consecutive values over FlatHours; one
	// evidence for all runs of the series.
	flat := collector{base}
	flat.ev.Kind = EvidenceFlatLine
	for i := 0; i < len(s.Samples); {
		j := i + 1
		for j < len(s.Samples) && s.Samples[j].Value == s.Samples[i].Value {
			j++
		}
		if j-i >= rules.FlatHours && !facility {
			for _, x := range s.Samples[i:j] {
				flat.add(x)
			}
		}
		i = j
	}
	if ev, ok := flat.done(rules.FlatHours); ok {
		out = append(out, ev)
	}
	return out
}

// SuspiciousEvidence finds hours in which an outlet discharges (its flow
// above zero) while a concentration with a limit reads below 1 % of the
// limit: clean data that cannot be true, e.g. a diluted or bypassed
// sample line. flow and conc are of the same point.
func SuspiciousEvidence(flow, conc Series, rules LeadRules) (Evidence, bool) {
	rules = rules.withDefaults()
	if conc.Limit <= 0 {
		return Evidence{}, false
	}
	flowAt := map[int64]float64{}
	for _, x := range flow.Samples {
		flowAt[x.Time.Unix()] = x.Value
	}
	c := collector{Evidence{Kind: EvidenceSuspicious, Point: conc.Point, Factor: conc.Factor, Limit: conc.Limit}}
	for _, x := range conc.Samples {
		if f, ok := flowAt[x.Time.Unix()]; ok && f > 0 && x.Value < conc.Limit/100 {
			c.add(x)
		}
	}
	return c.done(rules.OffHours)
}

// Lead is an enterprise ranked by its evidence.
type Lead struct {
	CreditCode string     `json:"credit_code"`
	Name       string     `json:"name"`
	Region     string     `json:"region"`
	Score      float64    `json:"score"`
	Evidence   []Evidence `json:"evidence"`
}

// RankLeads sorts leads by score (highest first, then credit code), sums
// their evidence scores and drops leads without evidence.
func RankLeads(leads []Lead) []Lead {
	out := leads[:0:0]
	for _, l := range leads {
		if len(l.Evidence) == 0 {
			continue
		}
		l.Score = 0
		for _, e := range l.Evidence {
			l.Score += e.Score
		}
		l.Score = math.Round(l.Score*100) / 100
		slices.SortFunc(l.Evidence, func(a, b Evidence) int { return cmp.Compare(b.Score, a.Score) })
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b Lead) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return strings.Compare(a.CreditCode, b.CreditCode)
	})
	return out
}
