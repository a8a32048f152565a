package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"ecowatch/hj212"
)

func simRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

// ackingGateway answers every upload with hj212.ReplyFor, like the gateway.
func ackingGateway(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				sc := hj212.NewScanner(c)
				for sc.Scan() {
					f, err := hj212.Decode(sc.Bytes(), hj212.Strict)
					if err != nil {
						return
					}
					if r, ok := hj212.ReplyFor(f); ok {
						b, _ := hj212.Encode(r)
						if _, err := c.Write(b); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestSimulatePrintRegistry: the device table has the importer's device
// columns and one row per device.
func TestSimulatePrintRegistry(t *testing.T) {
	code, out, errs := simRun(t, "simulate", "--devices", "3", "--print-registry", "devices")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "mn,protocol_version,state,password,quirks,point_code" || !strings.HasPrefix(lines[1], "SIM00000000001,HJ212-2017,active,123456,,") {
		t.Errorf("registry CSV:\n%s", out)
	}
	if code, _, errs := simRun(t, "simulate", "--print-registry", "nosuch"); code == 0 || !strings.Contains(errs, "nosuch") {
		t.Errorf("unknown table: exit %d, %s", code, errs)
	}
	if code, _, errs := simRun(t, "simulate", "--faults", "flag=Q"); code == 0 || !strings.Contains(errs, "flag") {
		t.Errorf("bad fault: exit %d, %s", code, errs)
	}
}

// TestSimulateRuns: two devices at 600x for 0.6 s are acked by a gateway.
func TestSimulateRuns(t *testing.T) {
	addr := ackingGateway(t)
	code, _, errs := simRun(t, "simulate", "--addr", addr, "--devices", "2", "--speed", "600", "--duration", "600ms", "--start", "20200601080000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "connects 2") || strings.Contains(errs, " sent 0 ") || !strings.Contains(errs, "unacked 0") {
		t.Errorf("report: %s", errs)
	}
}

// TestBenchGateway: figures against a fake gateway, and a remote address
// refused without --test-host.
func TestBenchGateway(t *testing.T) {
	addr := ackingGateway(t)
	code, out, errs := simRun(t, "bench", "gateway", "--addr", addr, "--conns", "5", "--duration", "400ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"acked ", "p99.9", "errors        none", "server        pid "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := simRun(t, "bench", "gateway", "--addr", "192.0.2.1:9212", "--conns", "1", "--duration", "1s"); code == 0 || !strings.Contains(errs, "loopback") {
		t.Errorf("remote address: exit %d, %s", code, errs)
	}
}
