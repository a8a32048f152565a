package cnemc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"ecowatch/assess/aqi"
	"ecowatch/registry"
	"ecowatch/seed"
	"ecowatch/store"
)

// FactorCode is the HJ 212 code of a pollutant (HJ 212-2017 Table B.2).
func FactorCode(p aqi.Pollutant) string {
	return [...]string{aqi.SO2: "a21026", aqi.NO2: "a21004", aqi.PM10: "a34002", aqi.CO: "a21005", aqi.O3: "a05024", aqi.PM25: "a34004"}[p]
}

// Options configure an import.
type Options struct {
	// SQL, when set, keeps a checkpoint per file (by content hash) so an
	// interrupted import resumes after the last batch stored, and audits
	// the run. Without it every run starts at the top (still idempotent).
	SQL *store.SQL
	// Restart ignores a checkpoint.
	Restart bool
	// Progress receives a line at every 10 % of the file; nil for none.
	Progress io.Writer
	// BatchRows is the number of rows per stored batch; 0 is 2000.
	BatchRows int
	Actor     string
	Now       func() time.Time
	// Simulated labels the city-level points created with SimulatedLabel
	// (demo data derived by SimulateOthers).
	Simulated bool
}

// Summary is what an import did.
type Summary struct {
	File     string         `json:"file"`
	Layout   Layout         `json:"layout"`
	Read     int            `json:"rows_read"`
	Stored   int            `json:"rows_stored"`
	Values   int            `json:"values_stored"`
	Skipped  int            `json:"rows_skipped"` // before the checkpoint, or derived types
	Rejected int            `json:"rows_rejected"`
	Reasons  map[string]int `json:"reasons"`
	// Examples are the first rejected rows, "line N: reason".
	Examples      []string `json:"examples"`
	UnknownPoints []string `json:"unknown_points"`
	CreatedPoints []string `json:"created_points"`
	Resumed       int      `json:"resumed_after_line"`
}

// String is the summary as the command line prints it: counts, the
// rejection reasons with a few examples, unknown and created points.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s layout): %d rows read, %d stored (%d values), %d skipped, %d rejected", s.File, s.Layout, s.Read, s.Stored, s.Values, s.Skipped, s.Rejected)
	if s.Resumed > 0 {
		fmt.Fprintf(&b, "; resumed after line %d", s.Resumed)
	}
	reasons := make([]string, 0, len(s.Reasons))
	for r := range s.Reasons {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(&b, "\n  rejected %d × %s", s.Reasons[r], r)
	}
	for _, e := range s.Examples {
		fmt.Fprintf(&b, "\n  e.g. %s", e)
	}
	if len(s.UnknownPoints) > 0 {
		fmt.Fprintf(&b, "\n  stations not in the registry (values not stored): %s", strings.Join(s.UnknownPoints, ", "))
	}
	if len(s.CreatedPoints) > 0 {
		fmt.Fprintf(&b, "\n  city-level points created: %s", strings.Join(s.CreatedPoints, ", "))
	}
	return b.String()
}

// reason reduces an error to its kind, so the summary counts like with like.
func reason(err error) string {
	s := err.Error()
	for _, k := range []string{"row has", "date", "hour", "time point", "city", "type", "empty station"} {
		if strings.HasPrefix(s, k) {
			return strings.SplitN(s, " ", 2)[0] + " malformed"
		}
	}
	if strings.Contains(s, "negative") {
		return "negative value"
	}
	if strings.Contains(s, "not a decimal") {
		return "value not a decimal"
	}
	return "malformed row"
}

// Import reads one file's bytes (name is for messages) and stores its
// hourly values. It is idempotent: values are keyed by point, factor, kind
// and time, and a repeat changes nothing.
func Import(ctx context.Context, st store.Store, name string, data []byte, opt Options) (Summary, error) {
	sum := Summary{File: name, Reasons: map[string]int{}, UnknownPoints: []string{}, CreatedPoints: []string{}, Examples: []string{}}
	if opt.BatchRows <= 0 {
		opt.BatchRows = 2000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	h := sha256.Sum256(data)
	hash := hex.EncodeToString(h[:])
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err != nil {
		return sum, fmt.Errorf("%s: reading the header: %w", name, err)
	}
	p, err := NewParser(header)
	if err != nil {
		return sum, fmt.Errorf("%s: %w", name, err)
	}
	sum.Layout = p.Layout
	if opt.SQL != nil && !opt.Restart {
		// A finished file has its last line as checkpoint: a repeat
		// skips it all.
		line, err := checkpoint(ctx, *opt.SQL, hash)
		if err != nil {
			return sum, err
		}
		sum.Resumed = line
	}
	known := map[string]bool{}
	unknown := map[string]bool{}
	resolve := func(code string) (bool, error) {
		if ok, seen := known[code]; seen {
			return ok, nil
		}
		_, err := st.Point(ctx, code)
		switch {
		case err == nil:
			known[code] = true
		case errors.Is(err, store.ErrNotFound) && strings.HasPrefix(code, "city-"):
			if err := createCityPoint(ctx, st, strings.TrimPrefix(code, "city-"), opt.Simulated); err != nil {
				return false, err
			}
			sum.CreatedPoints = append(sum.CreatedPoints, code)
			known[code] = true
		case errors.Is(err, store.ErrNotFound):
			known[code] = false
			unknown[code] = true
		default:
			return false, err
		}
		return known[code], nil
	}
	var batch []store.Measurement
	rowsInBatch, storedInBatch := 0, 0
	line := 1
	flush := func() error {
		if len(batch) > 0 {
			if err := st.WriteMeasurements(ctx, batch); err != nil {
				return fmt.Errorf("%s: storing the rows before line %d: %w", name, line+1, err)
			}
		}
		sum.Values += len(batch)
		sum.Stored += storedInBatch
		batch, rowsInBatch, storedInBatch = batch[:0], 0, 0
		if opt.SQL != nil {
			return saveCheckpoint(ctx, *opt.SQL, hash, p.Layout, name, line, false, opt.Now())
		}
		return nil
	}
	nextPct := 10
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				sum.Read++
				sum.Rejected++
				sum.Reasons["CSV syntax"]++
				if len(sum.Examples) < 10 {
					sum.Examples = append(sum.Examples, fmt.Sprintf("line %d: %v", line, pe.Err))
				}
				continue
			}
			return sum, err
		}
		sum.Read++
		if line <= sum.Resumed {
			sum.Skipped++
			continue
		}
		cells, err := p.Row(rec)
		if errors.Is(err, ErrSkip) {
			sum.Skipped++
			continue
		}
		if err != nil {
			sum.Rejected++
			sum.Reasons[reason(err)]++
			if len(sum.Examples) < 10 {
				sum.Examples = append(sum.Examples, fmt.Sprintf("line %d: %v", line, err))
			}
			continue
		}
		n := 0
		for _, c := range cells {
			ok, err := resolve(c.Point)
			if err != nil {
				return sum, err
			}
			if !ok {
				continue
			}
			n++
			batch = append(batch, store.Measurement{Point: c.Point, Factor: FactorCode(c.Pollutant), Kind: store.Hour, Time: c.Time,
				Values: store.Values{}.With(store.Avg, c.Value)})
		}
		if n > 0 {
			storedInBatch++
		} else {
			sum.Rejected++
			r := "no value to store"
			if len(cells) > 0 {
				r = "station not in the registry"
			}
			sum.Reasons[r]++
		}
		rowsInBatch++
		if rowsInBatch >= opt.BatchRows {
			if err := flush(); err != nil {
				return sum, err
			}
		}
		if opt.Progress != nil && len(data) > 0 {
			pct := int(cr.InputOffset() * 100 / int64(len(data)))
			for pct >= nextPct && nextPct <= 100 {
				fmt.Fprintf(opt.Progress, "import cnemc %s: %3d%% (%d rows)\n", name, nextPct, sum.Read)
				nextPct += 10
			}
		}
	}
	if err := flush(); err != nil {
		return sum, err
	}
	for c := range unknown {
		sum.UnknownPoints = append(sum.UnknownPoints, c)
	}
	sort.Strings(sum.UnknownPoints)
	if opt.SQL != nil {
		err := opt.SQL.Tx(ctx, func(tx *sql.Tx) error {
			if err := saveCheckpointTx(ctx, *opt.SQL, tx, hash, p.Layout, name, line, true, opt.Now()); err != nil {
				return err
			}
			_, err := opt.SQL.AppendAudit(ctx, tx, store.AuditEntry{Actor: opt.Actor, Action: "targets.import_cnemc", Object: "file:" + name,
				Detail: fmt.Sprintf("sha256 %s; %d read, %d stored, %d rejected", hash[:16], sum.Read, sum.Stored, sum.Rejected), Time: opt.Now()})
			return err
		})
		if err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// createCityPoint registers the city-level point of a city, at the mean
// position of the city's stations; it is left out of city averages (it is
// one already).
func createCityPoint(ctx context.Context, st store.Store, adcode string, simulated bool) error {
	r, err := st.Region(ctx, adcode)
	if err != nil {
		return fmt.Errorf("city-level point for %s: %w (seed the regions first: ecowatch seed hunan)", adcode, err)
	}
	pts, err := st.Points(ctx)
	if err != nil {
		return err
	}
	var lon, lat float64
	n := 0
	for _, p := range pts {
		if p.Kind == registry.KindAirStation && p.RegionCode == adcode && !strings.HasPrefix(p.Code, "city-") {
			lon, lat, n = lon+p.Lon, lat+p.Lat, n+1
		}
	}
	if n > 0 {
		lon, lat = lon/float64(n), lat/float64(n)
	}
	name := r.Name + "（城市均值，国家实时发布）"
	if simulated {
		name = r.Name + "（城市均值，" + SimulatedLabel + "）"
	}
	return st.UpsertPoint(ctx, registry.Point{Code: CityPoint(adcode), Name: name, Kind: registry.KindAirStation,
		RegionCode: adcode, Lon: lon, Lat: lat, Level: registry.National, Background: false, InCityAverage: false, Factors: seed.AirFactors})
}

func checkpoint(ctx context.Context, s store.SQL, hash string) (int, error) {
	var line int64
	err := s.R.QueryRowContext(ctx, s.Q(`SELECT line FROM targets_import_checkpoint WHERE file_hash = ?`), hash).Scan(&line)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("import checkpoint: %w", err)
	}
	return int(line), nil
}

func saveCheckpoint(ctx context.Context, s store.SQL, hash string, l Layout, name string, line int, done bool, now time.Time) error {
	return s.Tx(ctx, func(tx *sql.Tx) error { return saveCheckpointTx(ctx, s, tx, hash, l, name, line, done, now) })
}

func saveCheckpointTx(ctx context.Context, s store.SQL, tx *sql.Tx, hash string, l Layout, name string, line int, done bool, now time.Time) error {
	_, err := tx.ExecContext(ctx, s.Q(`INSERT INTO targets_import_checkpoint (file_hash, layout, name, line, done, updated) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (file_hash) DO UPDATE SET line = excluded.line, done = excluded.done, updated = excluded.updated, name = excluded.name`),
		hash, string(l), name, line, done, now.Unix())
	if err != nil {
		return fmt.Errorf("import checkpoint: %w", err)
	}
	return nil
}
