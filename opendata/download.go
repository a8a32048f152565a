package opendata

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Downloader fetches bulk files from a server's /api/v1/open/bulk and
// verifies each against the index's size and SHA-256. Files already
// present with the right checksum are not fetched again, so a run that
// was cut off resumes where it stopped.
type Downloader struct {
	Server string // e.g. https://ecowatch.example.org
	Key    string // an API key (X-API-Key), or "" for the anonymous limits
	Client *http.Client
	Out    string
	Log    io.Writer
	// Sleep waits out a 429's Retry-After; nil uses time.Sleep-like waiting on ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DownloadResult counts what a run did.
type DownloadResult struct {
	Fetched, Kept, Empty int
	Bytes                int64
}

func (d *Downloader) get(ctx context.Context, path string) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(d.Server, "/")+"/api/v1/open/bulk"+path, nil)
		if err != nil {
			return nil, err
		}
		if d.Key != "" {
			req.Header.Set("X-API-Key", d.Key)
		}
		res, err := d.Client.Do(req)
		if err != nil {
			return nil, err
		}
		if res.StatusCode == http.StatusTooManyRequests && attempt < 20 {
			res.Body.Close()
			wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
			if err := d.sleep(ctx, time.Duration(max(wait, 1))*time.Second); err != nil {
				return nil, err
			}
			continue
		}
		if res.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
			res.Body.Close()
			return nil, fmt.Errorf("GET %s: %s: %s", req.URL, res.Status, strings.TrimSpace(string(b)))
		}
		return res, nil
	}
}

func (d *Downloader) sleep(ctx context.Context, t time.Duration) error {
	if d.Sleep != nil {
		return d.Sleep(ctx, t)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(t):
		return nil
	}
}

// Index fetches the server's bulk index.
func (d *Downloader) Index(ctx context.Context) (Index, error) {
	res, err := d.get(ctx, "")
	if err != nil {
		return Index{}, err
	}
	defer res.Body.Close()
	var ix Index
	if err := json.NewDecoder(io.LimitReader(res.Body, 64<<20)).Decode(&ix); err != nil {
		return Index{}, fmt.Errorf("bulk index: %w", err)
	}
	return ix, nil
}

// Run downloads the files of a kind for the dates from..to (inclusive,
// YYYY-MM-DD) into Out/<kind>/<year>/<date>.csv.gz.
func (d *Downloader) Run(ctx context.Context, kind, from, to string) (DownloadResult, error) {
	var r DownloadResult
	if _, ok := BulkKinds[kind]; !ok {
		return r, fmt.Errorf("kind %q: want hourly or daily", kind)
	}
	if !ValidDate(from) || !ValidDate(to) || to < from {
		return r, fmt.Errorf("--from %q --to %q: want two YYYY-MM-DD dates, from not after to", from, to)
	}
	ix, err := d.Index(ctx)
	if err != nil {
		return r, err
	}
	for _, f := range ix.Files {
		if f.Kind != kind || f.Date < from || f.Date > to {
			continue
		}
		if f.Rows == 0 || f.Path == "" {
			r.Empty++
			continue
		}
		if f.Path != FilePath(f.Kind, f.Date) || !ValidDate(f.Date) {
			return r, fmt.Errorf("bulk index: unexpected path %q for %s %s", f.Path, f.Kind, f.Date)
		}
		dst := filepath.Join(d.Out, filepath.FromSlash(f.Path))
		if sum, size, err := fileSum(dst); err == nil && sum == f.SHA256 && size == f.Size {
			r.Kept++
			continue
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return r, err
		}
		n, err := d.fetch(ctx, f, dst)
		if err != nil {
			return r, err
		}
		r.Fetched++
		r.Bytes += n
		if d.Log != nil {
			fmt.Fprintf(d.Log, "%s %d bytes sha256 %s ok\n", f.Path, n, f.SHA256[:12])
		}
	}
	return r, nil
}

func (d *Downloader) fetch(ctx context.Context, f IndexFile, dst string) (int64, error) {
	res, err := d.get(ctx, "/"+f.Path)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(res.Body, f.Size+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("%s: %w", f.Path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != f.Size || got != f.SHA256 {
		return n, fmt.Errorf("%s: checksum mismatch: got %d bytes sha256 %s, the index says %d bytes sha256 %s", f.Path, n, got, f.Size, f.SHA256)
	}
	return n, os.Rename(tmp.Name(), dst)
}

func fileSum(path string) (string, int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	return hex.EncodeToString(h.Sum(nil)), n, err
}
