package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"time"

	"ecowatch/httpapi"
	"ecowatch/opendata"
)

// The open data part of `ecowatch serve` (issue 12): the API's open data
// settings and publication policy from --opendata and --opendata-policy,
// and the scheduled bulk files in <data-dir>/opendata; plus the
// `ecowatch opendata` commands (download, bulk, bench).

func init() {
	// The web role serves the open data API, the worker role writes the
	// bulk files; in a scaled deployment both need the same --data-dir on
	// shared storage for the web role to serve what the workers write.
	addServePart(servePart{name: "opendata", roles: []string{roleWeb, roleWorker}, start: opendataStart})
	registerCommand(opendataCommand)
}

// opendataClock is the clock of the bulk schedule; tests replace it.
var opendataClock = time.Now

func opendataStart(ctx context.Context, m *Main, api *httpapi.Config) error {
	set, err := opendata.ParseSettings(m.Settings.OpenData)
	if err != nil {
		return err
	}
	pol, err := opendata.ParsePolicy(m.Settings.OpenDataPolicy)
	if err != nil {
		return err
	}
	dir := filepath.Join(m.Settings.DataDir, "opendata")
	if fi, err := os.Stat(m.Settings.DataDir); err != nil || !fi.IsDir() {
		// On PostgreSQL the data directory may not exist: bulk files are
		// written only where an operator made one (--data-dir), never into
		// a default ./data that nobody backs up.
		m.Logger.Info("opendata: no data directory, so no bulk files", "data_dir", m.Settings.DataDir)
		api.OpenData = httpapi.OpenDataConfig{Settings: set, Policy: pol}
		return nil
	}
	api.OpenData = httpapi.OpenDataConfig{Settings: set, Policy: pol, BulkDir: dir}
	if set.BulkEvery == 0 || !m.runs(roleWorker) {
		return nil
	}
	b := &opendata.Bulk{Dir: dir, Policy: pol, Source: m.Store, Settle: set.Settle, Days: set.BulkDays, Now: opendataClock, Log: m.Logger}
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		b.Loop(ctx, set.BulkEvery, nil)
	}()
	return nil
}

const opendataUsage = `usage: ecowatch opendata download|bulk|bench [flags]

  download  fetch the daily bulk files of a period from a server, verifying
            each file's size and SHA-256 against the server's index:
            ecowatch opendata download --server URL --from 2020-01-01 --to 2020-12-31 --out DIR
  bulk      write the bulk files of the last --days days from a store now
            (what serve does on its schedule), e.g. after an import:
            ecowatch opendata bulk --data-dir DIR --days 366
  bench     load a server's open data route and print requests/s and latency:
            ecowatch opendata bench --server http://127.0.0.1:8080 --conns 20 --duration 10s
`

func opendataCommand() command {
	return command{
		Name:    "opendata",
		Summary: "open data: download the bulk files with checksums, generate them, load-test the public API",
		Run: func(ctx context.Context, e env, args []string) error {
			if len(args) == 0 {
				fmt.Fprint(e.Stderr, opendataUsage)
				return errUsage
			}
			switch args[0] {
			case "download":
				return opendataDownload(ctx, e, args[1:])
			case "bulk":
				return opendataBulk(ctx, e, args[1:])
			case "bench":
				return opendataBench(ctx, e, args[1:])
			case "-h", "--help", "help":
				fmt.Fprint(e.Stderr, opendataUsage)
				return nil
			}
			fmt.Fprintf(e.Stderr, "unknown opendata command %q\n%s", args[0], opendataUsage)
			return errUsage
		},
	}
}

func opendataParse(e env, fs *flag.FlagSet, args []string) error {
	if err := parseSettings(fs, args, e.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errUsage
		}
		return errUsage // the flag package printed it with the usage
	}
	return nil
}

func opendataDownload(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "opendata download", "opendata download --server URL --from YYYY-MM-DD --to YYYY-MM-DD --out DIR [--kind hourly|daily] [--key KEY]")
	server := fs.String("server", "", "the ecowatch server, e.g. https://data.example.gov.cn")
	from := fs.String("from", "", "first day, YYYY-MM-DD")
	to := fs.String("to", "", "last day (inclusive), YYYY-MM-DD")
	out := fs.String("out", "", "directory to write <kind>/<year>/<date>.csv.gz into")
	kind := fs.String("kind", "hourly", "hourly or daily")
	key := fs.String("key", "", "open data API key (X-API-Key) for the higher rate limit (also "+envName("key")+")")
	if err := opendataParse(e, fs, args); err != nil {
		return err
	}
	if *server == "" || *from == "" || *to == "" || *out == "" {
		return usageError(fs, errors.New("--server, --from, --to and --out are required"))
	}
	if u, err := url.Parse(*server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError(fs, fmt.Errorf("--server %q: want http(s)://host[:port]", *server))
	}
	d := &opendata.Downloader{Server: *server, Key: *key, Client: &http.Client{Timeout: 5 * time.Minute}, Out: *out, Log: e.Stdout}
	r, err := d.Run(ctx, *kind, *from, *to)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "%d files downloaded (%d bytes), %d already present and verified, %d days without data; every file matched its SHA-256\n",
		r.Fetched, r.Bytes, r.Kept, r.Empty)
	return nil
}

func opendataBulk(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "opendata bulk", "opendata bulk --data-dir DIR|--postgres URL [--days N] [--out DIR] [--policy P]")
	days := fs.Int("days", 31, "days back from today to write")
	out := fs.String("out", "", "bulk directory (default <data-dir>/opendata, where serve publishes from)")
	policy := fs.String("opendata-policy", "", "publication policy, as serve's --opendata-policy")
	settle := fs.Duration("settle", opendata.DefaultSettings.Settle, "days older than this are final")
	sf, err := parseStoreCommand(e, fs, args)
	if err != nil {
		return err
	}
	pol, err := opendata.ParsePolicy(*policy)
	if err != nil {
		return usageError(fs, err)
	}
	dir := *out
	if dir == "" {
		if *sf.dataDir == "" {
			return usageError(fs, errors.New("--out DIR is required with --postgres"))
		}
		dir = filepath.Join(*sf.dataDir, "opendata")
	}
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	b := &opendata.Bulk{Dir: dir, Policy: pol, Source: st, Settle: *settle, Days: *days, Now: opendataClock}
	ix, err := b.Run(ctx)
	if err != nil {
		return err
	}
	rows, files := 0, 0
	for _, f := range ix.Files {
		if f.Rows > 0 {
			rows += f.Rows
			files++
		}
	}
	fmt.Fprintf(e.Stdout, "%s: %d files with %d rows, index %s\n", dir, files, rows, filepath.Join(dir, opendata.IndexName))
	return nil
}

func opendataBench(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "opendata bench", "opendata bench --server URL [--path P] [--conns N] [--duration D] [--key KEY]")
	server := fs.String("server", "http://127.0.0.1:8080", "the ecowatch server")
	path := fs.String("path", "/api/v1/open/air/now", "the route to load")
	conns := fs.Int("conns", 20, "concurrent clients, each sending its next request when the last is answered")
	dur := fs.Duration("duration", 10*time.Second, "run length (at most 10m)")
	key := fs.String("key", "", "open data API key, for its rate limit (also "+envName("key")+")")
	remote := fs.Bool("allow-remote", false, "load a server that is not on this machine (only your own)")
	if err := opendataParse(e, fs, args); err != nil {
		return err
	}
	u, err := url.Parse(*server)
	if err != nil || u.Host == "" {
		return usageError(fs, fmt.Errorf("--server %q: want http(s)://host[:port]", *server))
	}
	if !*remote && !opendataLoopback(u.Hostname()) {
		return usageError(fs, fmt.Errorf("--server %s is not this machine; add --allow-remote to load your own remote server", u.Host))
	}
	if *dur <= 0 || *dur > 10*time.Minute || *conns < 1 || *conns > 1000 {
		return usageError(fs, errors.New("--duration: 0 to 10m, --conns: 1 to 1000"))
	}
	h := http.Header{}
	if *key != "" {
		h.Set("X-API-Key", *key)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *conns}
	r := opendata.Bench(ctx, &http.Client{Transport: tr, Timeout: 30 * time.Second}, *server+*path, h, *conns, *dur)
	var codes []int
	for c := range r.Status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	fmt.Fprintf(e.Stdout, "%s: %d requests in %s, %.0f requests/s, p50 %s, p99 %s, max %s, %d transport errors\n",
		*path, r.Requests, r.Elapsed.Round(time.Millisecond), r.PerSecond, r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond),
		r.Max.Round(10*time.Microsecond), r.Errors)
	for _, c := range codes {
		fmt.Fprintf(e.Stdout, "  HTTP %d: %d\n", c, r.Status[c])
	}
	return nil
}

func opendataLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
