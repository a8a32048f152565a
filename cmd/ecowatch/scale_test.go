package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	njs "github.com/nats-io/nats.go/jetstream"

	"ecowatch/auth"
	"ecowatch/bus/jetstream"
	"ecowatch/hj212"
	"ecowatch/loadgen"
	"ecowatch/registry"
	"ecowatch/store"
	"ecowatch/store/postgres"
	"ecowatch/store/postgres/pgtest"
)

// scaleCluster is a JetStream cluster of nats-server instances run as a
// library inside the test, on free loopback ports, each with its own
// store directory.
type scaleCluster struct {
	servers []*natsserver.Server
	urls    []string
}

func scaleFreePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// scaleStartCluster starts n clustered servers and waits until JetStream
// has a meta leader (a stream can be created).
func scaleStartCluster(t *testing.T, n int) *scaleCluster {
	t.Helper()
	ports := make([]int, n)
	routes := make([]string, n)
	for i := range ports {
		ports[i] = scaleFreePort(t)
		routes[i] = fmt.Sprintf("nats://127.0.0.1:%d", ports[i])
	}
	c := &scaleCluster{}
	for i := range n {
		opts := &natsserver.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       natsserver.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			Cluster:    natsserver.ClusterOpts{Name: "ecowatch-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:     natsserver.RoutesFromStr(strings.Join(routes, ",")),
			NoLog:      true,
			NoSigs:     true,
		}
		s, err := natsserver.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("NATS server n%d did not start", i)
		}
		c.servers = append(c.servers, s)
		c.urls = append(c.urls, s.ClientURL())
		t.Cleanup(s.Shutdown)
	}
	return c
}

func (c *scaleCluster) url() string { return strings.Join(c.urls, ",") }

// scaleBus opens (and so creates) the stream, retrying while the cluster
// elects its leaders.
func scaleBus(t *testing.T, url, prefix, stream string, replicas int) *jetstream.Bus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b, err := jetstream.Open(ctx, jetstream.Options{URL: url, Prefix: prefix, Stream: stream, Replicas: replicas})
		cancel()
		if err == nil {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s (R%d): %v", stream, replicas, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scaleBinary builds the ecowatch binary (without the race detector: the
// processes are the system under test, and the build stays short).
func scaleBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ecowatch")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the scaled tests build the binary and need the go command on PATH: %v", err)
	}
	start := time.Now()
	if out, err := exec.Command(gobin, "build", "-o", bin, "ecowatch/cmd/ecowatch").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the binary in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// scaleProc is one role running as its own process.
type scaleProc struct {
	t        *testing.T
	role     string
	cmd      *exec.Cmd
	gateway  string
	http     string
	exited   chan error
	mu       sync.Mutex
	lastLogs []string
}

// scaleStart starts `ecowatch role args…` and waits for its "ecowatch
// serving" line.
func scaleStart(t *testing.T, bin, role string, args ...string) *scaleProc {
	t.Helper()
	p := &scaleProc{t: t, role: role, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, append([]string{role}, args...)...)
	p.cmd.Env = append(os.Environ(), "GOMAXPROCS=2")
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			var rec struct {
				Msg         string `json:"msg"`
				GatewayAddr string `json:"gateway_addr"`
				HTTPAddr    string `json:"http_addr"`
			}
			line := sc.Text()
			p.mu.Lock()
			p.lastLogs = append(p.lastLogs, line)
			if len(p.lastLogs) > 20 {
				p.lastLogs = p.lastLogs[1:]
			}
			p.mu.Unlock()
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "ecowatch serving" {
				p.gateway, p.http = rec.GatewayAddr, rec.HTTPAddr
				once.Do(func() { close(ready) })
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	select {
	case <-ready:
	case err := <-p.exited:
		t.Fatalf("%s exited before serving: %v\n%s", role, err, p.logs())
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		t.Fatalf("%s did not start within 30 s\n%s", role, p.logs())
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

func (p *scaleProc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lastLogs, "\n")
}

// kill is a crash: SIGKILL, nothing flushed, nothing acknowledged.
func (p *scaleProc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop is a restart's first half: SIGTERM, and the process must exit 0.
func (p *scaleProc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			p.t.Errorf("%s exited with %v after SIGTERM\n%s", p.role, err, p.logs())
		}
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		p.t.Errorf("%s did not stop within 30 s of SIGTERM", p.role)
	}
}

// scaleInstall is one installation of the scaled deployment under test: a
// PostgreSQL schema with devices registered, a stream on NATS, and the
// common arguments of its processes.
type scaleInstall struct {
	pgURL   string
	prefix  string
	stream  string
	bus     *jetstream.Bus
	args    []string
	devices int
}

const scaleMNPrefix = "SCALE"

func scaleMN(i int) string { return fmt.Sprintf("%s%09d", scaleMNPrefix, i+1) }

func scaleSetup(t *testing.T, natsURL string, replicas, devices int) *scaleInstall {
	t.Helper()
	pgURL := pgtest.SchemaURL(t, "ecowatch_scale")
	var rnd [5]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	in := &scaleInstall{pgURL: pgURL, prefix: "scale" + id, stream: "SCALE" + id, devices: devices}
	in.bus = scaleBus(t, natsURL, in.prefix, in.stream, replicas)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		in.bus.DeleteStream(ctx)
		in.bus.Close()
	})
	ctx := context.Background()
	st, err := postgres.Open(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	seedPoint(t, st, "SC0")
	for i := range devices {
		pt := fmt.Sprintf("SC%04d", i+1)
		if err := st.UpsertPoint(ctx, registry.Point{Code: pt, Name: "scaled test outlet", Kind: registry.KindAirStation, RegionCode: "430100"}); err != nil {
			t.Fatal(err)
		}
		if err := st.UpsertDevice(ctx, registry.Device{MN: scaleMN(i), Password: "123456", ProtocolVersion: "HJ212-2017",
			PointCode: pt, State: registry.DeviceActive}); err != nil {
			t.Fatal(err)
		}
	}
	in.args = []string{"--postgres", pgURL, "--nats", natsURL, "--nats-prefix", in.prefix, "--nats-stream", in.stream,
		"--nats-replicas", fmt.Sprint(replicas), "--nats-ack-wait", "2s",
		"--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--clock-drift", "-1s", "--backfill=false",
		"--max-frame-rate", "-1", "--max-conns-per-addr", "20000", "--retention", "off"}
	return in
}

// scaleAcks records the frames whose acknowledgement a device received.
type scaleAcks struct {
	mu   sync.Mutex
	seen map[string]int // MN/QN → acknowledgements
}

func (a *scaleAcks) add(mn string, qn []byte) {
	a.mu.Lock()
	a.seen[mn+"/"+string(qn)]++
	a.mu.Unlock()
}

func (a *scaleAcks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.seen)
}

// scaleDrain waits until the workers have every message of the stream:
// nothing pending and nothing delivered without acknowledgement.
func scaleDrain(t *testing.T, natsURL string, in *scaleInstall, within time.Duration) {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := njs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		var info *njs.ConsumerInfo
		cons, err := js.Consumer(ctx, in.stream, "ingest")
		if err == nil {
			info, err = cons.Info(ctx)
		}
		cancel()
		if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
			// Deliveries beyond the stream's sequence are redeliveries
			// (the killed worker's batches, batches refused meanwhile).
			t.Logf("stream drained: %d deliveries to the workers up to stream sequence %d", info.Delivered.Consumer, info.Delivered.Stream)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the workers did not drain the stream within %v: %+v, %v", within, info, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scaleVerify checks that every acknowledged frame is in PostgreSQL exactly
// once, that no frame is there twice, and that its values are stored.
func scaleVerify(t *testing.T, in *scaleInstall, acks *scaleAcks) {
	t.Helper()
	db, err := sql.Open("pgx", in.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT mn, qn, count(*) FROM raw_frame WHERE mn LIKE 'SCALE%' GROUP BY mn, qn`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for rows.Next() {
		var mn, qn string
		var n int
		if err := rows.Scan(&mn, &qn, &n); err != nil {
			t.Fatal(err)
		}
		stored[mn+"/"+qn] = n
	}
	rows.Close()
	acks.mu.Lock()
	defer acks.mu.Unlock()
	missing, twice := 0, 0
	for k, n := range acks.seen {
		if n != 1 {
			t.Errorf("%s acknowledged %d times", k, n)
		}
		switch stored[k] {
		case 1:
		case 0:
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged frame %s is not in PostgreSQL", k)
			}
		default:
			twice++
			if twice <= 5 {
				t.Errorf("acknowledged frame %s is in PostgreSQL %d times", k, stored[k])
			}
		}
	}
	for k, n := range stored {
		if n > 1 && acks.seen[k] == 0 {
			t.Errorf("unacknowledged frame %s is in PostgreSQL %d times", k, n)
		}
	}
	if missing+twice > 0 {
		t.Fatalf("%d acknowledged frames missing, %d stored more than once (of %d acknowledged, %d stored)", missing, twice, len(acks.seen), len(stored))
	}
	// The values: each acknowledged frame's real-time row (its DataTime,
	// with Resend the QN's second cut to 30 s) holds the first factor.
	want := map[string]map[int64]bool{}
	for k := range acks.seen {
		mn, qn, _ := strings.Cut(k, "/")
		at, err := hj212.ParseTime(qn[:14], store.CST)
		if err != nil {
			t.Fatalf("QN %q: %v", qn, err)
		}
		if want[mn] == nil {
			want[mn] = map[int64]bool{}
		}
		want[mn][at.Truncate(30*time.Second).Unix()] = true
	}
	st, err := postgres.Open(context.Background(), in.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range in.devices {
		mn := scaleMN(i)
		if len(want[mn]) == 0 {
			continue
		}
		var from, to int64 = 1 << 62, 0
		for s := range want[mn] {
			from, to = min(from, s), max(to, s)
		}
		ms, err := st.Measurements(context.Background(), store.MeasurementQuery{Point: fmt.Sprintf("SC%04d", i+1), Factor: "w01018",
			Kind: store.RealTime, From: time.Unix(from, 0), To: time.Unix(to+1, 0)})
		if err != nil {
			t.Fatal(err)
		}
		have := map[int64]bool{}
		for _, m := range ms {
			have[m.Time.Unix()] = true
		}
		for s := range want[mn] {
			if !have[s] {
				t.Errorf("%s: the values of its acknowledged frames at %v are not stored", mn, time.Unix(s, 0).In(store.CST))
			}
		}
	}
	t.Logf("%d acknowledged frames, each in PostgreSQL once with its values (%d frames stored in all)", len(acks.seen), len(stored))
}

// scaleStreamLeader returns the index of the server leading the stream.
func scaleStreamLeader(t *testing.T, c *scaleCluster, in *scaleInstall) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := nats.Connect(c.url())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := njs.New(nc)
	s, err := js.Stream(ctx, in.stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %+v, %v", info, err)
	}
	for i, srv := range c.servers {
		if srv.Name() == info.Cluster.Leader {
			return i
		}
	}
	t.Fatalf("stream leader %q is none of the servers", info.Cluster.Leader)
	return -1
}

// TestScaledSurvivesFailures runs the scaled deployment as processes (two
// gateways, two workers) on a three-node JetStream cluster (R3) and
// PostgreSQL under load from the bench's load generator, whose devices
// know both gateways. During the load it shuts down the NATS server that
// leads the stream, SIGKILLs a worker and SIGKILLs a gateway (its devices
// reconnect to the other). Afterwards every frame whose acknowledgement a
// device received is in PostgreSQL exactly once, with its values.
func TestScaledSurvivesFailures(t *testing.T) {
	cluster := scaleStartCluster(t, 3)
	const devices = 40
	in := scaleSetup(t, cluster.url(), 3, devices)
	bin := scaleBinary(t)
	gw := []*scaleProc{scaleStart(t, bin, "gateway", in.args...), scaleStart(t, bin, "gateway", in.args...)}
	wk := []*scaleProc{scaleStart(t, bin, "worker", in.args...), scaleStart(t, bin, "worker", in.args...)}

	acks := &scaleAcks{seen: map[string]int{}}
	// The load runs until 6 s after the last failure (the steps may wait).
	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	done := make(chan *loadgen.Result, 1)
	go func() {
		res, err := loadgen.Run(ctx, loadgen.Config{Addrs: []string{gw[0].gateway, gw[1].gateway}, Conns: devices,
			Duration: 2 * time.Minute, Rate: 1500, MNPrefix: scaleMNPrefix, Resend: true, AckTimeout: 10 * time.Second, OnAck: acks.add})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	// Each failure must hit a system under load, and the load must go on
	// after it: acknowledgements have to grow between the steps.
	step := func(name string, at time.Duration, fail func()) {
		before := acks.count()
		time.Sleep(at)
		// A device whose frame was in flight when the previous failure
		// hit waits its whole ack timeout (10 s) before it sends again,
		// and a loaded machine may stall them all that long: what must
		// hold is that acknowledgements resume, not how soon.
		for deadline := time.Now().Add(15 * time.Second); acks.count() <= before && time.Now().Before(deadline); {
			time.Sleep(100 * time.Millisecond)
		}
		if acks.count() <= before {
			t.Fatalf("no frame acknowledged before %s", name)
		}
		t.Logf("%s after %d acknowledged frames", name, acks.count())
		fail()
	}
	step("shutting down the stream leader", 4*time.Second, func() {
		leader := scaleStreamLeader(t, cluster, in)
		cluster.servers[leader].Shutdown()
	})
	step("SIGKILL of a worker", 4*time.Second, wk[0].kill)
	step("SIGKILL of a gateway", 4*time.Second, gw[0].kill)
	before := acks.count()
	time.Sleep(6 * time.Second)
	stopLoad()
	res := <-done
	if acks.count() <= before+100 {
		t.Fatalf("only %d frames acknowledged after the gateway died: the devices did not move to the other gateway", acks.count()-before)
	}
	t.Logf("load: %d sent, %d acknowledged, errors %v", res.Sent, res.Acked, res.Errors)
	var live []string
	for i, s := range cluster.servers {
		if s.Running() {
			live = append(live, cluster.urls[i])
		}
	}
	scaleDrain(t, strings.Join(live, ","), in, 30*time.Second)
	scaleVerify(t, in, acks)
}

// scaleLocalNATS is the NATS server this kind of machine runs, or the test
// skips (fails under CI=true) as the other NATS tests do.
func scaleLocalNATS(t *testing.T) string {
	url := os.Getenv("ECOWATCH_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var rnd [5]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	probe, err := jetstream.Open(ctx, jetstream.Options{URL: url, Prefix: "probe" + id, Stream: "PROBE" + id})
	serviceOrSkip(t, "NATS JetStream at "+url+" (set ECOWATCH_TEST_NATS)", err)
	probe.DeleteStream(ctx)
	probe.Close()
	return url
}

// scaleToken creates an admin account and an API token for it.
func scaleToken(t *testing.T, pgURL string) string {
	ctx := context.Background()
	st, err := postgres.Open(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	id, err := st.CreateUser(ctx, store.User{Username: "scaleadmin", Role: "admin", PasswordHash: auth.HashPassword("Xiangjiang-2020")})
	if err != nil {
		t.Fatal(err)
	}
	secret, hash := auth.NewToken()
	if _, err := st.CreateToken(ctx, store.Token{UserID: id, Name: "scale", Hash: hash, Scopes: []string{"devices:read", "devices:write"}}); err != nil {
		t.Fatal(err)
	}
	return secret
}

// scaleGet asks a web process and returns the status and body.
func scaleGet(url, token string) (int, string, error) {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// TestScaledRollingRestart restarts two workers and then two web
// processes one at a time (SIGTERM, start again) under load, on the local
// NATS server and PostgreSQL. Throughout, the web process that is up
// serves the UI and the device list, whose presence comes from the gateway
// over NATS, and its event stream carries live frames; afterwards every
// acknowledged frame is in PostgreSQL exactly once. A command to a device
// sent through a web process reaches the gateway holding its connection.
func TestScaledRollingRestart(t *testing.T) {
	natsURL := scaleLocalNATS(t)
	const devices = 20
	in := scaleSetup(t, natsURL, 1, devices)
	token := scaleToken(t, in.pgURL)
	bin := scaleBinary(t)
	gw := scaleStart(t, bin, "gateway", in.args...)
	wk := []*scaleProc{scaleStart(t, bin, "worker", in.args...), scaleStart(t, bin, "worker", in.args...)}
	web := []*scaleProc{scaleStart(t, bin, "web", in.args...), scaleStart(t, bin, "web", in.args...)}

	acks := &scaleAcks{seen: map[string]int{}}
	done := make(chan *loadgen.Result, 1)
	go func() {
		res, err := loadgen.Run(context.Background(), loadgen.Config{Addr: gw.gateway, Conns: devices,
			Duration: 16 * time.Second, Rate: 1000, MNPrefix: scaleMNPrefix, Resend: true, OnAck: acks.add})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()

	// The poller asks whichever web process is not being restarted.
	var mu sync.Mutex
	up := web[1]
	polls, online := 0, 0
	stopPoll := make(chan struct{})
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		for {
			select {
			case <-stopPoll:
				return
			case <-time.After(100 * time.Millisecond):
			}
			mu.Lock()
			w := up
			mu.Unlock()
			code, _, err := scaleGet("http://"+w.http+"/", "")
			if err != nil || code != 200 {
				t.Errorf("UI at %s: %d %v", w.http, code, err)
				continue
			}
			code, body, err := scaleGet("http://"+w.http+"/api/v1/devices?online=true", token)
			if err != nil || code != 200 {
				t.Errorf("device list at %s: %d %v %s", w.http, code, err, body)
				continue
			}
			mu.Lock()
			polls++
			if strings.Count(body, `"online":true`) > 0 {
				online++
			}
			mu.Unlock()
		}
	}()
	restart := func(procs []*scaleProc, i int, role string) {
		time.Sleep(1500 * time.Millisecond)
		before := acks.count()
		procs[i].stop()
		procs[i] = scaleStart(t, bin, role, in.args...)
		t.Logf("restarted %s %d (%d frames acknowledged meanwhile)", role, i, acks.count()-before)
	}
	restart(wk, 0, "worker")
	restart(wk, 1, "worker")
	restart(web, 0, "web")
	mu.Lock()
	up = web[0]
	mu.Unlock()
	restart(web, 1, "web")

	// Live frames reach a browser through the restarted web process.
	req, _ := http.NewRequest("GET", "http://"+web[1].http+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("events: %v %v", resp, err)
	}
	frameEvent := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if sc.Text() == "event: frame" {
				frameEvent <- true
				return
			}
		}
		frameEvent <- false
	}()
	select {
	case ok := <-frameEvent:
		if !ok {
			t.Error("the event stream ended without a frame event")
		}
	case <-time.After(8 * time.Second):
		t.Error("no live frame event within 8 s from the restarted web process")
	}
	resp.Body.Close()

	// A platform command through a web process reaches the device's
	// gateway: the load generator's devices do not answer commands, so
	// it is sent and then times out, but it is not "offline".
	body := strings.NewReader(`{"cn":"1061","params":{"RtdInterval":"30"}}`)
	req, _ = http.NewRequest("POST", "http://"+web[0].http+"/api/v1/devices/"+scaleMN(0)+"/commands", body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 && resp.StatusCode != 201 && resp.StatusCode != 202 {
			t.Errorf("command through the web process: %s %s", resp.Status, b)
		} else if !strings.Contains(string(b), scaleMN(0)+"/") {
			t.Errorf("command answer %s names no command of %s", b, scaleMN(0))
		}
	}
	// A device no gateway holds is offline, said plainly.
	body = strings.NewReader(`{"cn":"1061","params":{"RtdInterval":"30"}}`)
	req, _ = http.NewRequest("POST", "http://"+web[0].http+"/api/v1/devices/"+scaleMN(devices+5)+"/commands", body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("command to an unknown device: %s %s", resp.Status, b)
		}
	}

	res := <-done
	close(stopPoll)
	<-pollDone
	mu.Lock()
	t.Logf("load: %d sent, %d acknowledged, errors %v; %d polls of the web processes, %d saw devices online", res.Sent, res.Acked, res.Errors, polls, online)
	if polls < 20 || online < polls/2 {
		t.Errorf("%d polls, %d with devices online: the web processes did not see the gateway's presence", polls, online)
	}
	mu.Unlock()
	scaleDrain(t, natsURL, in, 30*time.Second)
	scaleVerify(t, in, acks)
}

// The deployment's example configuration (deploy/config) is what every
// role reads: each role accepts the shared file and its environment file,
// and the values arrive.
func TestScaledDeployConfigParses(t *testing.T) {
	for _, role := range []string{roleGateway, roleWorker, roleWeb} {
		envFile, err := os.ReadFile(filepath.Join("..", "..", "deploy", "config", role+".env"))
		if err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"ECOWATCH_CONFIG": filepath.Join("..", "..", "deploy", "config", "ecowatch.conf")}
		for _, line := range strings.Split(string(envFile), "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(line, "#") {
				vars[k] = v
			}
		}
		fs := flag.NewFlagSet(role, flag.ContinueOnError)
		var s serveSettings
		s.flags(fs)
		scaleRoleDefaults(fs, role)
		if err := parseSettings(fs, nil, func(k string) string { return vars[k] }); err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		if s.Scale.Replicas != 3 || !strings.HasPrefix(s.Postgres, "postgres://") || strings.Count(s.NATS, "nats://") != 3 {
			t.Fatalf("%s: settings %+v", role, s)
		}
		want := map[string]string{roleGateway: "127.0.0.1:8081", roleWorker: "127.0.0.1:8082", roleWeb: ":8080"}[role]
		if s.HTTPAddr != want {
			t.Errorf("%s: http-addr %q, want %q from %s.env", role, s.HTTPAddr, want, role)
		}
		o := s.Scale.busOptions(s, role)
		if o.Replicas != 3 || o.MaxAge != 48*time.Hour || o.MaxBatch != 2000 || o.Name != "ecowatch-"+role {
			t.Errorf("%s: bus options %+v", role, o)
		}
	}
}

// A role refuses to start without PostgreSQL and NATS, saying so, rather
// than running a second embedded installation.
func TestScaledRoleNeedsPostgresAndNATS(t *testing.T) {
	for _, role := range []string{roleGateway, roleWorker, roleWeb} {
		out, code := serveCLI(t, role, "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0", "--gateway-addr", "127.0.0.1:0")
		if code != 1 || !strings.Contains(out, "needs --postgres and --nats") {
			t.Errorf("%s without PostgreSQL and NATS: %d %s", role, code, out)
		}
	}
}

// A serve part runs everywhere under serve, in the workers by default, and
// in the roles it names otherwise.
func TestScaledServePartRoles(t *testing.T) {
	def := servePart{name: "engine"}
	web := servePart{name: "cache", roles: []string{roleWeb, roleWorker}}
	for _, c := range []struct {
		p    servePart
		role string
		want bool
	}{
		{def, "", true}, {def, roleWorker, true}, {def, roleGateway, false}, {def, roleWeb, false},
		{web, "", true}, {web, roleWeb, true}, {web, roleWorker, true}, {web, roleGateway, false},
	} {
		if got := c.p.runsIn(c.role); got != c.want {
			t.Errorf("%s in role %q: %v, want %v", c.p.name, c.role, got, c.want)
		}
	}
}
