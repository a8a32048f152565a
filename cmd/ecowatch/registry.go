package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"ecowatch/importer"
	"ecowatch/registry"
	"ecowatch/store"
)

// registryCommand lists and imports the registry.
func registryCommand() command {
	return command{
		Name:    "registry",
		Summary: "list the registry or import CSV/XLSX files into it",
		Run: func(ctx context.Context, e env, args []string) error {
			if len(args) > 0 {
				switch args[0] {
				case "list":
					return registryList(ctx, e, args[1:])
				case "import":
					return registryImport(ctx, e, args[1:])
				}
			}
			fmt.Fprintln(e.Stderr, "usage: ecowatch registry list [regions|departments|enterprises|points|devices|limits|targets...] [--parent CODE] [--level LEVEL] [--json] [--data-dir DIR | --postgres URL]")
			fmt.Fprintln(e.Stderr, "       ecowatch registry import [--dry-run] [--skip-bad-rows] [--kind KIND] [--data-dir DIR | --postgres URL] FILE...")
			return errUsage
		},
	}
}

// splitPositional separates leading words from flags, so that both
// "list points --json" and "list --json points" work.
func splitPositional(args []string) (words, rest []string) {
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		words, args = append(words, args[0]), args[1:]
	}
	return words, args
}

var listSections = []string{"regions", "departments", "enterprises", "points", "devices", "limits", "targets"}

// regionFilter selects regions by parent and level; zero selects all.
type regionFilter struct {
	parent string
	level  registry.RegionLevel
}

func (f regionFilter) keep(r registry.Region) bool {
	return (f.parent == "" || r.ParentCode == f.parent) && (f.level == "" || r.Level == f.level)
}

func registryList(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "registry list", "registry list [SECTION...] [--parent CODE] [--level LEVEL] [--json] [--data-dir DIR | --postgres URL]\n\nSECTION is one of "+strings.Join(listSections, ", ")+"; the default is regions, enterprises, points and devices\n(regions alone with --parent or --level). Example: registry list --parent 430100 lists 长沙市's districts and counties.")
	jsonOut := fs.Bool("json", false, "print JSON for scripts")
	parent := fs.String("parent", "", "regions: only those directly under this GB/T 2260 code")
	level := fs.String("level", "", "regions: only this level (province, city or county)")
	words, rest := splitPositional(args)
	sf, err := parseStoreCommand(e, fs, rest)
	if err != nil {
		return err
	}
	words = append(words, fs.Args()...)
	filter := regionFilter{parent: *parent, level: registry.RegionLevel(*level)}
	switch filter.level {
	case "", registry.LevelProvince, registry.LevelCity, registry.LevelCounty:
	default:
		return usageError(fs, fmt.Errorf("--level %q: want province, city or county", *level))
	}
	if filter != (regionFilter{}) {
		if len(words) == 0 {
			words = []string{"regions"}
		}
		if !slices.Contains(words, "regions") {
			return usageError(fs, errors.New("--parent and --level filter regions: list the regions section"))
		}
	}
	if len(words) == 0 {
		words = []string{"regions", "enterprises", "points", "devices"}
	}
	for _, w := range words {
		if !slices.Contains(listSections, w) {
			return usageError(fs, fmt.Errorf("unknown section %q", w))
		}
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if filter.parent != "" {
		// A mistyped parent is an error, not an empty list.
		if _, err := st.Region(ctx, filter.parent); err != nil {
			return fmt.Errorf("--parent: %w", err)
		}
	}
	out := map[string]any{}
	for _, w := range words {
		v, err := listSection(ctx, st, w)
		if err != nil {
			return err
		}
		if rs, ok := v.([]registry.Region); ok {
			v = slices.DeleteFunc(rs, func(r registry.Region) bool { return !filter.keep(r) })
		}
		out[w] = v
	}
	if *jsonOut {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for i, w := range words {
		if i > 0 {
			fmt.Fprintln(e.Stdout)
		}
		printSection(e.Stdout, w, out[w])
	}
	return nil
}

func listSection(ctx context.Context, st store.Store, section string) (any, error) {
	switch section {
	case "regions":
		return st.Regions(ctx)
	case "departments":
		return st.Departments(ctx)
	case "enterprises":
		return st.Enterprises(ctx)
	case "points":
		return st.Points(ctx)
	case "devices":
		ds, err := st.Devices(ctx, "")
		for i := range ds {
			if ds[i].Password != "" {
				ds[i].Password = "***" // a listing is no place for access passwords
			}
		}
		return ds, err
	case "limits":
		return st.Limits(ctx, "")
	case "targets":
		return st.Targets(ctx)
	}
	return nil, fmt.Errorf("unknown section %q", section)
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// wide reports whether r takes two columns on a terminal (East Asian wide
// and fullwidth characters: CJK ideographs, kana, hangul, fullwidth forms).
func wide(r rune) bool {
	return r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf && r != 0x303f || r >= 0xac00 && r <= 0xd7a3 ||
		r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6 ||
		r >= 0x20000 && r <= 0x3fffd)
}

// displayWidth is how many terminal columns s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n++
		if wide(r) {
			n++
		}
	}
	return n
}

// writeColumns prints rows as columns two spaces apart. text/tabwriter
// counts a Chinese name's characters as one column each where a terminal
// shows two, which skews every column after a name.
func writeColumns(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		b.Reset()
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		b.WriteByte('\n')
		io.WriteString(w, b.String())
	}
}

func printSection(w io.Writer, section string, v any) {
	var rows [][]string
	defer func() { writeColumns(w, rows) }()
	row := func(cells ...any) {
		s := make([]string, len(cells))
		for i, c := range cells {
			s[i] = fmt.Sprint(c)
		}
		rows = append(rows, s)
	}
	switch x := v.(type) {
	case []registry.Region:
		fmt.Fprintf(w, "regions (%d)\n", len(x))
		row("CODE", "NAME", "LEVEL", "PARENT")
		for _, r := range x {
			row(r.Code, r.Name, r.Level, r.ParentCode)
		}
	case []registry.Department:
		fmt.Fprintf(w, "departments (%d)\n", len(x))
		row("CODE", "NAME")
		for _, d := range x {
			row(d.Code, d.Name)
		}
	case []registry.Enterprise:
		fmt.Fprintf(w, "enterprises (%d)\n", len(x))
		row("CREDIT CODE", "NAME", "REGION", "INDUSTRY", "KEY UNITS", "PERMIT")
		for _, e := range x {
			ku := make([]string, len(e.KeyUnits))
			for i, k := range e.KeyUnits {
				ku[i] = string(k)
			}
			row(e.CreditCode, e.Name, e.RegionCode, e.IndustryCode, strings.Join(ku, ","), e.PermitNumber)
		}
	case []registry.Point:
		fmt.Fprintf(w, "points (%d)\n", len(x))
		row("CODE", "NAME", "KIND", "REGION", "ENTERPRISE", "BACKGROUND", "IN CITY AVERAGE", "FACTORS")
		for _, p := range x {
			fs := make([]string, len(p.Factors))
			for i, f := range p.Factors {
				fs[i] = f.Code
			}
			row(p.Code, p.Name, p.Kind, p.RegionCode, p.EnterpriseCode, yn(p.Background), yn(p.InCityAverage), strings.Join(fs, ","))
		}
	case []registry.Device:
		fmt.Fprintf(w, "devices (%d)\n", len(x))
		row("MN", "POINT", "STATE", "PROTOCOL", "QUIRKS")
		for _, d := range x {
			row(d.MN, d.PointCode, d.State, d.ProtocolVersion, strings.Join(d.Quirks, ","))
		}
	case []registry.Limit:
		fmt.Fprintf(w, "limits (%d)\n", len(x))
		row("POINT", "FACTOR", "LIMIT", "REF O2", "STANDARD", "FROM", "TO")
		for _, l := range x {
			o2, to := "", ""
			if l.ReferenceO2 != nil {
				o2 = fmt.Sprint(*l.ReferenceO2)
			}
			if !l.ValidTo.IsZero() {
				to = l.ValidTo.Format("2006-01-02")
			}
			row(l.PointCode, l.Factor, l.Value, o2, l.Standard, l.ValidFrom.Format("2006-01-02"), to)
		}
	case []registry.Target:
		fmt.Fprintf(w, "targets (%d)\n", len(x))
		row("REGION", "YEAR", "INDICATOR", "GOAL", "UNIT", "AS WORDED")
		for _, t := range x {
			op := "≥"
			if t.Comparison == registry.AtMost {
				op = "≤"
			}
			row(t.RegionCode, t.Year, t.Indicator, op+" "+fmt.Sprint(t.Value), t.Unit, t.Name)
		}
	}
}

func registryImport(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "registry import", "registry import [--dry-run] [--skip-bad-rows] [--kind KIND] [--data-dir DIR | --postgres URL] FILE...\n\nFILE is .csv or .xlsx; the kind of each table (enterprises, stations, points, devices, limits) comes from its header unless --kind is given.")
	dry := fs.Bool("dry-run", false, "validate and report, store nothing")
	skip := fs.Bool("skip-bad-rows", false, "import the good rows even when some are bad (default: a file with errors imports nothing)")
	kind := fs.String("kind", "", "force the kind of every table: enterprises, stations, points, devices or limits")
	words, rest := splitPositional(args)
	sf, err := parseStoreCommand(e, fs, rest)
	if err != nil {
		return err
	}
	files := append(words, fs.Args()...)
	if len(files) == 0 {
		return usageError(fs, errors.New("no FILE given"))
	}
	var tables []importer.Table
	for _, f := range files {
		ts, err := importer.ReadFile(f)
		if err != nil {
			return err
		}
		tables = append(tables, ts...)
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := importer.Import(ctx, st, tables, importer.Options{DryRun: *dry, SkipBadRows: *skip, Kind: importer.Kind(*kind)})
	for _, b := range res.Bad {
		fmt.Fprintln(e.Stderr, b)
	}
	var parts []string
	for _, k := range []importer.Kind{importer.Enterprises, importer.Stations, importer.Points, importer.Devices, importer.Limits} {
		if n := res.Applied[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	summary := strings.Join(parts, ", ")
	if summary == "" {
		summary = "nothing"
	}
	switch {
	case err != nil:
		return err
	case res.DryRun:
		fmt.Fprintf(e.Stdout, "dry run: would import %s; %d bad rows\n", summary, len(res.Bad))
	default:
		fmt.Fprintf(e.Stdout, "imported %s; %d bad rows skipped\n", summary, len(res.Bad))
	}
	return nil
}
