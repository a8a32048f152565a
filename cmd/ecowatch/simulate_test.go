package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
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
	for _, want := range []string{"acked ", "p99.9", "errors        none", "server        pid ", "load tool     CPU "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := simRun(t, "bench", "gateway", "--addr", "192.0.2.1:9212", "--conns", "1", "--duration", "1s"); code == 0 || !strings.Contains(errs, "loopback") {
		t.Errorf("remote address: exit %d, %s", code, errs)
	}
}

// TestSimulateRegistryImports: the four printed tables of a 4-device fleet
// (one of each profile: flue gas, wastewater, air station, water station)
// import cleanly after `seed hunan`, in RegistryTables order. Expected
// counts: 2 enterprises (the two outlets), 4 points, 4 devices, and 6
// limits: 3 for the coal unit (SO2, NOx, PM ultra-low) and 3 for the
// wastewater outlet (GB 8978-1996 grade 1 COD, NH3-N, phosphate), as
// sim's outletLimits lists them.
func TestSimulateRegistryImports(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd(t, nil, "seed", "hunan", "--data-dir", dir); code != 0 {
		t.Fatalf("seed: %d %s", code, errs)
	}
	var files []string
	for _, table := range []string{"enterprises", "points", "devices", "limits"} {
		code, out, errs := simRun(t, "simulate", "--devices", "4", "--print-registry", table)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", table, code, errs)
		}
		p := filepath.Join(dir, table+".csv")
		if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	code, out, errs := runCmd(t, nil, append([]string{"registry", "import", "--data-dir", dir}, files...)...)
	if code != 0 || !strings.HasPrefix(out, "imported enterprises 2, points 4, devices 4, limits 6") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	code, out, _ = runCmd(t, nil, "registry", "list", "limits", "--json", "--data-dir", dir)
	var got struct {
		Limits []struct {
			PointCode, Factor, Standard string
			Value                       float64
			ReferenceO2                 *float64
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("json: %v (%d)\n%s", err, code, out)
	}
	found := 0
	for _, l := range got.Limits {
		switch {
		case l.Factor == "a21026" && l.Value == 35 && l.ReferenceO2 != nil && *l.ReferenceO2 == 6 && strings.HasPrefix(l.Standard, "GB 13223-2011"),
			l.Factor == "w21003" && l.Value == 15 && l.ReferenceO2 == nil && strings.HasPrefix(l.Standard, "GB 8978-1996"):
			found++
		}
	}
	if len(got.Limits) != 6 || found != 2 {
		t.Errorf("limits: %+v", got.Limits)
	}
}
