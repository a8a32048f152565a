package repo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/targets"
	"ecowatch/targets/bulletin"
	"ecowatch/targets/cnemc"
)

// Service computes the targets' progress, rankings and bulletins from the
// store, and keeps the feature's tables through Repo.
type Service struct {
	St       store.Store
	Repo     *Repo
	Province string // GB/T 2260 code of the province, "430000"
	// RefYears is how many earlier years the projection may use; 0 is 3.
	RefYears int
	Now      func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	at     time.Time
	cities []targets.CityAir
}

// NewService builds a service over a store that has SQL.
func NewService(st store.Store, province string) (*Service, error) {
	sq, ok := st.(store.SQLer)
	if !ok {
		return nil, fmt.Errorf("targets: the store has no SQL handle")
	}
	return &Service{St: st, Repo: New(sq.SQL()), Province: province, RefYears: 3, Now: time.Now}, nil
}

// cacheTTL: the data change hourly and the serve part recomputes every 5
// minutes; a cold computation reads every city's years of hourly data.
const cacheTTL = 10 * time.Minute

// cities loads the cities' days in [from, to), cached for cacheTTL.
func (s *Service) cities(ctx context.Context, from, to time.Time) ([]targets.CityAir, error) {
	key := from.Format(time.DateOnly) + "/" + to.Format(time.DateOnly)
	now := s.Now()
	s.mu.Lock()
	if c, ok := s.cache[key]; ok && now.Sub(c.at) < cacheTTL && now.Sub(c.at) >= 0 {
		s.mu.Unlock()
		return c.cities, nil
	}
	s.mu.Unlock()
	cs, err := LoadCityAir(ctx, s.St, from, to)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.cache == nil || len(s.cache) >= 6 { // a few periods; each holds years of days
		s.cache = map[string]cached{}
	}
	s.cache[key] = cached{now, cs}
	s.mu.Unlock()
	return cs, nil
}

func day(t time.Time) time.Time {
	t = t.In(aqi.UTC8())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, aqi.UTC8())
}

// RegionProgress is the progress of one region's targets.
type RegionProgress struct {
	Region string             `json:"region"`
	Name   string             `json:"name"`
	Items  []targets.Progress `json:"items"`
	// Figures are a city's air figures, also those without a target of
	// their own (a city's heavy days are part of a province total).
	Figures []targets.Figure `json:"figures,omitempty"`
}

// ProgressReport is the whole picture for one year as of one day.
type ProgressReport struct {
	Year     int              `json:"year"`
	AsOf     string           `json:"as_of"`
	From     string           `json:"from"`
	To       string           `json:"to"`
	Final    bool             `json:"final"`
	Province RegionProgress   `json:"province"`
	Cities   []RegionProgress `json:"cities"`
	// Contributions are the cities' contributions to the province's air
	// figures, by indicator, those holding the province back first.
	Contributions map[string][]targets.Contribution `json:"contributions"`
	// HoldsBack names, per air indicator, the city that holds the
	// province back most (empty when none does).
	HoldsBack map[string]string `json:"holds_back"`
	// Simulated lists the cities whose air data are simulated (demo).
	Simulated []string `json:"simulated"`
}

// simulated lists the cities whose city-level point carries the
// simulated-data label.
func (s *Service) simulated(ctx context.Context) ([]string, error) {
	pts, err := s.St.Points(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, p := range pts {
		if strings.HasPrefix(p.Code, "city-") && strings.Contains(p.Name, cnemc.SimulatedLabel) {
			out = append(out, p.RegionCode)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Progress computes every target of the year as of asOf.
func (s *Service) Progress(ctx context.Context, year int, asOf time.Time) (ProgressReport, error) {
	refYears := s.RefYears
	if refYears <= 0 {
		refYears = 3
	}
	end := day(asOf)
	if last := time.Date(year, 12, 31, 0, 0, 0, 0, aqi.UTC8()); end.After(last) {
		end = last
	}
	if end.Year() < year {
		return ProgressReport{}, fmt.Errorf("%w: year %d has not begun on %s", store.ErrInvalid, year, end.Format(time.DateOnly))
	}
	cities, err := s.cities(ctx, time.Date(year-refYears, 1, 1, 0, 0, 0, 0, aqi.UTC8()), end.AddDate(0, 0, 1))
	if err != nil {
		return ProgressReport{}, err
	}
	// A past year whose data stop early (an import of half a year) is
	// assessed up to its last day with data, not treated as complete.
	if end.Equal(time.Date(year, 12, 31, 0, 0, 0, 0, aqi.UTC8())) {
		var last time.Time
		for _, c := range cities {
			for _, d := range c.Days {
				if dd := day(d.Date); dd.Year() == year && dd.After(last) {
					last = dd
				}
			}
		}
		if !last.IsZero() && last.Before(end) {
			end = last
		}
	}
	ar, err := targets.Air(cities, year, end, refYears)
	if err != nil {
		return ProgressReport{}, err
	}
	rep := ProgressReport{Year: year, AsOf: end.Format(time.DateOnly), From: ar.Period.From.Format(time.DateOnly), To: ar.Period.To.Format(time.DateOnly),
		Final: ar.Final, Contributions: map[string][]targets.Contribution{}, HoldsBack: map[string]string{}, Cities: []RegionProgress{}}
	all, err := s.St.Targets(ctx)
	if err != nil {
		return rep, err
	}
	byRegion := map[string]map[string]registry.Target{}
	var order []string // the province's indicators in seed order
	for _, t := range all {
		if t.Year != year {
			continue
		}
		if byRegion[t.RegionCode] == nil {
			byRegion[t.RegionCode] = map[string]registry.Target{}
		}
		byRegion[t.RegionCode][t.Indicator] = t
		if t.RegionCode == s.Province {
			order = append(order, t.Indicator)
		}
	}
	// Registry and water figures of the province.
	figs := map[string]targets.Figure{}
	for _, f := range ar.Figures(targets.Province) {
		f.Region = s.Province
		figs[f.Indicator] = f
	}
	for _, kind := range ItemKinds {
		items, err := s.Repo.Items(ctx, kind, year, "")
		if err != nil {
			return rep, err
		}
		if len(items) == 0 {
			continue
		}
		for _, f := range ItemFigures(kind, items, s.Province, ar.Final) {
			figs[f.Indicator] = f
		}
	}
	secs, err := LoadSections(ctx, s.St, ar.Period.From, end.AddDate(0, 0, 1))
	if err != nil {
		return rep, err
	}
	if f := SectionsFigure(secs, s.Province, ar.Period.From, ar.Final); f.Value != nil {
		figs[f.Indicator] = f
	}
	pname := s.Province
	if r, err := s.St.Region(ctx, s.Province); err == nil {
		pname = r.Name
	}
	sort.SliceStable(order, func(i, j int) bool { return targets.IndicatorOrder(order[i]) < targets.IndicatorOrder(order[j]) })
	rep.Province = RegionProgress{Region: s.Province, Name: pname, Items: []targets.Progress{}}
	for _, ind := range order {
		f, ok := figs[ind]
		if !ok {
			f = targets.Figure{Indicator: ind, Region: s.Province, Source: "no data or registry entries yet"}
		}
		rep.Province.Items = append(rep.Province.Items, targets.Evaluate(byRegion[s.Province][ind], f))
	}
	// Cities: their own targets where set, else the province's.
	for _, c := range ar.Cities {
		rp := RegionProgress{Region: c.Code, Name: c.Name, Items: []targets.Progress{}, Figures: []targets.Figure{c.PM25, c.Good, c.Heavy}}
		for _, f := range []targets.Figure{c.PM25, c.Good, c.Heavy} {
			t, ok := byRegion[c.Code][f.Indicator]
			if !ok {
				t, ok = byRegion[s.Province][f.Indicator]
				if !ok {
					continue
				}
				if f.Indicator == targets.HeavyDaysTotal {
					continue // a province-wide total has no city share
				}
				t.RegionCode = c.Code
				t.Source = "province target (no city target set)"
			}
			rp.Items = append(rp.Items, targets.Evaluate(t, f))
		}
		rep.Cities = append(rep.Cities, rp)
	}
	sortCities(rep.Cities)
	if rep.Simulated, err = s.simulated(ctx); err != nil {
		return rep, err
	}
	for _, ind := range []string{targets.PM25AnnualMean, targets.GoodDayRatio, targets.HeavyDaysTotal} {
		cs := ar.Contributions(ind)
		if cs == nil {
			cs = []targets.Contribution{}
		}
		rep.Contributions[ind] = cs
		if len(cs) > 0 && cs[0].HoldsBack {
			rep.HoldsBack[ind] = cs[0].Region
		}
	}
	return rep, nil
}

// DefaultYear is the year a progress view opens on: the latest year up to
// now's that has targets (the seeded plan is 2020's), else now's year.
func (s *Service) DefaultYear(ctx context.Context, now time.Time) (int, error) {
	all, err := s.St.Targets(ctx)
	if err != nil {
		return 0, err
	}
	cur := now.In(aqi.UTC8()).Year()
	best := 0
	for _, t := range all {
		if t.Year <= cur && t.Year > best {
			best = t.Year
		}
	}
	if best == 0 {
		best = cur
	}
	return best, nil
}

// Rankings ranks the cities over a period.
func (s *Service) Rankings(ctx context.Context, p targets.Period, by targets.RankBy) ([]targets.CityRow, error) {
	cities, err := s.cities(ctx, p.LastYear().From, p.To.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	rows, err := targets.Rows(cities, p)
	if err != nil {
		return nil, err
	}
	return targets.Rank(rows, by), nil
}

// WaterRanking is the water ranking of a period: cities by Class I–III
// share, sections by class.
type WaterRanking struct {
	Cities   []bulletin.WaterCity `json:"cities"`
	Sections []RankedSection      `json:"sections"`
}

// RankedSection is a section with its rank by class.
type RankedSection struct {
	Rank int `json:"rank"`
	bulletin.Section
}

// WaterRankings ranks the cities and sections over a period, each
// section on the mean of its samples in the period.
func (s *Service) WaterRankings(ctx context.Context, p targets.Period) (WaterRanking, error) {
	secs, err := LoadSections(ctx, s.St, p.From, p.To.AddDate(0, 0, 1))
	if err != nil {
		return WaterRanking{}, err
	}
	w := bulletin.WaterMonthly(secs, p.From, "")
	cities, err := Cities(ctx, s.St)
	if err != nil {
		return WaterRanking{}, err
	}
	names := map[string]string{}
	for _, c := range cities {
		names[c.Code] = c.Name
	}
	out := WaterRanking{Cities: bulletin.WaterCities(w, names), Sections: []RankedSection{}}
	ranked, ranks := bulletin.RankSections(w.Sections)
	for i, sec := range ranked {
		out.Sections = append(out.Sections, RankedSection{Rank: ranks[i], Section: sec})
	}
	return out, nil
}

// AirBulletin builds the month's air bulletin.
func (s *Service) AirBulletin(ctx context.Context, month time.Time) (bulletin.Air, error) {
	p := targets.Month(month.Year(), month.Month())
	cities, err := s.cities(ctx, p.LastYear().From, p.To.AddDate(0, 0, 1))
	if err != nil {
		return bulletin.Air{}, err
	}
	name := s.Province
	if r, err := s.St.Region(ctx, s.Province); err == nil {
		name = r.Name
	}
	b, err := bulletin.AirMonthly(cities, month, name)
	if err != nil {
		return b, err
	}
	sim, err := s.simulated(ctx)
	if err != nil {
		return b, err
	}
	if len(sim) > 0 {
		b.Notes = append(b.Notes, "SIMULATED demo data (模拟数据) for: "+strings.Join(sim, ", "))
	}
	return b, nil
}

// WaterReport builds the month's surface-water report.
func (s *Service) WaterReport(ctx context.Context, month time.Time) (bulletin.Water, error) {
	p := targets.Month(month.Year(), month.Month())
	secs, err := LoadSections(ctx, s.St, p.From, p.To.AddDate(0, 0, 1))
	if err != nil {
		return bulletin.Water{}, err
	}
	name := s.Province
	if r, err := s.St.Region(ctx, s.Province); err == nil {
		name = r.Name
	}
	return bulletin.WaterMonthly(secs, month, name), nil
}

// Generate builds and stores the month's air bulletin and water report.
func (s *Service) Generate(ctx context.Context, month time.Time, actor string) ([]Report, error) {
	var out []Report
	b, err := s.AirBulletin(ctx, month)
	if err != nil {
		return nil, err
	}
	r, err := s.Repo.SaveReport(ctx, bulletin.KindAirMonthly, b.Month, b, actor)
	if err != nil {
		return nil, err
	}
	out = append(out, r)
	w, err := s.WaterReport(ctx, month)
	if err != nil {
		return nil, err
	}
	if r, err = s.Repo.SaveReport(ctx, bulletin.KindWaterMonthly, w.Month, w, actor); err != nil {
		return nil, err
	}
	return append(out, r), nil
}

// StatusOf returns the status of one indicator in a region's progress.
func (rp RegionProgress) StatusOf(indicator string) targets.Status {
	for _, it := range rp.Items {
		if it.Target.Indicator == indicator {
			return it.Status
		}
	}
	return targets.NoData
}

// sortCities keeps the cities in code order.
func sortCities(rs []RegionProgress) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Region < rs[j].Region })
}
