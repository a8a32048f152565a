package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ecowatch/inspect"
	"ecowatch/inspect/inspectstore"
	"ecowatch/store"
)

const inspectUsage = `inspect <action> [flags]

actions:
  verify-draw --dir DIR | --record FILE --enterprises FILE --officers FILE
                  recompute a published draw from its pool snapshots, plan and seed (the
                  record as export-draw or the API writes it, or the public page's draw.json);
                  prints "match" or the first difference (exit status 1)
  export-draw --id N --out DIR [--data-dir DIR | --postgres URL]
                  write a draw's record.json, enterprises.json and officers.json
                  (the snapshots byte for byte: sha256sum gives the published hashes)
  draw --region CODE --period P --groups key=0.25,focus=0.1,general=0.05 --teams N [--team-size 2]
       [--exclude-days 90] [--home-county-rule] [--seed S] [--data-dir DIR | --postgres URL]
                  freeze both pools, print their hashes, draw and store the tasks
  officer USERNAME --name TEXT --region CODE [--home-county CODE] [--certificate NO]
       [--valid-until YYYY-MM-DD] [--links CODE,CODE] [--unavailable] [--data-dir DIR | --postgres URL]
                  add or change an officer of the inspector pool`

func init() {
	registerCommand(func() command {
		return command{Name: "inspect", Summary: "random inspections: verify-draw, export-draw, draw, officer", Run: inspectRun}
	})
}

func inspectRun(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "inspect", inspectUsage)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fs.Usage()
		return errUsage
	}
	action, rest := args[0], args[1:]
	switch action {
	case "verify-draw":
		return inspectVerify(e, fs, rest)
	case "export-draw":
		return inspectExport(ctx, e, fs, rest)
	case "draw":
		return inspectDraw(ctx, e, fs, rest)
	case "officer":
		return inspectOfficer(ctx, e, fs, rest)
	}
	return usageError(fs, fmt.Errorf("unknown action %q", action))
}

// inspectParse parses flags without a store.
func inspectParse(e env, fs *flag.FlagSet, args []string) error {
	if err := parseSettings(fs, args, e.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) || strings.HasPrefix(err.Error(), "flag provided but not defined") || strings.Contains(err.Error(), "invalid value") {
			return errUsage
		}
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	return nil
}

func inspectVerify(e env, fs *flag.FlagSet, args []string) error {
	dir := fs.String("dir", "", "directory with record.json, enterprises.json and officers.json (as export-draw writes)")
	recFile := fs.String("record", "", "the draw record (JSON)")
	entFile := fs.String("enterprises", "", "the enterprise pool snapshot")
	offFile := fs.String("officers", "", "the officer pool snapshot")
	if err := inspectParse(e, fs, args); err != nil {
		return err
	}
	if *dir != "" {
		*recFile, *entFile, *offFile = filepath.Join(*dir, "record.json"), filepath.Join(*dir, "enterprises.json"), filepath.Join(*dir, "officers.json")
	}
	if *recFile == "" || *entFile == "" || *offFile == "" {
		return usageError(fs, errors.New("give --dir, or --record, --enterprises and --officers"))
	}
	read := func(p string) ([]byte, error) {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	rb, err := read(*recFile)
	if err != nil {
		return err
	}
	eb, err := read(*entFile)
	if err != nil {
		return err
	}
	ob, err := read(*offFile)
	if err != nil {
		return err
	}
	rec, err := inspect.ParseRecord(rb)
	if err != nil {
		// The public page's draw.json holds the record under "record".
		var pub struct {
			Record json.RawMessage `json:"record"`
		}
		if json.Unmarshal(rb, &pub) != nil || len(pub.Record) == 0 || string(pub.Record) == "null" {
			return err
		}
		if rec, err = inspect.ParseRecord(pub.Record); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.Stdout, "draw %d: plan %s, enterprise pool %s, officer pool %s, seed %q\n", rec.ID, rec.PlanHash, rec.EnterprisePoolHash, rec.OfficerPoolHash, rec.Seed)
	if err := inspect.Verify(rec, eb, ob); err != nil {
		var m *inspect.Mismatch
		if errors.As(err, &m) {
			fmt.Fprintf(e.Stdout, "MISMATCH at %s\n  published:  %s\n  recomputed: %s\n", m.What, m.Published, m.Recomputed)
		}
		return err
	}
	fmt.Fprintf(e.Stdout, "match: %d enterprises drawn for %d teams, the same as published\n", len(rec.Result.Assignments), len(rec.Result.Teams))
	return nil
}

func inspectRepo(ctx context.Context, e env, fs *flag.FlagSet, args []string) (store.Store, *inspectstore.Repo, error) {
	sf, err := parseStoreCommand(e, fs, args)
	if err != nil {
		return nil, nil, err
	}
	if fs.NArg() > 0 {
		return nil, nil, usageError(fs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	st, err := sf.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	sq, ok := st.(store.SQLer)
	if !ok {
		st.Close()
		return nil, nil, fmt.Errorf("store %T has no SQL handle", st)
	}
	return st, inspectstore.New(sq.SQL(), nil), nil
}

func inspectExport(ctx context.Context, e env, fs *flag.FlagSet, args []string) error {
	id := fs.Int64("id", 0, "the draw's id")
	out := fs.String("out", "", "directory to write the files to (created)")
	st, repo, err := inspectRepo(ctx, e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if *id <= 0 || *out == "" {
		return usageError(fs, errors.New("give --id and --out"))
	}
	d, err := repo.Draw(ctx, *id)
	if err != nil {
		return err
	}
	if d.State != inspectstore.StateDrawn {
		return fmt.Errorf("draw %d is %s, not drawn: nothing to verify yet (its hashes: enterprises %s, officers %s)", d.ID, d.State, d.EnterpriseHash, d.OfficerHash)
	}
	eb, ob, err := repo.Snapshots(ctx, *id)
	if err != nil {
		return err
	}
	rb, _ := json.MarshalIndent(d.Record(), "", "  ")
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"record.json": append(rb, '\n'), "enterprises.json": eb, "officers.json": ob} {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.Stdout, "wrote draw %d to %s: record.json, enterprises.json (sha256 %s), officers.json (sha256 %s)\n", d.ID, *out, d.EnterpriseHash, d.OfficerHash)
	return nil
}

// inspectParseGroups reads "key=0.25,focus=0.1,general=0.05".
func inspectParseGroups(s string) ([]inspect.GroupRule, error) {
	var out []inspect.GroupRule
	for part := range strings.SplitSeq(s, ",") {
		g, r, ok := strings.Cut(strings.TrimSpace(part), "=")
		ratio, err := strconv.ParseFloat(r, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("--groups: %q: want group=ratio, e.g. key=0.25", part)
		}
		out = append(out, inspect.GroupRule{Group: inspect.Group(g), Ratio: ratio})
	}
	return out, nil
}

func inspectDraw(ctx context.Context, e env, fs *flag.FlagSet, args []string) error {
	var plan inspect.Plan
	fs.StringVar(&plan.Region, "region", "", "GB/T 2260 code of the region drawn")
	fs.StringVar(&plan.Period, "period", "", "YYYY, YYYYQn or YYYY-MM")
	groups := fs.String("groups", "", "ratios per group, e.g. key=0.25,focus=0.1,general=0.05")
	fs.IntVar(&plan.Teams, "teams", 1, "number of teams")
	fs.IntVar(&plan.Size, "team-size", 2, "officers per team (at least 2)")
	fs.IntVar(&plan.FocusMin, "focus-min", 1, "evidence count that puts an enterprise in the focus group")
	fs.IntVar(&plan.ExcludeDays, "exclude-days", 0, "leave out enterprises inspected within this many days before the period")
	fs.BoolVar(&plan.HomeCounty, "home-county-rule", false, "officers never inspect in their home county")
	fs.IntVar(&plan.MaxPerTeam, "max-per-team", 0, "at most this many enterprises per team (0: no cap)")
	seed := fs.String("seed", "", "the seed, e.g. a published lottery result (default: 128 random bits)")
	st, repo, err := inspectRepo(ctx, e, fs, args)
	if err != nil {
		return err
	}
	defer st.Close()
	if plan.Groups, err = inspectParseGroups(*groups); err != nil {
		return usageError(fs, err)
	}
	now := time.Now()
	ep, err := repo.EnterprisePool(ctx, st, plan.Region, now, nil)
	if err != nil {
		return err
	}
	op, err := repo.OfficerPool(ctx, plan.Region, now)
	if err != nil {
		return err
	}
	actor := inspectstore.Actor{Name: "cli", Remote: "local"}
	d, err := repo.Freeze(ctx, actor, plan, ep, op, 0, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "draw %d frozen: enterprise pool %s (%d), officer pool %s (%d), plan %s\n", d.ID, d.EnterpriseHash, d.Enterprises, d.OfficerHash, d.Officers, d.PlanHash)
	source := "external"
	if *seed == "" {
		*seed, source = inspectstore.NewSeed(), "generated"
	}
	d, err = repo.Run(ctx, actor, d.ID, *seed, source)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "draw %d drawn with seed %q: %d enterprises, %d teams\n", d.ID, d.Seed, len(d.Result.Assignments), len(d.Result.Teams))
	for _, a := range d.Result.Assignments {
		fmt.Fprintf(e.Stdout, "  %-8s %s %s team %d %s\n", a.Group, a.CreditCode, a.Region, a.Team, strings.Join(d.Result.Teams[a.Team-1].Officers, ","))
	}
	return nil
}

func inspectOfficer(ctx context.Context, e env, fs *flag.FlagSet, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		addStoreFlags(fs)
		return usageError(fs, errors.New("inspect officer: missing USERNAME"))
	}
	o := inspect.Officer{ID: args[0]}
	fs.StringVar(&o.Name, "name", "", "the officer's name")
	fs.StringVar(&o.Region, "region", "", "GB/T 2260 code of the region served")
	fs.StringVar(&o.HomeCounty, "home-county", "", "county code the officer comes from")
	fs.StringVar(&o.Certificate, "certificate", "", "enforcement certificate number")
	fs.StringVar(&o.CertificateValidUntil, "valid-until", "", "last valid day of the certificate (YYYY-MM-DD)")
	links := fs.String("links", "", "credit codes of linked enterprises (conflicts of interest), comma-separated")
	unavailable := fs.Bool("unavailable", false, "not available for draws")
	st, repo, err := inspectRepo(ctx, e, fs, args[1:])
	if err != nil {
		return err
	}
	defer st.Close()
	o.Available = !*unavailable
	if *links != "" {
		o.Links = strings.Split(*links, ",")
	}
	if err := repo.UpsertOfficer(ctx, inspectstore.Actor{Name: "cli", Remote: "local"}, o); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "officer %s (%s) in the inspector pool of %s\n", o.ID, o.Name, o.Region)
	return nil
}
