package opendata

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"ecowatch/registry"
	"ecowatch/store"
)

// BulkKinds are the data kinds of the bulk files and the interval kind
// each holds: hourly and daily measurements, and the daily AQI of every
// station and city (written when Bulk.AQI is set).
var BulkKinds = map[string]store.Kind{"hourly": store.Hour, "daily": store.Day, AQIDaily: store.Day}

// AQIDaily is the bulk kind of the daily AQI files: what GET /open/aqi
// answers with kind=day for each city and station, in one file per day,
// cities first; their columns are those of the resource aqi.
const AQIDaily = "aqi-daily"

// IndexFile is one bulk file in the index. A day without data has an
// entry with Rows 0 and no Path, so it is not read again once final.
type IndexFile struct {
	Kind      string    `json:"kind"`
	Date      string    `json:"date"` // YYYY-MM-DD, a day in UTC+8
	Path      string    `json:"path"` // below the bulk directory and the API's /open/bulk/
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
	Rows      int       `json:"rows"`
	Final     bool      `json:"final"` // the day is older than the settle time: the file will not change
	Generated time.Time `json:"generated"`
}

// Index lists the bulk files, by kind and date.
type Index struct {
	Generated time.Time   `json:"generated"`
	Columns   []string    `json:"columns"`
	Files     []IndexFile `json:"files"`
}

// Lookup finds a kind's file of a date.
func (ix Index) Lookup(kind, date string) (IndexFile, bool) {
	for _, f := range ix.Files {
		if f.Kind == kind && f.Date == date {
			return f, true
		}
	}
	return IndexFile{}, false
}

// Source is what the bulk files are read from (a store.Store).
type Source interface {
	Reader
	Points(ctx context.Context) ([]registry.Point, error)
}

// Bulk writes the daily bulk files into Dir: Dir/<kind>/<year>/<date>.csv.gz
// and Dir/index.json. Each file holds what GET /open/measurements answers
// in CSV for that kind and day (the same function writes both), gzipped
// without a name or time in the header, so the same data always gives the
// same bytes and checksum.
type Bulk struct {
	Dir    string
	Policy *Policy
	Source Source
	Settle time.Duration
	Days   int
	Now    func() time.Time
	Log    *slog.Logger
	// AQI computes the daily AQI records of every city and station of a
	// day (the API's own computation, httpapi.OpenDataDailyAQI); nil
	// writes no AQI files.
	AQI func(ctx context.Context, day time.Time) ([]*Record, error)
}

// memoLimits is a Reader that reads each point's limits once.
type memoLimits struct {
	Reader
	m map[string][]registry.Limit
}

func (r *memoLimits) Limits(ctx context.Context, point string) ([]registry.Limit, error) {
	if ls, ok := r.m[point]; ok {
		return ls, nil
	}
	ls, err := r.Reader.Limits(ctx, point)
	if err == nil {
		r.m[point] = ls
	}
	return ls, err
}

// IndexName is the index's file name in the bulk directory.
const IndexName = "index.json"

var datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// FilePath is where a kind's file of a date lives below the bulk
// directory, and below /open/bulk/ in the API.
func FilePath(kind, date string) string { return kind + "/" + date[:4] + "/" + date + ".csv.gz" }

// ReadIndex reads the index of a bulk directory; a directory without one
// has an empty index.
func ReadIndex(dir string) (Index, error) {
	b, err := os.ReadFile(filepath.Join(dir, IndexName))
	if errors.Is(err, fs.ErrNotExist) {
		return Index{Files: []IndexFile{}}, nil
	}
	if err != nil {
		return Index{}, err
	}
	var ix Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return Index{}, fmt.Errorf("%s: %w", filepath.Join(dir, IndexName), err)
	}
	return ix, nil
}

// Run brings the files of the last Days days up to date, newest first:
// a day whose entry is final is kept, any other is written again. It
// writes the index after every day, so an interrupted pass loses nothing.
func (b *Bulk) Run(ctx context.Context) (Index, error) {
	ix, err := ReadIndex(b.Dir)
	if err != nil {
		return ix, err
	}
	pts, err := b.Source.Points(ctx)
	if err != nil {
		return ix, err
	}
	// A pass reads every outlet's limits once per file otherwise: 62
	// times each in a first pass of 31 days.
	limits := &memoLimits{Reader: b.Source, m: map[string][]registry.Limit{}}
	now := b.Now().In(store.CST)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, store.CST)
	kinds := []string{"daily", "hourly"}
	if b.AQI != nil {
		kinds = append(kinds, AQIDaily)
	}
	for i := 0; i < max(b.Days, 1); i++ {
		day := today.AddDate(0, 0, -i)
		for _, kind := range kinds {
			if err := ctx.Err(); err != nil {
				return ix, err
			}
			date := day.Format(time.DateOnly)
			if f, ok := ix.Lookup(kind, date); ok && f.Final {
				continue
			}
			f, err := b.day(ctx, limits, pts, kind, day)
			if err != nil {
				return ix, fmt.Errorf("bulk %s %s: %w", kind, date, err)
			}
			ix.Files = slices.DeleteFunc(ix.Files, func(x IndexFile) bool { return x.Kind == kind && x.Date == date })
			ix.Files = append(ix.Files, f)
		}
	}
	slices.SortFunc(ix.Files, func(a, b IndexFile) int {
		if a.Kind != b.Kind {
			return cmpString(a.Kind, b.Kind)
		}
		return cmpString(a.Date, b.Date)
	})
	ix.Generated = now
	ix.Columns = b.Policy.Columns(Measurement)
	return ix, b.writeIndex(ix)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Day writes one kind's file of one day and returns its index entry.
func (b *Bulk) Day(ctx context.Context, pts []registry.Point, kind string, day time.Time) (IndexFile, error) {
	return b.day(ctx, b.Source, pts, kind, day)
}

// day is Day reading measurements and limits through rd.
func (b *Bulk) day(ctx context.Context, rd Reader, pts []registry.Point, kind string, day time.Time) (IndexFile, error) {
	k, ok := BulkKinds[kind]
	if !ok {
		return IndexFile{}, fmt.Errorf("%w: bulk kind %q: want hourly, daily or %s", store.ErrInvalid, kind, AQIDaily)
	}
	now := b.Now()
	date := day.Format(time.DateOnly)
	f := IndexFile{Kind: kind, Date: date, Generated: now.In(store.CST), Final: !now.Before(day.AddDate(0, 0, 1).Add(b.Settle))}
	res := Measurement
	var recs []*Record
	var err error
	if kind == AQIDaily {
		if b.AQI == nil {
			return f, fmt.Errorf("%w: bulk kind %s needs the AQI computation", store.ErrInvalid, kind)
		}
		res = AQI
		recs, err = b.AQI(ctx, day)
	} else {
		recs, err = b.Policy.Measurements(ctx, rd, Query{Points: pts, Kind: k, From: day, To: day.AddDate(0, 0, 1)})
	}
	if err != nil {
		return f, err
	}
	f.Rows = len(recs)
	full := filepath.Join(b.Dir, filepath.FromSlash(FilePath(kind, date)))
	if len(recs) == 0 {
		// No data: no file, and any earlier one goes (data purged).
		if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return f, err
		}
		return f, nil
	}
	var csvBuf, gz bytes.Buffer
	if err := WriteCSV(&csvBuf, b.Policy.Columns(res), recs); err != nil {
		return f, err
	}
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(csvBuf.Bytes())
	if err := zw.Close(); err != nil {
		return f, err
	}
	sum := sha256.Sum256(gz.Bytes())
	f.Path, f.Size, f.SHA256 = FilePath(kind, date), int64(gz.Len()), hex.EncodeToString(sum[:])
	return f, writeAtomic(full, gz.Bytes())
}

func (b *Bulk) writeIndex(ix Index) error {
	data, err := json.MarshalIndent(ix, "", " ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(b.Dir, IndexName), data)
}

// writeAtomic writes a file by renaming a complete temporary one over it,
// so a reader never sees half a file.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Loop runs Run now and then every `every` until ctx ends; errors are
// logged and retried at the next tick.
func (b *Bulk) Loop(ctx context.Context, every time.Duration, tick func(time.Duration) <-chan time.Time) {
	if tick == nil {
		tick = time.After
	}
	for {
		start := b.Now()
		ix, err := b.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			b.Log.Error("opendata bulk pass failed; retried at the next", "err", err)
		} else {
			b.Log.Info("opendata bulk pass", "files", len(ix.Files), "took", b.Now().Sub(start).String())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick(every):
		}
	}
}

// ValidDate reports whether s is a YYYY-MM-DD date.
func ValidDate(s string) bool {
	if !datePattern.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
