package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"ecowatch/alarm"
	"ecowatch/store"
)

func init() { registerCommand(alarmCommand) }

const alarmUsage = `alarm list [--state open,acknowledged] [--json]   stored alarms, newest first
       alarm settings                                  every rule's defaults and the overrides
       alarm set [--scope SCOPE] RULE KEY=VALUE...     override a rule (keys: enabled, severity, for, clear_for, threshold, threshold2, count)
       alarm link PRODUCTION FACILITY                  link a production line's power-use point to its treatment facility's
       (each with --data-dir DIR | --postgres URL; changes are audited as the operating-system user "cli")`

// alarmCommand reads and changes the alarm engine's data from the command
// line: what an operator needs without the UI, and what the demo uses to
// set its short holds.
func alarmCommand() command {
	return command{
		Name:    "alarm",
		Summary: "list alarms, show and override the alarm rules' settings, link treatment facilities",
		Run: func(ctx context.Context, e env, args []string) error {
			if len(args) == 0 {
				fmt.Fprintln(e.Stderr, "usage: ecowatch "+alarmUsage)
				return errUsage
			}
			sub, rest := args[0], args[1:]
			fs := newFlagSet(e, "alarm "+sub, alarmUsage)
			state := fs.String("state", "", "list: comma-separated states")
			asJSON := fs.Bool("json", false, "list: JSON lines")
			scope := fs.String("scope", "", `set: "", kind:K, factor:F, point:P or point:P/factor:F`)
			sf, err := parseStoreCommand(e, fs, rest)
			if err != nil {
				return err
			}
			pos := fs.Args()
			st, err := sf.open(ctx)
			if err != nil {
				return err
			}
			defer st.Close()
			sq, ok := st.(store.SQLer)
			if !ok {
				return fmt.Errorf("store %T has no SQL handle", st)
			}
			repo := alarm.NewRepo(sq.SQL(), nil)
			switch sub {
			case "list":
				q := alarm.Query{Limit: 1000}
				if *state != "" {
					q.States = strings.Split(*state, ",")
				}
				list, total, err := repo.List(ctx, q)
				if err != nil {
					return err
				}
				if *asJSON {
					enc := json.NewEncoder(e.Stdout)
					for _, a := range list {
						enc.Encode(a)
					}
					return nil
				}
				tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATE\tSEVERITY\tRULE\tPOINT\tFACTOR\tOPENED\tREPEATS\tMESSAGE")
				for _, a := range list {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", a.ID, a.State, a.Severity, a.Rule, a.Point+a.MN, a.Factor,
						a.Opened.Format("2006-01-02 15:04:05"), a.Repeats, a.Message)
				}
				tw.Flush()
				fmt.Fprintf(e.Stdout, "%d of %d alarms\n", len(list), total)
				return nil
			case "settings":
				tw := tabwriter.NewWriter(e.Stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "RULE\tENABLED\tSEVERITY\tFOR\tCLEAR_FOR\tTHRESHOLD\tTHRESHOLD2\tCOUNT")
				for _, r := range alarm.Rules {
					p := alarm.Defaults[r]
					fmt.Fprintf(tw, "%s\t%v\t%s\t%s\t%s\t%v\t%v\t%d\n", r, p.Enabled, p.Severity, p.For, p.ClearFor, p.Threshold, p.Threshold2, p.Count)
				}
				tw.Flush()
				ss, err := repo.Settings(ctx)
				if err != nil {
					return err
				}
				for _, s := range ss {
					b, _ := json.Marshal(s.Override)
					fmt.Fprintf(e.Stdout, "override %s scope %q: %s\n", s.Rule, s.Scope, b)
				}
				return nil
			case "set":
				if len(pos) < 2 {
					return usageError(fs, fmt.Errorf("set needs a rule and at least one KEY=VALUE"))
				}
				o := map[string]any{}
				for _, kv := range pos[1:] {
					k, v, ok := strings.Cut(kv, "=")
					if !ok {
						return usageError(fs, fmt.Errorf("%q: want KEY=VALUE", kv))
					}
					switch k {
					case "enabled":
						b, err := strconv.ParseBool(v)
						if err != nil {
							return fmt.Errorf("enabled=%q: want true or false", v)
						}
						o[k] = b
					case "threshold", "threshold2":
						f, err := strconv.ParseFloat(v, 64)
						if err != nil {
							return fmt.Errorf("%s=%q: want a number", k, v)
						}
						o[k] = f
					case "count":
						n, err := strconv.Atoi(v)
						if err != nil {
							return fmt.Errorf("count=%q: want a whole number", v)
						}
						o[k] = n
					case "severity", "for", "clear_for":
						o[k] = v
					default:
						return usageError(fs, fmt.Errorf("unknown key %q", k))
					}
				}
				b, _ := json.Marshal(map[string]any{"rule": pos[0], "scope": *scope, "override": o})
				s, err := alarm.ParseSetting(b)
				if err != nil {
					return err
				}
				if err := repo.PutSetting(ctx, s, "cli", ""); err != nil {
					return err
				}
				fmt.Fprintf(e.Stdout, "alarm rule %s overridden for scope %q (a running server reads it within a minute)\n", s.Rule, s.Scope)
				return nil
			case "link":
				if len(pos) != 2 {
					return usageError(fs, fmt.Errorf("link needs PRODUCTION and FACILITY point codes"))
				}
				if err := repo.PutLink(ctx, alarm.Link{Production: pos[0], Facility: pos[1]}, "cli", ""); err != nil {
					return err
				}
				fmt.Fprintf(e.Stdout, "linked production %s to treatment facility %s\n", pos[0], pos[1])
				return nil
			}
			return usageError(fs, fmt.Errorf("unknown alarm command %q", sub))
		},
	}
}
