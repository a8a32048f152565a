package remote_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"ecowatch/bus"
	"ecowatch/bus/jetstream"
	"ecowatch/gateway"
	"ecowatch/gateway/remote"
	"ecowatch/hj212"
)

func natsConn(t *testing.T) *nats.Conn {
	url := os.Getenv("ECOWATCH_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	nc, err := nats.Connect(url, nats.Timeout(3*time.Second))
	if err != nil {
		msg := "NATS at " + url + " unreachable (" + err.Error() + "); set ECOWATCH_TEST_NATS"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(nc.Close)
	return nc
}

// testGateway is a gateway.Server on a loopback port with an in-process
// bus that accepts everything and a map registry.
type testGateway struct {
	srv  *gateway.Server
	addr string
	mu   sync.Mutex
	devs map[string]gateway.Device
}

func startGateway(t *testing.T) *testGateway {
	g := &testGateway{devs: map[string]gateway.Device{}}
	b := bus.NewMemory(bus.MemoryOptions{})
	t.Cleanup(func() { b.Close() })
	b.Consume(context.Background(), "store", "frame.>", func(context.Context, []bus.Msg) error { return nil })
	reg := gateway.RegistryFuncs{
		DeviceFunc: func(_ context.Context, mn string) (gateway.Device, error) {
			g.mu.Lock()
			defer g.mu.Unlock()
			d, ok := g.devs[mn]
			if !ok {
				return gateway.Device{}, gateway.ErrUnknownDevice
			}
			return d, nil
		},
		RegisterFunc: func(context.Context, gateway.Device) error { return nil },
		DevicesFunc:  func(context.Context) ([]gateway.Device, error) { return nil, nil },
	}
	srv, err := gateway.New(gateway.Config{Bus: b, Registry: reg, ClockDrift: -1, RegistryTTL: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CommandTimeout: 200 * time.Millisecond, CommandRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	g.srv, g.addr = srv, ln.Addr().String()
	return g
}

// connect is a device: it sends one real-time upload and reads the ack.
func connect(t *testing.T, addr, mn string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	seg := "QN=20200101000000001;ST=22;CN=2011;PW=pw;MN=" + mn + ";Flag=5;CP=&&DataTime=20200101000000;a21026-Rtd=1.5,a21026-Flag=N&&"
	if _, err := fmt.Fprintf(c, "##%04d%s%04X\r\n", len(seg), seg, hj212.CRC16([]byte(seg))); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	sc := hj212.NewScanner(c)
	if !sc.Scan() {
		t.Fatalf("%s: no reply: %v", mn, sc.Err())
	}
	return c
}

func prefix(t *testing.T) string {
	var b [5]byte
	rand.Read(b[:])
	return "rt" + hex.EncodeToString(b[:])
}

// Two gateways, a device on each and an unregistered one on the first:
// the client merges presence and waiting lists, sends a command through
// the gateway that holds the device (the device receives it), calls a
// device that no gateway holds offline, and registering makes every
// gateway forget the waiting device.
func TestClientReachesTheRightGateway(t *testing.T) {
	nc := natsConn(t)
	p := prefix(t)
	// The installation's stream holds "<prefix>.>": the requests must not
	// land in it (it would answer them with its publish acknowledgement).
	ctx0, cancel0 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel0()
	js, err := jetstream.Open(ctx0, jetstream.Options{URL: nc.ConnectedUrl(), Prefix: p, Stream: "RT" + p})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { js.DeleteStream(context.Background()); js.Close() }()
	gws := []*testGateway{startGateway(t), startGateway(t)}
	for _, g := range gws {
		stop, err := remote.Serve(nc, p, g.srv)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	gws[0].devs["MNA"] = gateway.Device{MN: "MNA", Password: "pw", Point: "PA"}
	gws[1].devs["MNB"] = gateway.Device{MN: "MNB", Password: "pw", Point: "PB"}
	connect(t, gws[0].addr, "MNA")
	cb := connect(t, gws[1].addr, "MNB")
	connect(t, gws[0].addr, "MNW") // unregistered: waiting

	var registered []string
	c := &remote.Client{Conn: nc, Prefix: p, Timeout: time.Second, RegisterFunc: func(_ context.Context, d gateway.Device) (int, error) {
		registered = append(registered, d.MN)
		return 3, nil
	}}
	online := map[string]bool{}
	for _, pr := range c.Presence() {
		online[pr.MN] = pr.Online
	}
	if !online["MNA"] || !online["MNB"] {
		t.Fatalf("presence %v: want MNA and MNB online (one on each gateway)", online)
	}
	if w := c.Waiting(); len(w) != 1 || w[0].MN != "MNW" {
		t.Fatalf("waiting %+v, want MNW", w)
	}

	ctx := context.Background()
	cmd, err := c.Send(ctx, "MNB", "1061", []gateway.Param{{Name: "RtdInterval", Value: "30"}})
	if err != nil {
		t.Fatal(err)
	}
	if cmd.MN != "MNB" || cmd.ID == "" {
		t.Fatalf("command %+v", cmd)
	}
	cb.SetReadDeadline(time.Now().Add(5 * time.Second))
	sc := hj212.NewScanner(cb)
	if !sc.Scan() {
		t.Fatalf("the device did not receive the command: %v", sc.Err())
	}
	if f, err := hj212.Decode(sc.Bytes(), hj212.Strict); err != nil || f.CN != "1061" {
		t.Fatalf("device got %q (%v), want the 1061 request", sc.Bytes(), err)
	}
	// The device does not answer: the command ends timed out, and the
	// client waits for that on the gateway that runs it.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	done, err := c.WaitCommand(wctx, cmd.ID)
	if err != nil || !done.State.Final() {
		t.Fatalf("wait: %+v, %v", done, err)
	}
	if hist := c.Commands("MNB"); len(hist) != 1 || hist[0].ID != cmd.ID {
		t.Fatalf("history %+v", hist)
	}
	if _, err := c.Send(ctx, "MNX", "1061", nil); !errors.Is(err, gateway.ErrOffline) {
		t.Fatalf("command to a device nobody holds: %v, want ErrOffline", err)
	}
	if _, err := c.WaitCommand(ctx, "MNX/123"); !errors.Is(err, gateway.ErrNoCommand) {
		t.Fatalf("wait for an unknown command: %v", err)
	}

	if n, err := c.Register(ctx, gateway.Device{MN: "MNW", Password: "pw", Point: "PW"}); err != nil || n != 3 {
		t.Fatalf("register: %d, %v", n, err)
	}
	if len(registered) != 1 || len(c.Waiting()) != 0 {
		t.Fatalf("after registering: registered %v, waiting %+v", registered, c.Waiting())
	}
}

// fakeGateway has only a presence table.
type fakeGateway struct {
	presence []gateway.Presence
}

func (f fakeGateway) Presence() []gateway.Presence { return f.presence }
func (fakeGateway) Waiting() []gateway.Waiting     { return nil }
func (fakeGateway) Send(context.Context, string, string, []gateway.Param) (gateway.Command, error) {
	return gateway.Command{}, gateway.ErrOffline
}
func (fakeGateway) Commands(string) []gateway.Command { return nil }
func (fakeGateway) CommandByID(string) (gateway.Command, error) {
	return gateway.Command{}, gateway.ErrNoCommand
}
func (fakeGateway) WaitCommand(context.Context, string) (gateway.Command, error) {
	return gateway.Command{}, gateway.ErrNoCommand
}
func (fakeGateway) Forget(string)         {}
func (fakeGateway) Connected(string) bool { return false }

// A gateway's presence table of a whole node (15,000 devices, megabytes of
// JSON, above NATS's 1 MB payload limit) reaches the client complete.
func TestPresenceLargerThanOneMessage(t *testing.T) {
	nc := natsConn(t)
	p := prefix(t)
	var f fakeGateway
	for i := range 15000 {
		f.presence = append(f.presence, gateway.Presence{MN: fmt.Sprintf("MN%012d", i), Online: true,
			Remote: "10.1.2.3:40000", LastError: strings.Repeat("x", 120)})
	}
	stop, err := remote.Serve(nc, p, f)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	got := (&remote.Client{Conn: nc, Prefix: p}).Presence()
	if len(got) != len(f.presence) {
		t.Fatalf("%d presence entries arrived of %d", len(got), len(f.presence))
	}
}
