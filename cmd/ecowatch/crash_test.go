package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"ecowatch/hj212"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/sqlite"
)

// TestCrashKeepsEveryAcknowledgedFrame runs the real binary under load and
// kills it with SIGKILL three times, restarting it on the same data
// directory, then stops it with SIGTERM. Half the devices wait for each
// acknowledgement, half send four frames at a time. A device that received an acknowledgement was told its frame
// is safe; after every crash each such frame must be in the raw archive
// and its value in the measurements.
func TestCrashKeepsEveryAcknowledgedFrame(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "ecowatch")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the crash test builds the server and needs the go command on PATH: %v", err)
	}
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	start := time.Now()
	if out, err := exec.Command(gobin, append(args, "ecowatch/cmd/ecowatch")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the server in %v (race detector: %v)", time.Since(start).Round(time.Millisecond), raceEnabled)
	dataDir := t.TempDir()
	const devices = 12
	mn := func(i int) string { return fmt.Sprintf("CRASH%09d", i) }
	point := func(i int) string { return fmt.Sprintf("PC%02d", i) }
	ctx := context.Background()
	var st *sqlite.Store
	st, err = sqlite.Open(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	seedPoint(t, st, point(0))
	for i := range devices {
		if err := st.UpsertPoint(ctx, registry.Point{Code: point(i), Name: "p", Kind: registry.KindAirStation, RegionCode: "430100"}); err != nil {
			t.Fatal(err)
		}
		if err := st.UpsertDevice(ctx, registry.Device{MN: mn(i), Password: "pw", ProtocolVersion: "HJ212-2017",
			PointCode: point(i), State: registry.DeviceActive}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	base := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	var mu sync.Mutex
	next := make([]int, devices)    // next hour index per device
	acked := make([][]int, devices) // hour indexes whose 9014 arrived
	const rounds = 4                // three SIGKILLs, then a SIGTERM
	for round := range rounds {
		cmd := exec.Command(bin, "serve", "--data-dir", dataDir, "--gateway-addr", "127.0.0.1:0",
			"--http-addr", "127.0.0.1:0", "--clock-drift", "-1s", "--backfill=false", "--max-frame-rate", "-1")
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		addr := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				var rec struct {
					Msg         string `json:"msg"`
					GatewayAddr string `json:"gateway_addr"`
				}
				if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "ecowatch serving" {
					addr <- rec.GatewayAddr
				}
			}
		}()
		var gw string
		select {
		case gw = <-addr:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("round %d: server did not start", round)
		}

		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range devices {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := net.Dial("tcp", gw)
				if err != nil {
					return
				}
				defer c.Close()
				sc := hj212.NewScanner(c)
				// Odd devices upload a backlog: four frames in one write,
				// which the gateway commits and answers together.
				burst := 1 + 3*(i%2)
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					h := next[i]
					next[i] += burst
					mu.Unlock()
					var out []byte
					for k := range burst {
						qn := fmt.Sprintf("2020010100%07d", h+k)
						out = append(out, hourly(qn, "pw", mn(i), hj212.FormatTime(base.Add(time.Duration(h+k)*time.Hour)), fmt.Sprint(h+k))...)
					}
					c.SetDeadline(time.Now().Add(10 * time.Second))
					if _, err := c.Write(out); err != nil {
						return
					}
					for k := range burst {
						qn := fmt.Sprintf("2020010100%07d", h+k)
						if !sc.Scan() {
							return // killed: this frame's fate is unknown, and that is allowed
						}
						f, err := hj212.Decode(sc.Bytes(), hj212.Strict)
						if err != nil || f.CN != "9014" || f.QN != qn {
							t.Errorf("device %d: reply %q to QN %s", i, sc.Bytes(), qn)
							return
						}
						mu.Lock()
						acked[i] = append(acked[i], h+k)
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(600+300*round) * time.Millisecond)
		if round < rounds-1 {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
		} else {
			// The last round ends with SIGTERM under the same load: a
			// graceful shutdown finishes in-flight commits and acks and
			// exits 0.
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("after SIGTERM the server exited with %v, want status 0", err)
				}
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Error("the server did not stop within 30 s of SIGTERM")
			}
		}
		close(stop)
		wg.Wait()
	}

	st, err = sqlite.Open(ctx, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	total := 0
	for i := range devices {
		ms, err := st.Measurements(ctx, store.MeasurementQuery{Point: point(i), Factor: "a21026", Kind: store.Hour,
			From: base, To: base.Add(time.Duration(next[i]+1) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		have := map[int64]float64{}
		for _, m := range ms {
			v, _ := m.Values.Get(store.Avg)
			have[m.Time.Unix()] = v
		}
		frames, err := st.Frames(ctx, store.FrameQuery{MN: mn(i), Limit: 1000000})
		if err != nil {
			t.Fatal(err)
		}
		qns := map[string]bool{}
		for _, f := range frames {
			qns[f.QN] = true
		}
		for _, h := range acked[i] {
			total++
			if v, ok := have[base.Add(time.Duration(h)*time.Hour).Unix()]; !ok || v != float64(h) {
				t.Errorf("device %d: acknowledged hour %d missing from the measurements (got %v, %v)", i, h, v, ok)
			}
			if !qns[fmt.Sprintf("2020010100%07d", h)] {
				t.Errorf("device %d: acknowledged frame of hour %d missing from the raw archive", i, h)
			}
		}
	}
	// The test proves something only if frames were acknowledged in every
	// round; a few hundred is the least this machine manages.
	if total < 100 {
		t.Fatalf("only %d frames acknowledged over %d rounds: the load was too light to test anything", total, rounds)
	}
	if !t.Failed() {
		t.Logf("%d acknowledged frames over %d SIGKILLs and a SIGTERM, all in the store", total, rounds-1)
	}
}
