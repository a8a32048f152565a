package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"ecowatch/emergency"
	"ecowatch/plan"
	"ecowatch/seed"
	"ecowatch/store"
)

func init() { registerCommand(emergencyCommand) }

// emergencyCommand holds the emergency feature's command-line tools:
//
//	ecowatch emergency seed-demo [--data-dir DIR | --postgres URL]
//
// seed-demo fills the registers with clearly simulated data (every name
// starts with 模拟) around Hunan's 14 cities, placed near each city's real
// air stations: risk sources of every kind of §20, sensitive receptors,
// experts, material stores and teams, emergency plans, and progress reports
// on the 2020 plan's tasks, so the maps and the tasks board have something
// to show. It refuses to run twice.
func emergencyCommand() command {
	return command{
		Name:    "emergency",
		Summary: "emergency registers: emergency seed-demo (simulated data for the demo)",
		Run: func(ctx context.Context, e env, args []string) error {
			fs := newFlagSet(e, "emergency", "emergency seed-demo [--data-dir DIR | --postgres URL]")
			if len(args) == 0 || args[0] != "seed-demo" {
				addStoreFlags(fs)
				if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
					return usageError(fs, fmt.Errorf("unknown subcommand %q (want seed-demo)", args[0]))
				}
				fs.Usage()
				return errUsage
			}
			sf, err := parseStoreCommand(e, fs, args[1:])
			if err != nil {
				return err
			}
			st, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			sq, ok := st.(store.SQLer)
			if !ok {
				return errors.New("this store has no SQL handle for the emergency tables")
			}
			n, err := emergencySeedDemo(ctx, emergency.NewRepo(sq.SQL(), nil), plan.NewRepo(sq.SQL(), nil))
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "simulated emergency data: %s\n", n)
			return nil
		},
	}
}

// emergencyDemoCounts says what seed-demo wrote.
type emergencyDemoCounts struct{ sources, receptors, resources, plans, reports int }

func (c emergencyDemoCounts) String() string {
	return fmt.Sprintf("%d risk sources, %d receptors, %d experts/stores/teams, %d emergency plans, %d progress reports",
		c.sources, c.receptors, c.resources, c.plans, c.reports)
}

func emergencySeedDemo(ctx context.Context, em *emergency.Repo, pl *plan.Repo) (emergencyDemoCounts, error) {
	var n emergencyDemoCounts
	if have, err := em.Sources(ctx, emergency.SourceFilter{}); err != nil {
		return n, err
	} else if len(have) > 0 {
		return n, fmt.Errorf("%w: the risk-source register is not empty; seed-demo runs once on a fresh store", store.ErrConflict)
	}
	stations, _, err := seed.Stations()
	if err != nil {
		return n, err
	}
	cities, err := seed.Cities()
	if err != nil {
		return n, err
	}
	// Each city's centre: the mean of its non-background stations.
	type centre struct{ lat, lon float64 }
	sum := map[string]*[3]float64{}
	for _, s := range stations {
		if s.Background {
			continue
		}
		c := s.RegionCode[:4] + "00"
		if sum[c] == nil {
			sum[c] = &[3]float64{}
		}
		sum[c][0] += s.Lat
		sum[c][1] += s.Lon
		sum[c][2]++
	}
	rng := rand.New(rand.NewPCG(2020, 11))
	near := func(c centre, km float64) (float64, float64) {
		// About 1/111 degree per km; longitude shrinks with latitude (~0.88 at 28°N).
		r4 := func(x float64) float64 { return math.Round(x*1e4) / 1e4 } // ~10 m, as a register would hold it
		return r4(c.lat + (rng.Float64()*2-1)*km/111), r4(c.lon + (rng.Float64()*2-1)*km/98)
	}
	a := emergency.Actor{Name: "seed-demo"}
	levels := []emergency.Level{emergency.LevelGeneral, emergency.LevelGeneral, emergency.LevelLarger, emergency.LevelMajor}
	substances := map[emergency.Kind][]emergency.Substance{
		emergency.ChemicalEnterprise: {{Name: "液氯", CAS: "7782-50-5", Quantity: 12, Critical: 1}, {Name: "硫酸", CAS: "7664-93-9", Quantity: 80, Critical: 10}},
		emergency.PortDock:           {{Name: "柴油", Quantity: 500, Critical: 2500}},
		emergency.HazmatTransport:    {{Name: "液氨", CAS: "7664-41-7", Quantity: 20, Critical: 5}},
		emergency.TailingsPond:       {{Name: "含重金属尾砂", Quantity: 300000}},
		emergency.FuelGasStation:     {{Name: "汽油", Quantity: 90, Critical: 2500}},
		emergency.SewagePlant:        {{Name: "次氯酸钠", CAS: "7681-52-9", Quantity: 10, Critical: 5}},
		emergency.WasteFacility:      {{Name: "渗滤液", Quantity: 2000}},
		emergency.RadioactiveSource:  {{Name: "Ir-192 探伤源（Ⅱ类）", Quantity: 0}},
	}
	fields := [][]string{{"化工", "大气污染"}, {"重金属", "水污染"}, {"辐射安全"}, {"环境监测", "应急处置"}}
	for ci, city := range cities {
		s := sum[city.Code]
		if s == nil || s[2] == 0 {
			continue
		}
		c := centre{s[0] / s[2], s[1] / s[2]}
		short := []rune(city.Name)
		for ki, k := range emergency.Kinds {
			if (ci+ki)%3 == 2 { // not every kind in every city
				continue
			}
			lat, lon := near(c, 12)
			lv := levels[(ci+ki)%len(levels)]
			src, err := em.AddSource(ctx, emergency.RiskSource{Kind: k, Name: fmt.Sprintf("模拟%s%s", string(short[:2]), emergency.KindNames[k]), RegionCode: city.Code,
				Lon: lon, Lat: lat, Substances: substances[k], AssessedLevel: lv, LevelBasis: "模拟数据：HJ 941-2018 风险评估（示例）",
				Responsible: "模拟负责人", Phone: fmt.Sprintf("0731-8%07d", ci*100+ki), Simulated: true}, a)
			if err != nil {
				return n, err
			}
			n.sources++
			if ki == 0 {
				p, err := em.AddPlan(ctx, emergency.EmPlan{OwnerKind: "enterprise", Owner: src.Name, RegionCode: city.Code, SourceID: src.ID, Title: src.Name + "突发环境事件应急预案（模拟）"}, a)
				if err != nil {
					return n, err
				}
				em.FileVersion(ctx, p.ID, "模拟备案", a)
				if ci%2 == 0 {
					em.ReviewVersion(ctx, p.ID, 1, true, "", a)
				}
				n.plans++
			}
		}
		for ri, kind := range []string{"drinking_source", "school", "hospital", "residential"} {
			lat, lon := near(c, 8)
			if _, err := em.AddReceptor(ctx, emergency.Receptor{Kind: kind, Name: fmt.Sprintf("模拟%s敏感目标%d", string(short[:2]), ri+1), RegionCode: city.Code, Lon: lon, Lat: lat, Simulated: true}, a); err != nil {
				return n, err
			}
			n.receptors++
		}
		for ri, kind := range []string{"expert", "expert", "store", "team"} {
			lat, lon := near(c, 6)
			x := emergency.Resource{Kind: kind, RegionCode: city.Code, Lon: lon, Lat: lat, Simulated: true, Phone: fmt.Sprintf("1380731%04d", ci*10+ri)}
			switch kind {
			case "expert":
				x.Name, x.Org, x.Fields = fmt.Sprintf("模拟专家%s%d", string(short[:2]), ri+1), "模拟环境科研院所", fields[(ci+ri)%len(fields)]
			case "store":
				x.Name, x.Contact = fmt.Sprintf("模拟%s应急物资储备库", string(short[:2])), "模拟库管员"
				x.Stock = []emergency.StockItem{{Kind: "活性炭", Quantity: float64(5 + ci), Unit: "t"}, {Kind: "围油栏", Quantity: 500, Unit: "m"}, {Kind: "吸附棉", Quantity: 2, Unit: "t"}, {Kind: "石灰", Quantity: 30, Unit: "t"}}
			case "team":
				x.Name, x.Members, x.Fields = fmt.Sprintf("模拟%s环境应急队", string(short[:2])), 15+ci, []string{"采样监测", "堵漏围控"}
			}
			if _, err := em.AddResource(ctx, x, a); err != nil {
				return n, err
			}
			n.resources++
		}
	}
	// Progress on the 2020 plan, when it is seeded: each party reports
	// every quarter three days before the due date, except that some stop
	// after the second or third quarter, so the board shows who is behind.
	tasks, err := pl.Tasks(ctx, 2020)
	if err != nil || len(tasks) == 0 {
		return n, err
	}
	pa := plan.Actor{Name: "seed-demo"}
	periods := plan.Schedule{Year: 2020}.Periods()
	var clock time.Time
	pl = plan.NewRepo(pl.DB, func() time.Time { return clock })
	for q, per := range periods {
		clock = per.Due.AddDate(0, 0, -3)
		for ti, t := range tasks {
			file := func(kind plan.PartyKind, code string, k int) error {
				stop := 4
				switch (ti*7 + k) % 6 {
				case 0:
					stop = 2
				case 1:
					stop = 3
				}
				if q >= stop {
					return nil
				}
				st := plan.OnTrack
				if q == 3 && (ti+k)%3 == 0 {
					st = plan.Done
				}
				_, err := pl.FileReport(ctx, plan.ReportRow{TaskID: t.ID, PartyKind: kind, PartyCode: code, Period: per.Key, Status: st,
					Percent: min(100, 25*(q+1)), Text: "模拟进展报告"}, pa)
				n.reports++
				return err
			}
			for ci, city := range cities {
				if err := file(plan.PartyCity, city.Code, ci); err != nil {
					return n, err
				}
			}
			for li, l := range t.Leads {
				if err := file(l.Kind, l.Code, 20+li); err != nil {
					return n, err
				}
			}
		}
	}
	return n, nil
}
