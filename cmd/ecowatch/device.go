package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"ecowatch/gateway"
)

// deviceCommand talks to a running `ecowatch serve` over its HTTP API: the
// gateway holds the connections, so commands and presence live there.
func deviceCommand() command {
	return command{
		Name:    "device",
		Summary: "devices of a running server: list, waiting, presence, register, command, history",
		Run:     runDevice,
	}
}

const deviceUsage = `usage: ecowatch device [--server URL] <action> [args]

actions:
  list                          registered devices
  waiting                       unregistered devices that sent frames (waiting for registration)
  presence                      link state of every device heard from
  register MN --point P [--password PW] [--quirks q1|q2] [--protocol HJ212-2005]
                                register a device; its archived frames are replayed into measurements
  command MN CN [key=value …] [--wait 30s]
                                send a platform request (e.g. 1012, 1062 RtdInterval=30,
                                2061 BeginTime=20200101000000 EndTime=20200101120000) and follow it
  history MN                    the device's command history
`

// parseInterleaved parses flags that may come before, between or after
// positional arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runDevice(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("device", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() { fmt.Fprint(e.Stderr, deviceUsage); fs.PrintDefaults() }
	server := fs.String("server", "http://127.0.0.1"+defaultHTTPAddr, "base URL of the running ecowatch serve")
	point := fs.String("point", "", "register: the device's monitoring point code")
	password := fs.String("password", "", "register: the device's access password (PW)")
	quirks := fs.String("quirks", "", "register: tolerated decoding quirks, e.g. lowercase-crc|terminator")
	protocol := fs.String("protocol", "HJ212-2017", "register: HJ212-2017 or HJ212-2005")
	wait := fs.Duration("wait", 30*time.Second, "command: how long to follow the command before returning")
	if err := parseSettings(fs, nil, e.Getenv); err != nil {
		return errUsage
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if len(pos) == 0 {
		fs.Usage()
		return errUsage
	}
	c := apiClient{base: strings.TrimRight(*server, "/"), http: &http.Client{Timeout: *wait + 30*time.Second}}
	need := func(n int) error {
		if len(pos) < n {
			fmt.Fprintf(e.Stderr, "ecowatch device %s: missing arguments\n\n", pos[0])
			fs.Usage()
			return errUsage
		}
		return nil
	}
	out := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	defer out.Flush()
	switch pos[0] {
	case "list":
		var ds []gateway.DeviceView
		if err := c.do(ctx, "GET", "/api/devices", nil, &ds); err != nil {
			return err
		}
		fmt.Fprintln(out, "MN\tPOINT\tPROTOCOL\tQUIRKS\tSUSPENDED")
		for _, d := range ds {
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%v\n", d.MN, d.Point, d.Protocol, d.Quirks, d.Suspended)
		}
	case "waiting":
		var ws []gateway.Waiting
		if err := c.do(ctx, "GET", "/api/gateway/waiting", nil, &ws); err != nil {
			return err
		}
		fmt.Fprintln(out, "MN\tFIRST SEEN\tLAST SEEN\tFRAMES\tREMOTE")
		for _, w := range ws {
			fmt.Fprintf(out, "%s\t%s\t%s\t%d\t%s\n", w.MN, w.FirstSeen.Format(time.RFC3339), w.LastSeen.Format(time.RFC3339), w.Frames, w.Remote)
		}
	case "presence":
		var ps []gateway.Presence
		if err := c.do(ctx, "GET", "/api/gateway/presence", nil, &ps); err != nil {
			return err
		}
		fmt.Fprintln(out, "MN\tONLINE\tREMOTE\tCONNECTED SINCE\tLAST FRAME\tFRAMES TODAY\tLAST ERROR")
		for _, p := range ps {
			fmt.Fprintf(out, "%s\t%v\t%s\t%s\t%s\t%d\t%s\n", p.MN, p.Online, p.Remote, fmtTime(p.ConnectedSince),
				fmtTime(p.LastFrame), p.FramesToday, p.LastError)
		}
	case "register":
		if err := need(2); err != nil {
			return err
		}
		if *point == "" {
			fmt.Fprintln(e.Stderr, "ecowatch device register: --point is required")
			return errUsage
		}
		req := gateway.DeviceRequest{MN: pos[1], Password: *password, Point: *point, Quirks: *quirks, Protocol: *protocol}
		var res struct {
			MN       string `json:"mn"`
			Replayed int    `json:"replayed"`
		}
		if err := c.do(ctx, "POST", "/api/devices", req, &res); err != nil {
			return err
		}
		fmt.Fprintf(out, "registered %s at point %s; %d archived frames replayed into measurements\n", res.MN, *point, res.Replayed)
	case "command":
		if err := need(3); err != nil {
			return err
		}
		req := gateway.CommandRequest{CN: pos[2]}
		for _, kv := range pos[3:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				fmt.Fprintf(e.Stderr, "ecowatch device command: %q is not key=value\n", kv)
				return errUsage
			}
			req.Params = append(req.Params, gateway.Param{Name: k, Value: v})
		}
		var cmd gateway.Command
		path := "/api/devices/" + url.PathEscape(pos[1]) + "/commands?wait=" + url.QueryEscape(wait.String())
		if err := c.do(ctx, "POST", path, req, &cmd); err != nil {
			return err
		}
		printCommand(out, cmd)
		if !cmd.State.Final() {
			fmt.Fprintf(out, "(still %s after %s; see 'ecowatch device history %s')\n", cmd.State, *wait, cmd.MN)
		}
	case "history":
		if err := need(2); err != nil {
			return err
		}
		var cmds []gateway.Command
		if err := c.do(ctx, "GET", "/api/devices/"+url.PathEscape(pos[1])+"/commands", nil, &cmds); err != nil {
			return err
		}
		for _, cmd := range cmds {
			printCommand(out, cmd)
		}
	default:
		fmt.Fprintf(e.Stderr, "ecowatch device: unknown action %q\n\n", pos[0])
		fs.Usage()
		return errUsage
	}
	return nil
}

func printCommand(w io.Writer, c gateway.Command) {
	fmt.Fprintf(w, "%s CN=%s QN=%s origin=%s state=%s attempts=%d uploads=%d", c.MN, c.CN, c.QN, c.Origin, c.State, c.Attempts, c.Uploads)
	if c.Reason != "" {
		fmt.Fprintf(w, " reason=%q", c.Reason)
	}
	fmt.Fprintln(w)
	for _, t := range c.History {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", t.At.Format(time.RFC3339), t.State, t.Detail)
	}
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

type apiClient struct {
	base string
	http *http.Client
}

// do sends a JSON request and decodes the JSON answer; an error status
// becomes an error carrying the server's message.
func (c apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("is 'ecowatch serve' running at %s? %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s", resp.Status, path, e.Error)
		}
		return fmt.Errorf("%s %s", resp.Status, path)
	}
	return json.Unmarshal(b, out)
}
