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
	"ecowatch/httpapi"
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

const deviceUsage = `usage: ecowatch device [--server URL] [--token T] <action> [args]

The server's /api/v1 is called with an API token (--token or ECOWATCH_TOKEN)
whose scopes allow the action: devices:read, and devices:write to register
and send commands.

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
	token := fs.String("token", "", "API token of the server (also "+envName("token")+")")
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
	if *token == "" {
		fmt.Fprintln(e.Stderr, "ecowatch device: an API token is required: --token or "+envName("token")+" (make one with 'ecowatch user token NAME --scopes devices:read,devices:write')")
		return errUsage
	}
	c := apiClient{base: strings.TrimRight(*server, "/"), token: *token, http: &http.Client{Timeout: *wait + 30*time.Second}}
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
		ds, err := listAll[httpapi.DeviceView](ctx, c, "/devices")
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "MN\tPOINT\tENTERPRISE\tPROTOCOL\tQUIRKS\tSTATE")
		for _, d := range ds {
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", d.MN, d.Point, d.EnterpriseID, d.Protocol, strings.Join(d.Quirks, "|"), d.State)
		}
	case "waiting":
		ws, err := listAll[httpapi.WaitingView](ctx, c, "/devices/waiting")
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "MN\tFIRST SEEN\tLAST SEEN\tFRAMES\tREMOTE")
		for _, w := range ws {
			fmt.Fprintf(out, "%s\t%s\t%s\t%d\t%s\n", w.MN, w.FirstSeen.Format(time.RFC3339), w.LastSeen.Format(time.RFC3339), w.Frames, w.Remote)
		}
	case "presence":
		ds, err := listAll[httpapi.DeviceView](ctx, c, "/devices")
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "MN\tONLINE\tCONNECTED SINCE\tLAST FRAME\tFRAMES TODAY\tLAST ERROR")
		for _, d := range ds {
			fmt.Fprintf(out, "%s\t%v\t%s\t%s\t%d\t%s\n", d.MN, d.Online, fmtTimePtr(d.ConnectedSince),
				fmtTimePtr(d.LastFrame), d.FramesToday, d.LastError)
		}
	case "register":
		if err := need(2); err != nil {
			return err
		}
		if *point == "" {
			fmt.Fprintln(e.Stderr, "ecowatch device register: --point is required")
			return errUsage
		}
		req := map[string]string{"password": *password, "point": *point, "quirks": *quirks, "protocol": *protocol}
		var res struct {
			MN       string `json:"mn"`
			Replayed int    `json:"replayed"`
		}
		if err := c.do(ctx, "POST", "/devices/"+url.PathEscape(pos[1])+"/register", req, &res); err != nil {
			return err
		}
		fmt.Fprintf(out, "registered %s at point %s; %d archived frames replayed into measurements\n", res.MN, *point, res.Replayed)
	case "command":
		if err := need(3); err != nil {
			return err
		}
		params := map[string]string{}
		for _, kv := range pos[3:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				fmt.Fprintf(e.Stderr, "ecowatch device command: %q is not key=value\n", kv)
				return errUsage
			}
			params[k] = v
		}
		var cmd httpapi.CommandView
		path := "/devices/" + url.PathEscape(pos[1]) + "/commands?wait=" + url.QueryEscape(wait.String())
		if err := c.do(ctx, "POST", path, map[string]any{"cn": pos[2], "params": params}, &cmd); err != nil {
			return err
		}
		printCommand(out, pos[1], cmd)
		if !gateway.CommandState(cmd.State).Final() {
			fmt.Fprintf(out, "(still %s after %s; see 'ecowatch device history %s')\n", cmd.State, *wait, pos[1])
		}
	case "history":
		if err := need(2); err != nil {
			return err
		}
		cmds, err := listAll[httpapi.CommandView](ctx, c, "/devices/"+url.PathEscape(pos[1])+"/commands")
		if err != nil {
			return err
		}
		for _, cmd := range cmds {
			printCommand(out, pos[1], cmd)
		}
	default:
		fmt.Fprintf(e.Stderr, "ecowatch device: unknown action %q\n\n", pos[0])
		fs.Usage()
		return errUsage
	}
	return nil
}

func printCommand(w io.Writer, mn string, c httpapi.CommandView) {
	fmt.Fprintf(w, "%s CN=%s QN=%s origin=%s state=%s attempts=%d", mn, c.CN, c.QN, c.Origin, c.State, c.Attempts)
	if c.Reason != "" {
		fmt.Fprintf(w, " reason=%q", c.Reason)
	}
	fmt.Fprintln(w)
	for _, t := range c.History {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", t.At.Format(time.RFC3339), t.State, t.Detail)
	}
}

func fmtTimePtr(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// listAll reads every page of a list of the API.
func listAll[T any](ctx context.Context, c apiClient, path string) ([]T, error) {
	var all []T
	for {
		var page httpapi.ListView[T]
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		if err := c.do(ctx, "GET", fmt.Sprintf("%s%slimit=500&offset=%d", path, sep, len(all)), nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if len(page.Items) == 0 || len(all) >= page.Total {
			return all, nil
		}
	}
}

// apiClient calls /api/v1 of a running server with an API token.
type apiClient struct {
	base  string
	token string
	http  *http.Client
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
	req, err := http.NewRequestWithContext(ctx, method, c.base+httpapi.Prefix+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
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
			Error httpapi.Error `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
			return fmt.Errorf("%s %s: %s: %s", resp.Status, path, e.Error.Code, e.Error.Message)
		}
		return fmt.Errorf("%s %s", resp.Status, path)
	}
	return json.Unmarshal(b, out)
}
