package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"ecowatch/assess/water"
	"ecowatch/httpapi"
	"ecowatch/seed"
	"ecowatch/store"
	"ecowatch/targets/bulletin"
	"ecowatch/targets/cnemc"
	"ecowatch/targets/repo"
	"ecowatch/targets/surfacewater"
)

// The targets feature's commands (issue 8):
//
//	ecowatch import cnemc FILE…        the national air release's CSV layouts
//	ecowatch import water FILE…        the surface-water automatic stations' table
//	ecowatch import items --kind K FILE  an indicator registry (farmland, sites, …)
//	ecowatch report air-monthly --month 2020-01 [--json]
//	ecowatch report water-monthly --month 2020-11 [--json]
func init() {
	registerCommand(targetsImportCommand)
	registerCommand(targetsReportCommand)
	addServePart(servePart{name: "targets", start: targetsStart})
}

const targetsImportUsage = `import cnemc [--restart] [--simulate-others] [--data-dir DIR | --postgres URL] FILE...
       ecowatch import water [--province 湖南] [--region 430000] [--body river|lake] [--year Y] [--dry-run] [--json] [store flags] FILE...
       ecowatch import items --kind farmland|contaminated_site|black_odorous|drinking_source|emission_quota [store flags] FILE

cnemc   reads the national air-quality release (city layout date,hour,city,…; station wide
        layout date,hour,type,<station>…; long layout timepoint,stationcode,…) and stores the
        hourly values. Idempotent; an interrupted file resumes after its last stored batch
        (--restart reads it from the top). Progress and the summary go to stderr.
water   reads the automatic surface-water stations' table (省份,流域,断面名称,监测时间,水质类别,…),
        classifies each row by GB 3838-2002, reports where the published 水质类别 differs,
        and stores the province's values.
items   imports an indicator registry CSV (code,name,region_code,year and the kind's columns).`

func targetsImportCommand() command {
	return command{
		Name:    "import",
		Summary: "import monitoring data: national air release (cnemc), surface-water stations (water), indicator registries (items)",
		Run:     targetsRunImport,
	}
}

func targetsRunImport(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "cnemc" && args[0] != "water" && args[0] != "items") {
		fmt.Fprintf(e.Stderr, "usage: ecowatch %s\n", targetsImportUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	sub := args[0]
	fs := newFlagSet(e, "import "+sub, targetsImportUsage)
	restart := fs.Bool("restart", false, "cnemc: ignore the checkpoint and read the files from the top")
	simulate := fs.Bool("simulate-others", false, "cnemc, demo only: also derive the other 13 cities' data from each city-layout file, stored on points labelled "+cnemc.SimulatedLabel)
	province := fs.String("province", "湖南", "water: store the rows whose 省份 contains this")
	region := fs.String("region", seed.Province, "water: region code of the sections created")
	body := fs.String("body", "river", "water: river or lake (the TP limits)")
	year := fs.Int("year", 0, "water: year of 监测时间 values written without one")
	dry := fs.Bool("dry-run", false, "water: classify and compare only, store nothing")
	jsonOut := fs.Bool("json", false, "write the summary as JSON on stdout")
	kind := fs.String("kind", "", "items: the registry kind")
	sf, err := parseStoreCommand(e, fs, args[1:])
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError(fs, errors.New("no file given"))
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var sqlh *store.SQL
	if s, ok := st.(store.SQLer); ok {
		h := s.SQL()
		sqlh = &h
	}
	actor := "cli:" + e.Getenv("USER")
	var sums []any
	for _, file := range fs.Args() {
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		name := filepath.Base(file)
		switch sub {
		case "cnemc":
			sum, err := cnemc.Import(ctx, st, name, data, cnemc.Options{SQL: sqlh, Restart: *restart, Progress: e.Stderr, Actor: actor})
			fmt.Fprintln(e.Stderr, sum)
			if err != nil {
				return err
			}
			sums = append(sums, sum)
			if *simulate {
				sim, err := cnemc.SimulateOthers(data)
				if err != nil {
					return err
				}
				sum, err := cnemc.Import(ctx, st, "simulated-from-"+name, sim, cnemc.Options{SQL: sqlh, Restart: *restart, Actor: actor, Simulated: true})
				fmt.Fprintln(e.Stderr, "SIMULATED (demo):", sum)
				if err != nil {
					return err
				}
				sums = append(sums, sum)
			}
		case "water":
			b := water.River
			switch *body {
			case "river":
			case "lake":
				b = water.Lake
			default:
				return usageError(fs, fmt.Errorf("--body %q: want river or lake", *body))
			}
			sum, err := surfacewater.Import(ctx, st, name, data, surfacewater.Options{Province: *province, RegionCode: *region, Body: b,
				Year: *year, DryRun: *dry, SQL: sqlh, Actor: actor})
			fmt.Fprintln(e.Stderr, sum)
			if err != nil {
				return err
			}
			sums = append(sums, sum)
		case "items":
			if sqlh == nil {
				return errors.New("the store has no SQL handle")
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			items, err := repo.ReadItems(*kind, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := repo.New(*sqlh).PutItems(ctx, items, actor, "", name); err != nil {
				return err
			}
			fmt.Fprintf(e.Stderr, "%s: %d %s items imported\n", name, len(items), *kind)
			sums = append(sums, map[string]any{"file": name, "kind": *kind, "items": len(items)})
		}
	}
	if *jsonOut {
		return writeJSON(e.Stdout, sums)
	}
	return nil
}

const targetsReportUsage = `report air-monthly|water-monthly --month YYYY-MM [--json] [--save] [--data-dir DIR | --postgres URL]

Prints the month's air-quality bulletin of the cities (rank, six pollutants, comprehensive
index, its change on the same month last year, good-day ratio, heavy days, primary pollutant;
the province's line last) or the surface-water report, as CSV or JSON. --save also stores it
in the reports list.`

func targetsReportCommand() command {
	return command{
		Name:    "report",
		Summary: "print the monthly air-quality bulletin or surface-water report (CSV or JSON)",
		Run:     targetsRunReport,
	}
}

func targetsRunReport(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != bulletin.KindAirMonthly && args[0] != bulletin.KindWaterMonthly) {
		fmt.Fprintf(e.Stderr, "usage: ecowatch %s\n", targetsReportUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	kind := args[0]
	fs := newFlagSet(e, "report "+kind, targetsReportUsage)
	monthS := fs.String("month", "", "the month, YYYY-MM")
	jsonOut := fs.Bool("json", false, "write JSON instead of CSV")
	save := fs.Bool("save", false, "also store the report in the reports list")
	sf, err := parseStoreCommand(e, fs, args[1:])
	if err != nil {
		return err
	}
	month, err := bulletin.ParseMonth(*monthS)
	if err != nil {
		return usageError(fs, err)
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := repo.NewService(st, seed.Province)
	if err != nil {
		return err
	}
	var body any
	w := csv.NewWriter(e.Stdout)
	if kind == bulletin.KindAirMonthly {
		b, err := svc.AirBulletin(ctx, month)
		if err != nil {
			return err
		}
		body = b
		if !*jsonOut {
			_ = w.Write(append([]string{"region"}, bulletin.AirHeader...))
			for _, r := range append(b.Rows, b.Province) {
				_ = w.Write(append([]string{r.Region}, bulletin.AirRecord(r)...))
			}
		}
	} else {
		r, err := svc.WaterReport(ctx, month)
		if err != nil {
			return err
		}
		body = r
		if !*jsonOut {
			_ = w.Write(bulletin.WaterHeader)
			for _, s := range r.Sections {
				_ = w.Write(bulletin.WaterRecord(s))
			}
		}
	}
	if *save {
		if _, err := svc.Repo.SaveReport(ctx, kind, month.Format("2006-01"), body, "cli:"+e.Getenv("USER")); err != nil {
			return err
		}
	}
	if *jsonOut {
		return writeJSON(e.Stdout, body)
	}
	w.Flush()
	return w.Error()
}

// targetsStart builds the targets service for the API and starts the
// report scheduler.
func targetsStart(ctx context.Context, m *Main, api *httpapi.Config) error {
	svc, err := repo.NewService(m.Store, seed.Province)
	if err != nil {
		return err
	}
	api.Targets = svc
	sch := &targetsScheduler{svc: svc, now: time.Now, log: func(msg string, args ...any) { m.Logger.Info(msg, args...) }}
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		sch.run(ctx, 5*time.Minute)
	}()
	return nil
}

// targetsScheduler keeps the progress cache warm and generates the
// previous month's bulletin and water report once the month is over (from the 2nd day, 08:00 Beijing time,
// when the month's data have been checked), unless it is already in the
// reports list.
type targetsScheduler struct {
	svc *repo.Service
	now func() time.Time
	log func(msg string, args ...any)
}

// due returns the month whose reports are due at now.
func (s *targetsScheduler) due(now time.Time) (time.Time, bool) {
	t := now.In(store.CST)
	if t.Day() == 1 || (t.Day() == 2 && t.Hour() < 8) {
		return time.Time{}, false
	}
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, store.CST)
	return first.AddDate(0, -1, 0), true
}

// once generates what is due and not yet generated; it reports whether
// it generated anything.
func (s *targetsScheduler) once(ctx context.Context) (bool, error) {
	month, ok := s.due(s.now())
	if !ok {
		return false, nil
	}
	list, _, err := s.svc.Repo.Reports(ctx, bulletin.KindAirMonthly, 1, 0)
	if err != nil {
		return false, err
	}
	period := month.Format("2006-01")
	if len(list) > 0 && list[0].Period >= period {
		return false, nil
	}
	if _, err := s.svc.Generate(ctx, month, "scheduler"); err != nil {
		return false, err
	}
	s.log("targets: monthly reports generated", "month", period)
	return true, nil
}

// warm computes the current progress, so the command centre's gauges
// are served from the service's cache (a cold computation reads every
// city's years of hourly data: ~2 s on the demo data).
func (s *targetsScheduler) warm(ctx context.Context) error {
	y, err := s.svc.DefaultYear(ctx, s.now())
	if err != nil {
		return err
	}
	_, err = s.svc.Progress(ctx, y, s.now())
	return err
}

func (s *targetsScheduler) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.warm(ctx); err != nil && ctx.Err() == nil {
			s.log("targets: progress not precomputed", "err", err)
		}
		if _, err := s.once(ctx); err != nil && ctx.Err() == nil {
			s.log("targets: report generation failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
