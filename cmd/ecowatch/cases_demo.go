package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"ecowatch/auth"
	"ecowatch/casework"
	"ecowatch/store"
)

func init() { registerCommand(casesCommand) }

// casesCommand: `ecowatch case demo` fills a store with demonstration
// cases and complaints (the command centre's figures then have something
// to show before the alarm engine opens real ones). Every entry is
// audited with the actor "demo", so it is never mistaken for real work.
func casesCommand() command {
	return command{
		Name:    "case",
		Summary: "rectification cases: demo (fill a store with demonstration cases)",
		Run: func(ctx context.Context, e env, args []string) error {
			if len(args) == 0 || args[0] != "demo" {
				fmt.Fprintln(e.Stderr, "usage: ecowatch case demo [--data-dir DIR | --postgres URL] [--seed N]")
				return errUsage
			}
			fs := newFlagSet(e, "case demo", "case demo [--data-dir DIR | --postgres URL] [--seed N]")
			seed := fs.Uint64("seed", 2020, "same seed, same cases")
			sf, err := parseStoreCommand(e, fs, args[1:])
			if err != nil {
				return err
			}
			st, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			sqler, ok := st.(store.SQLer)
			if !ok {
				return errors.New("this store has no SQL handle")
			}
			deps, err := st.Departments(ctx)
			if err != nil {
				return err
			}
			var codes []string
			for _, d := range deps {
				codes = append(codes, d.Code)
			}
			n, c, err := casesDemo(ctx, sqler.SQL(), codes, *seed, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "demo: %d cases, %d complaints\n", n, c)
			return nil
		},
	}
}

// casesDemoCities are Hunan's 14 cities (GB/T 2260).
var casesDemoCities = []string{"430100", "430200", "430300", "430400", "430500", "430600", "430700", "430800", "430900",
	"431000", "431100", "431200", "431300", "433100"}

var casesDemoProblems = []struct{ title, category string }{
	{"湘江支流入河排污口未完成整治", "water"},
	{"工业园区污水处理厂超标排放", "water"},
	{"钢铁企业无组织排放治理不到位", "air"},
	{"砖瓦窑脱硫设施未正常运行", "air"},
	{"历史遗留尾矿库渗滤液污染", "soil"},
	{"危险废物违规贮存", "solid-waste"},
	{"自然保护区内违规采砂", "ecology"},
	{"城区夜间施工噪声扰民", "noise"},
}

// casesDemo registers two cases per city over the last 90 days (a clock
// that moves forward case by case), takes some through the workflow and
// leaves some overdue, and files a few complaints.
func casesDemo(ctx context.Context, db store.SQL, deps []string, seed uint64, now time.Time) (cases, complaints int, err error) {
	rng := rand.New(rand.NewPCG(seed, 7))
	clock := now.AddDate(0, 0, -90)
	repo := casework.NewRepo(db, func() time.Time { return clock })
	sources := []casework.Source{casework.SourceCentralInspection, casework.SourceCentralFollowUp, casework.SourceYangtzeFilm,
		casework.SourceNPCInspection, casework.SourceProvincialInspection, casework.SourceLeaderInstruction}
	by := casework.Actor{Name: "demo"}
	// Distinct names per step: the workflow's four-eyes rules hold.
	who := func(name string) auth.Principal { return auth.Principal{Username: name, Role: auth.Admin} }
	for i, city := range append(casesDemoCities, casesDemoCities...) {
		p := casesDemoProblems[rng.IntN(len(casesDemoProblems))]
		c := casework.Case{Title: p.title, Description: "演示数据 (demo)", Source: sources[rng.IntN(len(sources))], Category: p.category,
			Severity: casework.Severities[rng.IntN(len(casework.Severities))], RegionCode: city,
			Deadline: clock.AddDate(0, 0, 20+rng.IntN(70))}
		if len(deps) > 0 {
			c.LeadDepartment = deps[rng.IntN(len(deps))]
			c.ResponsibleUnits = []string{deps[rng.IntN(len(deps))]}
		}
		if c, err = repo.Create(ctx, c, by); err != nil {
			return cases, complaints, err
		}
		cases++
		steps := []struct {
			a    casework.Action
			who  string
			in   casework.Input
			days int
		}{
			{casework.ActAssign, "demo-city", casework.Input{Assignee: "责任单位"}, 2},
			{casework.ActStart, "demo-unit", casework.Input{Plan: "制定整改方案，明确时限和责任人"}, 5},
			{casework.ActReport, "demo-unit", casework.Input{Note: "整改进展过半"}, 10},
			{casework.ActSubmit, "demo-unit", casework.Input{Note: "已完成整改"}, 10},
			{casework.ActVerify, "demo-officer", casework.Input{Method: "on-site"}, 5},
			{casework.ActClose, "demo-province", casework.Input{Note: "同意销号"}, 3},
		}
		upto := rng.IntN(len(steps) + 1)
		for _, s := range steps[:upto] {
			clock = clock.Add(time.Duration(s.days) * 24 * time.Hour / 4)
			if clock.After(now) {
				break
			}
			if _, err := repo.Act(ctx, c.ID, s.a, who(s.who), s.in, by); err != nil {
				return cases, complaints, fmt.Errorf("demo case %d %s: %w", c.ID, s.a, err)
			}
		}
		clock = now.AddDate(0, 0, -90+(i+1)*90/(2*len(casesDemoCities)))
	}
	clock = now.Add(-time.Hour)
	for i, what := range []string{"河边排污口冒黑水，气味刺鼻", "工厂烟囱夜间冒黄烟", "养殖场粪污直排水塘"} {
		if _, err := repo.Submit(ctx, casework.Complaint{What: what + "（演示数据）", Address: "湖南省", RegionCode: casesDemoCities[i]}, nil, "demo"); err != nil {
			return cases, complaints, err
		}
		complaints++
	}
	return cases, complaints, nil
}
