package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"ecowatch/assess"
	"ecowatch/assess/air"
	"ecowatch/assess/aqi"
	"ecowatch/assess/water"
)

// assessCommand runs the standards engine on CSV from stdin:
//
//	ecowatch assess rules                        the versioned rule sets
//	ecowatch assess aqi [--rules R] [--daily]    release CSV → the same rows with computed AQI columns
//	ecowatch assess city-year [flags]            hourly rows → each city's year
//	ecowatch assess water [flags]                section rows → classes and ratios
func assessCommand() command {
	return command{
		Name:    "assess",
		Summary: "compute AQI, air assessment and water classes (standards engine; CSV on stdin)",
		Run:     runAssess,
	}
}

const assessUsage = `usage: ecowatch assess rules [--json]
       ecowatch assess aqi [--rules NAME] [--daily] [--json] < release.csv
       ecowatch assess city-year [--rules NAME] [--limits NAME] [--grade 1|2]
                                 [--stations FILE] [--dust FILE] [--partial] [--json] < hourly.csv
       ecowatch assess water [--body river|lake] [--target III] [--group COLUMN] [--json] < sections.csv

rules      lists the rule sets: name, what it implements, the dates it is the default for.
aqi        reads rows in the national release layout (date,hour,city,AQI,PM2.5,PM2.5_24h,
           PM10,PM10_24h,SO2,SO2_24h,NO2,NO2_24h,O3,O3_24h,O3_8h,O3_8h_24h,CO,CO_24h) and
           writes them unchanged with computed_aqi, primary_pollutant, level, category,
           rules, iaqi_<pollutant> and note columns. Without --rules each row uses the
           rule set in force on its date (HJ633-2012 before 2026-03-01, then HJ633-2026);
           --rules CNEMC-release-2012 reproduces what the national release published.
           --daily reads the *_24h columns as a daily report.
city-year  reads hourly rows (the release layout, one city per 'city' value; or station
           rows with a station_code column and --stations hunan-stations.csv, whose
           background stations are left out) and prints, per city and calendar year, the
           HJ 663 statistics, attainment, good-day ratio, heavy days and comprehensive index.
           --dust FILE (columns city,date) adds the dust-deducted statistics.
water      reads section rows (one column per item: 水温, pH, 溶解氧, 高锰酸盐指数, 氨氮,
           总磷, …) and prints each row's class, status and main pollutants, then the
           set's ratios; --group averages the rows of each value of COLUMN first (the
           period or annual evaluation).
`

func runAssess(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.Stderr, assessUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	fs := flag.NewFlagSet("assess "+sub, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	jsonOut := fs.Bool("json", false, "write JSON instead of CSV")
	var rules, limits, stations, dust, body, target, group *string
	var daily, partial *bool
	var grade *int
	switch sub {
	case "rules":
	case "aqi":
		rules = fs.String("rules", "", "AQI rule set name (default: by each row's date)")
		daily = fs.Bool("daily", false, "rows are daily reports: use the *_24h columns")
	case "city-year":
		rules = fs.String("rules", "", "AQI rule set for the daily AQI (default: by each day's date)")
		limits = fs.String("limits", "", "GB 3095 limit set (default: in force on the period's last day)")
		grade = fs.Int("grade", 2, "limit grade: 1 or 2")
		stations = fs.String("stations", "", "station list CSV (station_code,…,city_name,…,background)")
		dust = fs.String("dust", "", "dust-affected city days CSV (city,date)")
		partial = fs.Bool("partial", false, "the period is not a whole year: skip the annual validity check")
	case "water":
		body = fs.String("body", "river", "water body: river or lake (chooses the TP column)")
		target = fs.String("target", "III", "class main pollutants are judged against")
		group = fs.String("group", "", "average the rows of each value of this column before classifying")
	default:
		fmt.Fprintf(e.Stderr, "assess: unknown subcommand %q\n\n%s", sub, assessUsage)
		return errUsage
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "assess %s: unexpected argument %q\n", sub, fs.Arg(0))
		return errUsage
	}
	switch sub {
	case "rules":
		return assessRules(e, *jsonOut)
	case "aqi":
		return assessAQI(ctx, e, *rules, *daily, *jsonOut)
	case "city-year":
		return assessCityYear(ctx, e, cityYearOptions{*rules, *limits, *grade, *stations, *dust, *partial, *jsonOut})
	default:
		return assessWater(ctx, e, *body, *target, *group, *jsonOut)
	}
}

func assessRules(e env, jsonOut bool) error {
	rs := assess.RuleSets()
	if jsonOut {
		type row struct {
			Kind, Name, Title, Defaults string
		}
		out := make([]row, len(rs))
		for i, r := range rs {
			out[i] = row{r.Kind, r.Name, r.Title, r.Defaults()}
		}
		return writeJSON(e.Stdout, out)
	}
	w := csv.NewWriter(e.Stdout)
	_ = w.Write([]string{"kind", "name", "defaults", "title"})
	for _, r := range rs {
		_ = w.Write([]string{r.Kind, r.Name, r.Defaults(), r.Title})
	}
	w.Flush()
	return w.Error()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// newCSVReader reads any number of fields per row (the row check is the
// layouts' job, so a short row gets a note instead of stopping the run).
func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	return cr
}

// rowDate reads the release's date column (20191201, or 2019-12-01).
func rowDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"20060102", time.DateOnly, "2006/1/2"} {
		if t, err := time.ParseInLocation(layout, s, aqi.UTC8()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q is not YYYYMMDD or YYYY-MM-DD", s)
}

func columnIndex(header []string, names ...string) int {
	for k, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		for _, n := range names {
			if strings.EqualFold(h, n) {
				return k
			}
		}
	}
	return -1
}

var iaqiColumns = func() []string {
	var out []string
	for _, p := range aqi.Pollutants {
		out = append(out, "iaqi_"+p.String())
	}
	return out
}()

func assessAQI(ctx context.Context, e env, rulesName string, daily, jsonOut bool) error {
	var fixed *aqi.Rules
	if rulesName != "" {
		r, err := aqi.ByName(rulesName)
		if err != nil {
			return err
		}
		fixed = r
	}
	rep := aqi.Hourly
	if daily {
		rep = aqi.Daily
	}
	cr := newCSVReader(e.Stdin)
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	layout, err := aqi.NewLayout(header, rep)
	if err != nil {
		return err
	}
	dateCol := columnIndex(header, "date")
	if fixed == nil && dateCol < 0 {
		return errors.New("no date column to choose the rule set by: give --rules")
	}
	outHeader := append(slices.Clone(header), "computed_aqi", "primary_pollutant", "level", "category", "rules")
	outHeader = append(outHeader, iaqiColumns...)
	outHeader = append(outHeader, "note")
	w := csv.NewWriter(e.Stdout)
	var objs []map[string]string
	if !jsonOut {
		if err := w.Write(outHeader); err != nil {
			return err
		}
	}
	for line := 2; ; line++ {
		rec, err := nextRecord(ctx, cr, line)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		out := aqiRow(layout, header, rec, fixed, dateCol, rep)
		if jsonOut {
			obj := make(map[string]string, len(outHeader))
			for k, h := range outHeader {
				if k < len(out) {
					obj[h] = out[k]
				}
			}
			objs = append(objs, obj)
			continue
		}
		if err := w.Write(out); err != nil {
			return err
		}
	}
	if jsonOut {
		if objs == nil {
			objs = []map[string]string{}
		}
		return writeJSON(e.Stdout, objs)
	}
	w.Flush()
	return w.Error()
}

// aqiRow computes one output row: the input fields (padded to the header
// so the added columns line up) and the computed ones.
func aqiRow(layout *aqi.Layout, header, rec []string, fixed *aqi.Rules, dateCol int, rep aqi.Report) []string {
	in := slices.Clone(rec)
	for len(in) < len(header) {
		in = append(in, "")
	}
	in = in[:len(header)]
	extra := make([]string, 5+len(iaqiColumns)+1)
	note := func(s string) []string {
		extra[len(extra)-1] = s
		return append(in, extra...)
	}
	if len(rec) != len(header) {
		return note(fmt.Sprintf("row has %d fields, header has %d", len(rec), len(header)))
	}
	rules := fixed
	if rules == nil {
		d, err := rowDate(rec[dateCol])
		if err != nil {
			return note(err.Error() + ": rule set unknown")
		}
		rules = aqi.Default(d)
	}
	c, perr := layout.Row(header, rec)
	res := rules.Compute(rep, c)
	var notes []string
	if perr != nil {
		notes = append(notes, perr.Error())
	}
	notes = append(notes, res.Notes...)
	if len(res.Missing) > 0 {
		notes = append(notes, fmt.Sprintf("missing %v", res.Missing))
	}
	extra[4] = res.Rules
	if res.Available {
		extra[0] = strconv.Itoa(res.AQI)
		var ps []string
		for _, p := range res.Primary {
			ps = append(ps, p.String())
		}
		extra[1] = strings.Join(ps, ";")
		extra[2] = res.Level.Name
		extra[3] = res.Level.Category
	} else {
		extra[0] = "NA"
	}
	for k, p := range aqi.Pollutants {
		if v, ok := res.IAQIOf(p); ok {
			extra[5+k] = strconv.Itoa(v)
		}
	}
	return note(strings.Join(notes, "; "))
}

type cityYearOptions struct {
	rules, limits string
	grade         int
	stations      string
	dust          string
	partial       bool
	jsonOut       bool
}

type stationInfo struct {
	city       string
	background bool
}

// readStations reads the station list (hunan-stations.csv layout):
// station_code, city_name and background (Y/N) columns.
func readStations(r io.Reader) (map[string]stationInfo, error) {
	cr := newCSVReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("stations: %w", err)
	}
	code, city, bg := columnIndex(header, "station_code"), columnIndex(header, "city_name", "city"), columnIndex(header, "background")
	if code < 0 || city < 0 || bg < 0 {
		return nil, errors.New("stations: need station_code, city_name and background columns")
	}
	out := map[string]stationInfo{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("stations line %d: %w", line, err)
		}
		if len(rec) <= max(code, city, bg) {
			return nil, fmt.Errorf("stations line %d: too few fields", line)
		}
		var b bool
		switch strings.ToUpper(strings.TrimSpace(rec[bg])) {
		case "Y", "YES", "TRUE", "1", "是":
			b = true
		case "N", "NO", "FALSE", "0", "否", "":
		default:
			return nil, fmt.Errorf("stations line %d: background %q is not Y or N", line, rec[bg])
		}
		out[strings.TrimSpace(rec[code])] = stationInfo{strings.TrimSpace(rec[city]), b}
	}
}

// readDust reads dust-affected city days: city and date columns.
func readDust(r io.Reader) (map[string]bool, error) {
	cr := newCSVReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("dust: %w", err)
	}
	city, date := columnIndex(header, "city", "city_name"), columnIndex(header, "date")
	if city < 0 || date < 0 {
		return nil, errors.New("dust: need city and date columns")
	}
	out := map[string]bool{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil || len(rec) <= max(city, date) {
			return nil, fmt.Errorf("dust line %d: bad row", line)
		}
		d, err := rowDate(rec[date])
		if err != nil {
			return nil, fmt.Errorf("dust line %d: %w", line, err)
		}
		out[strings.TrimSpace(rec[city])+"|"+d.Format(time.DateOnly)] = true
	}
}

// cityYearRow is one output row of city-year.
type cityYearRow struct {
	City         string            `json:"city"`
	Year         int               `json:"year"`
	Variant      string            `json:"variant"`
	From         string            `json:"from"`
	To           string            `json:"to"`
	Days         int               `json:"days"`
	Rules        string            `json:"rules"`
	Limits       string            `json:"limits"`
	Grade        int               `json:"grade"`
	ValidDays    int               `json:"valid_days"`
	GoodDays     int               `json:"good_days"`
	GoodRatio    string            `json:"good_ratio"`
	HeavyDays    int               `json:"heavy_days"`
	Stats        map[string]string `json:"stats"`
	AnnualValid  bool              `json:"annual_valid"`
	Attains      bool              `json:"attains"`
	NotAttaining []string          `json:"not_attaining"`
	Index        string            `json:"index"`
	IndexPrimary []string          `json:"index_primary"`
	Notes        []string          `json:"notes"`
}

var statColumns = []string{"SO2_mean", "SO2_P98", "NO2_mean", "NO2_P98", "PM10_mean", "PM10_P95", "PM2.5_mean", "PM2.5_P95", "CO_P95", "O3_P90"}

func assessCityYear(ctx context.Context, e env, o cityYearOptions) error {
	var opt air.Options
	if o.rules != "" {
		r, err := aqi.ByName(o.rules)
		if err != nil {
			return err
		}
		opt.AQI = r
	}
	if o.limits != "" {
		l, err := air.LimitsByName(o.limits)
		if err != nil {
			return err
		}
		opt.Limits = l
	}
	if o.grade != 1 && o.grade != 2 {
		return fmt.Errorf("--grade %d: want 1 or 2", o.grade)
	}
	opt.Grade, opt.Annual = o.grade, !o.partial
	var stations map[string]stationInfo
	var dust map[string]bool
	if o.stations != "" {
		if err := readFile(o.stations, func(r io.Reader) (err error) { stations, err = readStations(r); return }); err != nil {
			return err
		}
	}
	if o.dust != "" {
		if err := readFile(o.dust, func(r io.Reader) (err error) { dust, err = readDust(r); return }); err != nil {
			return err
		}
	}

	cr := newCSVReader(e.Stdin)
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	dateCol, hourCol := columnIndex(header, "date"), columnIndex(header, "hour")
	cityCol, stCol := columnIndex(header, "city", "city_name"), columnIndex(header, "station_code", "station")
	if dateCol < 0 || hourCol < 0 {
		return errors.New("need date and hour columns")
	}
	if stCol >= 0 && stations == nil {
		return errors.New("station rows need --stations to find each station's city and background flag")
	}
	if stCol < 0 && cityCol < 0 {
		return errors.New("need a city column (city rows) or a station_code column (station rows)")
	}
	var polCols [6]int
	for _, p := range aqi.Pollutants {
		polCols[p] = columnIndex(header, p.String())
		if polCols[p] < 0 {
			return fmt.Errorf("no %s column (1-hour values)", p)
		}
	}
	// city → year → station → day → hours
	type key struct {
		city string
		year int
	}
	data := map[key]map[string]map[string]*air.Hours{}
	warned := 0
	warn := func(format string, a ...any) {
		if warned < 10 {
			fmt.Fprintf(e.Stderr, "assess city-year: "+format+"\n", a...)
		}
		warned++
	}
	for line := 2; ; line++ {
		rec, err := nextRecord(ctx, cr, line)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if len(rec) != len(header) {
			warn("line %d: %d fields, header has %d: skipped", line, len(rec), len(header))
			continue
		}
		d, err := rowDate(rec[dateCol])
		if err != nil {
			warn("line %d: %v: skipped", line, err)
			continue
		}
		h, err := strconv.Atoi(strings.TrimSpace(rec[hourCol]))
		if err != nil || h < 0 || h > 23 {
			warn("line %d: hour %q is not 0..23: skipped", line, rec[hourCol])
			continue
		}
		var city, st string
		if stCol >= 0 {
			st = strings.TrimSpace(rec[stCol])
			info, ok := stations[st]
			if !ok {
				warn("line %d: station %q is not in the station list: skipped", line, st)
				continue
			}
			city = info.city
		} else {
			city = strings.TrimSpace(rec[cityCol])
			st = city
		}
		k := key{city, d.Year()}
		if data[k] == nil {
			data[k] = map[string]map[string]*air.Hours{}
		}
		if data[k][st] == nil {
			data[k][st] = map[string]*air.Hours{}
		}
		day := d.Format(time.DateOnly)
		hours := data[k][st][day]
		if hours == nil {
			hours = new(air.Hours)
			for p := range hours {
				for i := range hours[p] {
					hours[p][i] = air.Missing
				}
			}
			data[k][st][day] = hours
		}
		for _, p := range aqi.Pollutants {
			v, err := air.ParseValue(p, strings.TrimSpace(rec[polCols[p]]))
			if err != nil {
				warn("line %d: %s: %v: taken as missing", line, p, err)
				v = air.Missing
			}
			hours[p][h] = v
		}
	}
	if warned > 10 {
		fmt.Fprintf(e.Stderr, "assess city-year: %d more warnings\n", warned-10)
	}
	keys := make([]key, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].city != keys[j].city {
			return keys[i].city < keys[j].city
		}
		return keys[i].year < keys[j].year
	})
	var rows []cityYearRow
	for _, k := range keys {
		byStation := data[k]
		daySet := map[string]bool{}
		for _, days := range byStation {
			for d := range days {
				daySet[d] = true
			}
		}
		dayKeys := make([]string, 0, len(daySet))
		for d := range daySet {
			dayKeys = append(dayKeys, d)
		}
		sort.Strings(dayKeys)
		stCodes := make([]string, 0, len(byStation))
		for s := range byStation {
			stCodes = append(stCodes, s)
		}
		sort.Strings(stCodes)
		var cds []air.CityDay
		for _, dk := range dayKeys {
			date, _ := time.ParseInLocation(time.DateOnly, dk, aqi.UTC8())
			var sd []air.StationDaily
			for _, s := range stCodes {
				h := byStation[s][dk]
				if h == nil {
					continue
				}
				sd = append(sd, air.StationDaily{Code: s, Background: stations[s].background, Daily: air.StationDay(h, air.DefaultMDA8Limit)})
			}
			cd, err := air.CityOf(date, sd)
			if err != nil {
				return fmt.Errorf("%s %s: %w", k.city, dk, err)
			}
			cd.Dust = dust[k.city+"|"+dk]
			cds = append(cds, cd)
		}
		variants := []bool{false}
		if dust != nil {
			variants = append(variants, true)
		}
		for _, deduct := range variants {
			opt.DeductDust = deduct
			s, err := air.Summarise(cds, opt)
			if err != nil {
				return fmt.Errorf("%s %d: %w", k.city, k.year, err)
			}
			rows = append(rows, cityYearOf(k.city, k.year, deduct, s))
		}
	}
	if o.jsonOut {
		if rows == nil {
			rows = []cityYearRow{}
		}
		return writeJSON(e.Stdout, rows)
	}
	w := csv.NewWriter(e.Stdout)
	head := []string{"city", "year", "variant", "from", "to", "days", "rules", "limits", "grade", "valid_days", "good_days", "good_ratio", "heavy_days"}
	head = append(head, statColumns...)
	head = append(head, "annual_valid", "attains", "not_attaining", "index", "index_primary", "notes")
	_ = w.Write(head)
	for _, r := range rows {
		rec := []string{r.City, strconv.Itoa(r.Year), r.Variant, r.From, r.To, strconv.Itoa(r.Days), r.Rules, r.Limits, strconv.Itoa(r.Grade),
			strconv.Itoa(r.ValidDays), strconv.Itoa(r.GoodDays), r.GoodRatio, strconv.Itoa(r.HeavyDays)}
		for _, c := range statColumns {
			rec = append(rec, r.Stats[c])
		}
		rec = append(rec, strconv.FormatBool(r.AnnualValid), strconv.FormatBool(r.Attains), strings.Join(r.NotAttaining, ";"),
			r.Index, strings.Join(r.IndexPrimary, ";"), strings.Join(r.Notes, "; "))
		_ = w.Write(rec)
	}
	w.Flush()
	return w.Error()
}

func cityYearOf(city string, year int, deduct bool, s air.Summary) cityYearRow {
	r := cityYearRow{
		City: city, Year: year, Variant: "actual",
		From: s.From.In(aqi.UTC8()).Format(time.DateOnly), To: s.To.In(aqi.UTC8()).Format(time.DateOnly),
		Days: s.Days, Rules: s.Rules, Limits: s.Limits, Grade: s.Grade,
		ValidDays: s.ValidDays, GoodDays: s.GoodDays, GoodRatio: s.GoodRatio.String(), HeavyDays: s.HeavyDays,
		Stats: map[string]string{}, AnnualValid: true, Attains: s.Attains,
		Index: s.Index.String(), NotAttaining: []string{}, IndexPrimary: []string{}, Notes: append([]string{}, s.Notes...),
	}
	if deduct {
		r.Variant = "dust-deducted"
	}
	if s.ValidDays == 0 {
		r.GoodRatio = ""
	}
	for _, p := range aqi.Pollutants {
		ps := s.Pollutants[p]
		if ps.ValidDays > 0 {
			if p != aqi.CO && p != aqi.O3 {
				r.Stats[p.String()+"_mean"] = ps.Mean.String()
			}
			r.Stats[fmt.Sprintf("%s_P%d", p, ps.P)] = ps.PValue.String()
		}
		if !ps.AnnualValid {
			r.AnnualValid = false
		}
		if !ps.Attains {
			r.NotAttaining = append(r.NotAttaining, p.String())
		}
	}
	// The same note for several pollutants (typically the annual validity)
	// is printed once, naming them all.
	var order []string
	who := map[string][]string{}
	for _, p := range aqi.Pollutants {
		for _, n := range s.Pollutants[p].Notes {
			if who[n] == nil {
				order = append(order, n)
			}
			who[n] = append(who[n], p.String())
		}
	}
	for _, n := range order {
		r.Notes = append(r.Notes, strings.Join(who[n], ",")+": "+n)
	}
	for _, p := range s.IndexPrimary {
		r.IndexPrimary = append(r.IndexPrimary, p.String())
	}
	return r
}

// waterRow is one output row of water.
type waterRow struct {
	Section        string            `json:"section"`
	Samples        int               `json:"samples"`
	Class          string            `json:"class"`
	Status         string            `json:"status"`
	MainPollutants []string          `json:"main_pollutants"`
	ItemClasses    map[string]string `json:"item_classes"`
	Note           string            `json:"note,omitempty"`
}

func assessWater(ctx context.Context, e env, bodyName, targetName, group string, jsonOut bool) error {
	var body water.Body
	switch strings.ToLower(bodyName) {
	case "river":
		body = water.River
	case "lake", "reservoir":
		body = water.Lake
	default:
		return fmt.Errorf("--body %q: want river or lake", bodyName)
	}
	target := water.Class(0)
	for c := water.ClassI; c <= water.ClassV; c++ {
		if strings.EqualFold(targetName, c.String()) {
			target = c
		}
	}
	if target == 0 {
		return fmt.Errorf("--target %q: want I, II, III, IV or V", targetName)
	}
	cr := newCSVReader(e.Stdin)
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("reading the header: %w", err)
	}
	layout, err := water.NewLayout(header)
	if err != nil {
		return err
	}
	idCol := -1
	if group != "" {
		if idCol = columnIndex(header, group); idCol < 0 {
			return fmt.Errorf("--group: no column %q", group)
		}
	} else {
		for k, h := range header {
			if _, err := water.ParseItem(strings.SplitN(strings.SplitN(h, "(", 2)[0], "（", 2)[0]); err != nil {
				idCol = k
				break
			}
		}
	}
	type section struct {
		id      string
		samples []water.Sample
		notes   []string
	}
	var secs []*section
	byID := map[string]*section{}
	for line := 2; ; line++ {
		rec, err := nextRecord(ctx, cr, line)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		id := "line " + strconv.Itoa(line)
		if idCol >= 0 && idCol < len(rec) {
			id = rec[idCol]
		}
		s, perr := layout.Row(header, rec)
		sec := byID[id]
		if group == "" || sec == nil {
			sec = &section{id: id}
			secs = append(secs, sec)
			if group != "" {
				byID[id] = sec
			}
		}
		sec.samples = append(sec.samples, s)
		if perr != nil {
			sec.notes = append(sec.notes, fmt.Sprintf("line %d: %v", line, perr))
		}
	}
	var rows []waterRow
	var classes []water.Class
	for _, sec := range secs {
		m := water.Mean(sec.samples)
		ev := water.EvaluateAgainst(&m, body, target)
		row := waterRow{Section: sec.id, Samples: len(sec.samples), Class: ev.Class.String(), Status: ev.Status,
			MainPollutants: []string{}, ItemClasses: map[string]string{}}
		for _, x := range ev.MainPollutants {
			s := x.Item.String()
			if x.HasMultiple {
				s += "(" + x.Multiple.String() + ")"
			}
			row.MainPollutants = append(row.MainPollutants, s)
		}
		for _, it := range ev.Items {
			if it.Class != 0 {
				row.ItemClasses[it.Item.String()] = it.Class.String()
			}
		}
		notes := append(sec.notes, ev.Notes...)
		if ev.Class == 0 {
			notes = append(notes, "no counted item: not classified")
		}
		row.Note = strings.Join(notes, "; ")
		rows = append(rows, row)
		classes = append(classes, ev.Class)
	}
	ratios := water.Ratios(classes)
	status, _, serr := water.RiverStatus(classes)
	if serr != nil {
		// Fewer than 5 sections: the 2011 method's mean rule.
		var all []water.Sample
		for _, sec := range secs {
			all = append(all, water.Mean(sec.samples))
		}
		status = water.RiverStatusByMean(all, body).Status
	}
	if jsonOut {
		if rows == nil {
			rows = []waterRow{}
		}
		return writeJSON(e.Stdout, map[string]any{
			"sections": rows,
			"ratios": map[string]any{"sections": ratios.Sections, "good_I_III": ratios.Good.String(),
				"worse_than_V": ratios.WorseV.String(), "status": status},
		})
	}
	var itemCols []string
	for _, h := range header {
		name := strings.SplitN(strings.SplitN(h, "(", 2)[0], "（", 2)[0]
		if it, err := water.ParseItem(name); err == nil && it.Counted() || err == nil && (it == water.TN || it == water.FecalColiform) {
			itemCols = append(itemCols, it.String())
		}
	}
	w := csv.NewWriter(e.Stdout)
	head := []string{"section", "samples", "class", "status", "main_pollutants"}
	for _, c := range itemCols {
		head = append(head, "class_"+c)
	}
	_ = w.Write(append(head, "note"))
	for _, r := range rows {
		rec := []string{r.Section, strconv.Itoa(r.Samples), r.Class, r.Status, strings.Join(r.MainPollutants, ";")}
		for _, c := range itemCols {
			rec = append(rec, r.ItemClasses[c])
		}
		_ = w.Write(append(rec, r.Note))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.Stdout, "# sections %d, I-III %s%%, worse than V %s%%, status %s\n", ratios.Sections, ratios.Good, ratios.WorseV, status)
	return err
}

// readFile opens a named input file and passes it to read.
func readFile(name string, read func(io.Reader) error) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return read(f)
}

// nextRecord reads the CSV record on the given line, returning io.EOF
// itself at the end, ctx's error once it is done, and any other error with
// its line number.
func nextRecord(ctx context.Context, cr *csv.Reader, line int) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("line %d: %w", line, err)
	}
	return rec, nil
}
