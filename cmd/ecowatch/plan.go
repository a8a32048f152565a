package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"ecowatch/plan"
	"ecowatch/store"
)

func init() { registerCommand(planCommand) }

// planCommand manages the work plan's tasks (issue 11):
//
//	ecowatch plan seed --year 2020            the shipped 2020 plan (湖南省2020年生态环境保护工作要点)
//	ecowatch plan add --year 2021 --file F    a new year's plan from its document text
//	ecowatch plan list [--year 2020]          plans, or a year's tasks with their lead departments
//
// The departments and cities come from the registry: run `ecowatch seed
// hunan` (or import them) first.
func planCommand() command {
	return command{
		Name:    "plan",
		Summary: "the work plan's tasks: plan seed --year 2020 | add --year Y --file F | list",
		Run: func(ctx context.Context, e env, args []string) error {
			sub := ""
			if len(args) > 0 {
				sub, args = args[0], args[1:]
			}
			fs := newFlagSet(e, "plan "+sub, "plan seed --year 2020 | plan add --year YEAR --file PLAN.txt | plan list [--year YEAR]  [--data-dir DIR | --postgres URL]")
			year := fs.Int("year", 0, "the plan's year")
			file := fs.String("file", "", "plan add: the plan document as UTF-8 text (numbered items under （一）… headings)")
			switch sub {
			case "seed", "add", "list":
			default:
				addStoreFlags(fs)
				if sub != "" && sub != "-h" && sub != "--help" {
					return usageError(fs, fmt.Errorf("unknown subcommand %q (want seed, add or list)", sub))
				}
				fs.Usage()
				return errUsage
			}
			sf, err := parseStoreCommand(e, fs, args)
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
				return errors.New("this store has no SQL handle for the plan's tables")
			}
			repo := plan.NewRepo(sq.SQL(), nil)
			actor := plan.Actor{Name: "cli:" + os.Getenv("USER")}
			switch sub {
			case "list":
				return planList(ctx, e, repo, *year)
			case "seed":
				if *year != 2020 {
					return usageError(fs, fmt.Errorf("--year %d: the shipped plan is 2020's; use plan add --file for another year", *year))
				}
				return planCreate(ctx, e, st, repo, 2020, plan.Hunan2020, plan.DefaultLinks, actor, true)
			default: // add
				if *year == 0 || *file == "" {
					return usageError(fs, errors.New("plan add needs --year and --file"))
				}
				b, err := os.ReadFile(*file)
				if err != nil {
					return err
				}
				return planCreate(ctx, e, st, repo, *year, string(b), nil, actor, false)
			}
		},
	}
}

func planCreate(ctx context.Context, e env, st store.Store, repo *plan.Repo, year int, text string, links map[string][]plan.Link, a plan.Actor, idempotent bool) error {
	deps, err := st.Departments(ctx)
	if err != nil {
		return err
	}
	regions, err := st.Regions(ctx)
	if err != nil {
		return err
	}
	p, err := repo.CreatePlan(ctx, year, text, deps, regions, links, a)
	if idempotent && errors.Is(err, store.ErrConflict) {
		fmt.Fprintf(e.Stdout, "plan %d is already seeded\n", year)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "plan %d: %s, %d tasks\n", p.Year, p.Title, p.Tasks)
	return nil
}

func planList(ctx context.Context, e env, repo *plan.Repo, year int) error {
	if year == 0 {
		ps, err := repo.Plans(ctx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			fmt.Fprintf(e.Stdout, "%d\t%d tasks\t%s\n", p.Year, p.Tasks, p.Title)
		}
		return nil
	}
	ts, err := repo.Tasks(ctx, year)
	if err != nil {
		return err
	}
	for _, t := range ts {
		var leads []string
		for _, l := range t.Leads {
			leads = append(leads, l.Name)
		}
		fmt.Fprintf(e.Stdout, "%s\t%s\t%s\t%d cities\n", t.Key, t.Title, strings.Join(leads, "、"), t.Cities)
	}
	return nil
}
