package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"ecowatch/auth"
	"ecowatch/hj212"
	"ecowatch/registry"
	"ecowatch/store"
)

// startMain runs `ecowatch serve` in-process on free loopback ports in a
// temp directory.
func startMain(t *testing.T) *Main {
	t.Helper()
	m := &Main{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Settings.flags(fs)
	if err := fs.Parse([]string{"--data-dir", t.TempDir(), "--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--clock-drift", "-1s"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m
}

// seedPoint creates the region and air-station point a test device is
// registered at.
func seedPoint(t testing.TB, st store.Registry, code string) {
	t.Helper()
	ctx := context.Background()
	for _, r := range []registry.Region{{Code: "430000", Name: "湖南省"}, {Code: "430100", Name: "长沙市"}} {
		if err := st.UpsertRegion(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.UpsertPoint(ctx, registry.Point{Code: code, Name: "test station", Kind: registry.KindAirStation,
		RegionCode: "430100"}); err != nil {
		t.Fatal(err)
	}
}

// hourly builds a 2061 upload by hand (Table 2 framing, Appendix A CRC).
func hourly(qn, pw, mn, dataTime, so2 string) []byte {
	seg := "QN=" + qn + ";ST=22;CN=2061;PW=" + pw + ";MN=" + mn + ";Flag=5;CP=&&DataTime=" + dataTime +
		";a21026-Avg=" + so2 + ",a21026-Flag=N&&"
	return []byte(fmt.Sprintf("##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg))))
}

func serveCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, args)
	return out.String() + errb.String(), code
}

func TestServeEndToEnd(t *testing.T) {
	m := startMain(t)
	seedPoint(t, m.Store, "P1")
	server := "http://" + m.HTTPAddr
	const mn = "88888880000001"

	c, err := net.Dial("tcp", m.GatewayAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := hj212.NewScanner(c)
	readFrame := func() *hj212.Frame {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if !sc.Scan() {
			t.Fatalf("no frame from the gateway: %v", sc.Err())
		}
		f, err := hj212.Decode(sc.Bytes(), hj212.Strict)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	// Unregistered: archived, acknowledged, waiting.
	c.Write(hourly("20200101010000001", "pw1", mn, "20200101000000", "12.5"))
	if f := readFrame(); f.CN != "9014" || f.QN != "20200101010000001" {
		t.Fatalf("reply %+v", f)
	}
	// The first administrator and a token for the device CLI, made in the
	// store of the running server.
	dir := m.Settings.DataDir
	out, code := serveCLI(t, "user", "add", "admin", "--role", "admin", "--generate-password", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "password for admin: ") {
		t.Fatalf("user add (%d):\n%s", code, out)
	}
	password := strings.TrimSpace(strings.SplitN(strings.SplitN(out, "password for admin: ", 2)[1], "\n", 2)[0])
	out, code = serveCLI(t, "user", "token", "admin", "--scopes", "devices:read,devices:write", "--data-dir", dir)
	token := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(token, "ew_") {
		t.Fatalf("user token (%d):\n%s", code, out)
	}
	if out, code := serveCLI(t, "device", "--server", server, "waiting"); code != 2 || !strings.Contains(out, "token is required") {
		t.Fatalf("device without a token (%d):\n%s", code, out)
	}
	if out, code := serveCLI(t, "device", "--server", server, "--token", "ew_wrong", "waiting"); code != 1 || !strings.Contains(out, "401") {
		t.Fatalf("device with a wrong token (%d):\n%s", code, out)
	}
	// The gateway's old unauthenticated API is gone.
	if resp, err := http.Get(server + "/api/gateway/waiting"); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || strings.Contains(string(b), mn) {
			t.Fatalf("/api/gateway/waiting: %s %s, want 404", resp.Status, b)
		}
	}
	// A browser signs in with the password.
	resp, err := http.Post(server+"/api/v1/session", "application/json", strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(resp.Cookies()) == 0 || !resp.Cookies()[0].HttpOnly {
		t.Fatalf("sign in: %s %v", resp.Status, resp.Cookies())
	}

	out, code = serveCLI(t, "device", "--server", server, "--token", token, "--token", token, "waiting")
	if code != 0 || !strings.Contains(out, mn) {
		t.Fatalf("device waiting (%d):\n%s", code, out)
	}

	// Registering replays the archived frame into a measurement.
	out, code = serveCLI(t, "device", "--server", server, "--token", token, "register", mn, "--point", "P1", "--password", "pw1")
	if code != 0 || !strings.Contains(out, "1 archived frames replayed") {
		t.Fatalf("device register (%d):\n%s", code, out)
	}
	hour := func(h int) time.Time { return time.Date(2020, 1, 1, h, 0, 0, 0, store.CST) }
	ms, err := m.Store.Measurements(context.Background(), store.MeasurementQuery{Point: "P1", Factor: "a21026",
		Kind: store.Hour, From: hour(0), To: hour(5)})
	if err != nil || len(ms) != 1 {
		t.Fatalf("after replay: %v %+v", err, ms)
	}
	if v, _ := ms[0].Values.Get(store.Avg); v != 12.5 {
		t.Fatalf("replayed SO2 %v, want 12.5 from the frame", v)
	}

	// Registered: ingested directly.
	c.Write(hourly("20200101020000001", "pw1", mn, "20200101010000", "13.5"))
	if f := readFrame(); f.CN != "9014" {
		t.Fatalf("reply %+v", f)
	}
	ms, _ = m.Store.Measurements(context.Background(), store.MeasurementQuery{Point: "P1", Factor: "a21026",
		Kind: store.Hour, From: hour(0), To: hour(5)})
	if len(ms) != 2 {
		t.Fatalf("acknowledged frame not in the store when its ack arrived: %+v", ms)
	}

	// A re-send (补发) of hour 1 with a corrected value: acknowledged
	// again, archived again (evidence), and the measurement replaced, not
	// duplicated (store.Wins: the later receipt wins).
	c.Write(hourly("20200101020000002", "pw1", mn, "20200101010000", "14.5"))
	if f := readFrame(); f.CN != "9014" {
		t.Fatalf("reply %+v", f)
	}
	ms, _ = m.Store.Measurements(context.Background(), store.MeasurementQuery{Point: "P1", Factor: "a21026",
		Kind: store.Hour, From: hour(0), To: hour(5)})
	if len(ms) != 2 {
		t.Fatalf("a re-send duplicated a measurement: %+v", ms)
	}
	if v, _ := ms[1].Values.Get(store.Avg); v != 14.5 {
		t.Fatalf("hour 1 after the re-send: %v, want 14.5", v)
	}
	frames, err := m.Store.Frames(context.Background(), store.FrameQuery{MN: mn})
	if err != nil || len(frames) != 3 {
		t.Fatalf("raw archive holds %d frames (%v), want all 3 receipts", len(frames), err)
	}

	// Reverse control through the CLI, answered by this fake device.
	go func() {
		f := readFrame()
		if f.CN != "1062" {
			t.Errorf("request %+v, want 1062", f)
			return
		}
		for _, a := range []*hj212.Frame{hj212.RequestAnswer(f, hj212.QnRtnReady), hj212.ExecutionResult(f, hj212.ExeRtnOK)} {
			b, _ := hj212.Encode(a)
			c.Write(b)
		}
	}()
	out, code = serveCLI(t, "device", "--server", server, "--token", token, "command", mn, "1062", "RtdInterval=30", "--wait", "10s")
	if code != 0 || !strings.Contains(out, "state=executed") {
		t.Fatalf("device command (%d):\n%s", code, out)
	}
	out, code = serveCLI(t, "device", "--server", server, "--token", token, "history", mn)
	if code != 0 || !strings.Contains(out, "CN=1062") || !strings.Contains(out, "accepted") || !strings.Contains(out, "executed") {
		t.Fatalf("device history (%d):\n%s", code, out)
	}
	out, code = serveCLI(t, "device", "--server", server, "--token", token, "command", mn)
	if code != 2 || !strings.Contains(out, "missing arguments") {
		t.Fatalf("device command without a CN (%d):\n%s", code, out)
	}
	out, code = serveCLI(t, "device", "--server", server, "--token", token, "presence")
	if code != 0 || !strings.Contains(out, mn) || !strings.Contains(out, "true") {
		t.Fatalf("device presence (%d):\n%s", code, out)
	}
	out, code = serveCLI(t, "device", "--server", server, "--token", token, "list")
	if code != 0 || !strings.Contains(out, mn) || !strings.Contains(out, "P1") {
		t.Fatalf("device list (%d):\n%s", code, out)
	}
	// An unknown point is the operator's mistake: 400 with the reason.
	out, code = serveCLI(t, "device", "--server", server, "--token", token, "register", "X1", "--point", "NOPE")
	if code != 1 || !strings.Contains(out, "422") {
		t.Fatalf("register at an unknown point (%d):\n%s", code, out)
	}

	resp, err = http.Get(server + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`ecowatch_gateway_frames_total{cn="2061",verdict="unregistered"} 1`,
		`ecowatch_gateway_frames_total{cn="2061",verdict="ok"} 2`, `ecowatch_gateway_acks_total{cn="9014"} 3`,
		"ecowatch_gateway_commit_seconds_bucket", "ecowatch_ingest_frames_total", "process_resident_memory_bytes"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

}

func TestServeRunFailsCleanly(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	m := &Main{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Settings.flags(fs)
	dir := t.TempDir()
	fs.Parse([]string{"--data-dir", dir, "--gateway-addr", "127.0.0.1:0", "--http-addr", busy.Addr().String()})
	err = m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "http listen") {
		t.Fatalf("got %v, want an http listen error", err)
	}
	// Everything Run opened is closed again: the store can be reopened
	// and the gateway port is free.
	ln, err := net.Listen("tcp", m.GatewayAddr)
	if err != nil {
		t.Fatalf("gateway port still held after a failed Run: %v", err)
	}
	ln.Close()
}

func TestToGatewayDevice(t *testing.T) {
	// Quirks come from the registry by name; a 2005 device may omit QN and
	// Flag, which HJ/T 212-2005 did not require.
	g := toGateway(registry.Device{MN: "M", Password: "p", PointCode: "P", ProtocolVersion: "HJ212-2005",
		Quirks: []string{"lowercase-crc"}, State: registry.DeviceSuspended})
	if g.Mode.Allow != hj212.QuirkLowercaseCRC|hj212.QuirkMissingField || !g.Suspended || g.Point != "P" || g.Password != "p" {
		t.Fatalf("%+v", g)
	}
	if g := toGateway(registry.Device{MN: "M", ProtocolVersion: "HJ212-2017", State: registry.DeviceActive}); g.Mode != hj212.Strict {
		t.Fatalf("a 2017 device without quirks must be strict: %+v", g)
	}
}

func TestServeRetention(t *testing.T) {
	m := &Main{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Settings.flags(fs)
	if err := fs.Parse([]string{"--data-dir", t.TempDir(), "--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--retention", "hour=30d", "--retention-every", "50ms", "--clock-drift", "-1s"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	seedPoint(t, m.Store, "R1")
	ctx := context.Background()
	if err := m.Store.UpsertDevice(ctx, registry.Device{MN: "RET1", Password: "pw", ProtocolVersion: "HJ212-2017",
		PointCode: "R1", State: registry.DeviceActive}); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", m.GatewayAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(hourly("20200101010000001", "pw", "RET1", "20200101000000", "1"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if sc := hj212.NewScanner(c); !sc.Scan() {
		t.Fatal("no ack")
	}
	// Hourly data of 2020 is older than the 30 days kept: a later pass
	// of the retention job removes it.
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, store.CST)
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ms, err := m.Store.Measurements(ctx, store.MeasurementQuery{Point: "R1", Factor: "a21026", Kind: store.Hour,
			From: t0, To: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the retention job never purged data older than --retention")
		}
	}
	// The frame itself is kept (frames default to 10 years): it was
	// ingested, and only its hourly values aged out.
	if fr, err := m.Store.Frames(ctx, store.FrameQuery{MN: "RET1"}); err != nil || len(fr) != 1 {
		t.Fatalf("frames %v %v, want the one received", fr, err)
	}
	bad := &Main{Logger: m.Logger}
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	bad.Settings.flags(fs)
	fs.Parse([]string{"--data-dir", t.TempDir(), "--retention", "hour=soon"})
	if err := bad.Run(ctx); err == nil || !strings.Contains(err.Error(), "retention") {
		t.Fatalf("a bad --retention must stop the start, got %v", err)
	}
}

// TestServeClosesEventStreams: a browser's open event stream must not hold
// up shutdown (http.Server.Shutdown waits for idle connections, and a
// stream never idles).
func TestServeClosesEventStreams(t *testing.T) {
	m := &Main{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	m.Settings.flags(fs)
	if err := fs.Parse([]string{"--data-dir", t.TempDir(), "--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	acc := m.Store.(store.Accounts)
	id, err := acc.CreateUser(context.Background(), store.User{Username: "p", Role: "province", PasswordHash: auth.HashPassword("Xiangjiang-2020")})
	if err != nil {
		t.Fatal(err)
	}
	secret, hash := auth.NewToken()
	if _, err := acc.CreateToken(context.Background(), store.Token{UserID: id, Name: "t", Hash: hash, Scopes: []string{"devices:read"}}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+m.HTTPAddr+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("events: %s", resp.Status)
	}
	start := time.Now()
	if err := m.Close(); err != nil {
		t.Fatalf("close with an open stream: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("close took %s", d)
	}
}
