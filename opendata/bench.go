package opendata

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// BenchResult is what a load run measured.
type BenchResult struct {
	Requests  int
	Errors    int         // transport errors
	Status    map[int]int // answers by HTTP status
	Elapsed   time.Duration
	P50, P99  time.Duration
	Max       time.Duration
	Bytes     int64
	PerSecond float64
}

// Bench sends GET url from conns concurrent clients for d (each waits for
// its answer before the next, a closed loop) and measures the latency of
// every request. header is added to every request (an X-API-Key, an
// Authorization).
func Bench(ctx context.Context, client *http.Client, url string, header http.Header, conns int, d time.Duration) BenchResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	res := BenchResult{Status: map[int]int{}}
	var lat []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range max(conns, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			status := map[int]int{}
			var errs int
			var n int64
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				for k, v := range header {
					req.Header[k] = v
				}
				t0 := time.Now()
				r, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs++
					}
					continue
				}
				b, _ := io.Copy(io.Discard, r.Body)
				r.Body.Close()
				mine = append(mine, time.Since(t0))
				status[r.StatusCode]++
				n += b
			}
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, mine...)
			for k, v := range status {
				res.Status[k] += v
			}
			res.Errors += errs
			res.Bytes += n
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Requests = len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		res.P50, res.P99, res.Max = q(0.50), q(0.99), lat[len(lat)-1]
		res.PerSecond = float64(len(lat)) / res.Elapsed.Seconds()
	}
	return res
}
