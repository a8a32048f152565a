package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"ecowatch/auth"
	"ecowatch/gateway"
	"ecowatch/hj212"
	"ecowatch/importer"
	"ecowatch/store"
)

// FrameView is a raw frame in lists.
type FrameView struct {
	ID         int64     `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	Remote     string    `json:"remote"`
	MN         string    `json:"mn"`
	CN         string    `json:"cn"`
	QN         string    `json:"qn"`
	Verdict    string    `json:"verdict"`
	Error      string    `json:"error"`
}

func viewFrame(f store.Frame) FrameView {
	v := FrameView{ID: f.ID, ReceivedAt: f.Received.In(store.CST), Remote: f.Remote, MN: f.MN, CN: f.CN, QN: f.QN, Verdict: f.Verdict}
	if f.Verdict != "ok" && f.Verdict != "tolerated" {
		v.Error = f.Diagnostics
	}
	return v
}

// frameWindow bounds a frame listing: the store lists frames in id order
// from the start of the window, so the window is kept short enough that
// its newest frames are inside the read (frameScan rows).
const frameScan = 5000

func (a *API) frames(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	mn, verdict := q.Get("mn"), q.Get("verdict")
	if mn != "" && !s.canSeeDevice(p, mn) {
		return forbidden("device " + mn)
	}
	now := a.now()
	// One device sends about one frame a minute per kind: a day fits the
	// scan. Across every device (10,000 frames/s) only the last seconds do.
	back := 24 * time.Hour
	if mn == "" {
		back = 10 * time.Second
	}
	from, to, err := timeRange(r, now.Add(-back), now.Add(time.Minute))
	if err != nil {
		return err
	}
	fs, err := a.cfg.Store.Frames(r.Context(), store.FrameQuery{MN: mn, From: from, To: to, Limit: frameScan})
	if err != nil {
		return err
	}
	var out []FrameView
	for i := len(fs) - 1; i >= 0; i-- { // newest first
		f := fs[i]
		if verdict != "" && f.Verdict != verdict || !s.canSeeDevice(p, f.MN) {
			continue
		}
		out = append(out, viewFrame(f))
	}
	return a.writeList(w, r, "frames", out)
}

func (a *API) frame(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	fs, err := a.cfg.Store.Frames(r.Context(), store.FrameQuery{AfterID: id - 1, Limit: 1})
	if err != nil {
		return err
	}
	if len(fs) == 0 || fs[0].ID != id {
		return errorf(CodeNotFound, "frame %d: not found", id)
	}
	f := fs[0]
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	if !s.canSeeDevice(p, f.MN) {
		return forbidden(fmt.Sprintf("frame %d", id))
	}
	v := struct {
		FrameView
		Diagnostics string `json:"diagnostics"`
		Raw         string `json:"raw"`
		Decoded     any    `json:"decoded"`
		DecodeError string `json:"decode_error,omitempty"`
	}{FrameView: viewFrame(f), Diagnostics: f.Diagnostics, Raw: string(f.Raw)}
	// Decoded tolerantly, so the viewer shows what a quirky frame holds;
	// the verdict says how the gateway judged it.
	df, err := hj212.Decode(f.Raw, hj212.Tolerant)
	if err != nil {
		v.DecodeError = err.Error()
	} else {
		v.Decoded = decodedView(df)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// decodedView is a decoded frame as JSON; the access password is masked,
// since a frame viewer is not the place to read device passwords.
func decodedView(f *hj212.Frame) map[string]any {
	cp := make([]map[string]any, len(f.CP))
	for i, fl := range f.CP {
		cp[i] = map[string]any{"name": fl.Name, "value": fl.Value, "item": fl.Item}
	}
	ds := make([]string, len(f.Diagnostics))
	for i, d := range f.Diagnostics {
		ds[i] = d.String()
	}
	pw := ""
	if f.PW != "" {
		pw = "******"
	}
	m := map[string]any{"qn": f.QN, "st": f.ST, "cn": f.CN, "pw": pw, "mn": f.MN, "version": f.Version().String(),
		"cp": cp, "diagnostics": ds}
	if f.HasFlag {
		m["flag"] = int(f.Flag)
		if f.Flag.Split() {
			m["pnum"], m["pno"] = f.PNUM, f.PNO
		}
	}
	return m
}

// DeviceView is a device in lists.
type DeviceView struct {
	MN             string     `json:"mn"`
	Point          string     `json:"point"`
	PointName      string     `json:"point_name"`
	EnterpriseID   string     `json:"enterprise_id"`
	Region         string     `json:"region"`
	Protocol       string     `json:"protocol"`
	Quirks         []string   `json:"quirks"`
	State          string     `json:"state"`
	Online         bool       `json:"online"`
	ConnectedSince *time.Time `json:"connected_since"`
	LastFrame      *time.Time `json:"last_frame"`
	FramesToday    int        `json:"frames_today"`
	LastError      string     `json:"last_error"`
}

func (a *API) devices(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	q := r.URL.Query()
	region, text, online := q.Get("region"), q.Get("q"), q.Get("online")
	pres := a.presence()
	var out []DeviceView
	for _, d := range s.devList {
		if !s.canSeeDevice(p, d.MN) {
			continue
		}
		pt := s.points[d.PointCode]
		pr := pres[d.MN]
		v := DeviceView{MN: d.MN, Point: d.PointCode, PointName: pt.Name, EnterpriseID: pt.EnterpriseCode, Region: pt.RegionCode,
			Protocol: d.ProtocolVersion, Quirks: d.Quirks, State: string(d.State), Online: pr.Online,
			ConnectedSince: timePtr(pr.ConnectedSince), LastFrame: timePtr(pr.LastFrame), FramesToday: pr.FramesToday, LastError: pr.LastError}
		if v.Quirks == nil {
			v.Quirks = []string{}
		}
		if region != "" && !strings.HasPrefix(v.Region, strings.TrimRight(region, "0")) ||
			text != "" && !strings.Contains(v.MN, text) && !strings.Contains(v.PointName, text) ||
			online != "" && strconv.FormatBool(v.Online) != online {
			continue
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MN < out[j].MN })
	return a.writeList(w, r, "devices", out)
}

// WaitingView is an unregistered device heard from.
type WaitingView struct {
	MN        string    `json:"mn"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Frames    int       `json:"frames"`
	Remote    string    `json:"remote"`
}

func (a *API) waiting(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var out []WaitingView
	if a.cfg.Gateway != nil {
		for _, v := range a.cfg.Gateway.Waiting() {
			out = append(out, WaitingView{MN: v.MN, FirstSeen: v.FirstSeen.In(store.CST), LastSeen: v.LastSeen.In(store.CST), Frames: v.Frames, Remote: v.Remote})
		}
	}
	return a.writeList(w, r, "waiting", out)
}

var errNoGateway = &Error{Code: CodeNotFound, Message: "this process runs no HJ 212 gateway", MessageZh: "本进程未运行数据采集网关"}

func (a *API) register(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if a.cfg.Gateway == nil {
		return errNoGateway
	}
	mn := r.PathValue("mn")
	var req struct {
		Point    string `json:"point"`
		Password string `json:"password"`
		Protocol string `json:"protocol"`
		Quirks   string `json:"quirks"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	var fields []FieldError
	q, ok := hj212.ParseQuirks(req.Quirks)
	if !ok {
		fields = append(fields, FieldError{"quirks", "unknown quirk name"})
	}
	if req.Protocol != "" && req.Protocol != "HJ212-2017" && req.Protocol != "HJ212-2005" {
		fields = append(fields, FieldError{"protocol", "want HJ212-2017 or HJ212-2005"})
	}
	if req.Point == "" {
		fields = append(fields, FieldError{"point", "required"})
	}
	if len(fields) > 0 {
		return &Error{Code: CodeInvalid, Message: "the registration is not valid", Fields: fields}
	}
	// A city officer registers devices only at points of their city.
	if _, _, err := a.point(r.Context(), p, req.Point); err != nil {
		if e := asError(err); e.Code == CodeNotFound {
			return &Error{Code: CodeInvalid, Message: e.Message, Fields: []FieldError{{"point", "no such point"}}}
		}
		return err
	}
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	if d, ok := s.devices[mn]; ok && !s.canSeeDevice(p, d.MN) {
		return forbidden("device " + mn)
	}
	n, err := a.cfg.Gateway.Register(r.Context(), gateway.Device{MN: mn, Password: req.Password, Point: req.Point, Protocol: req.Protocol, Mode: hj212.Mode{Allow: q}})
	if errors.Is(err, gateway.ErrInvalidDevice) {
		return &Error{Code: CodeInvalid, Message: err.Error(), cause: err}
	}
	if err != nil {
		return err
	}
	a.invalidate()
	if err := a.record(r.Context(), r, p.Username, "device.register", "device:"+mn, fmt.Sprintf("point=%s replayed=%d", req.Point, n)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mn": mn, "point": req.Point, "replayed": n})
	return nil
}

// CommandView is a command sent to a device.
type CommandView struct {
	ID         string            `json:"id"`
	QN         string            `json:"qn"`
	CN         string            `json:"cn"`
	Params     map[string]string `json:"params"`
	Origin     string            `json:"origin"`
	State      string            `json:"state"`
	SentAt     *time.Time        `json:"sent_at"`
	AnsweredAt *time.Time        `json:"answered_at"`
	QnRtn      int               `json:"qn_rtn"`
	ExeRtn     int               `json:"exe_rtn"`
	Reason     string            `json:"reason"`
	Attempts   int               `json:"attempts"`
	History    []TransitionView  `json:"history"`
}

// TransitionView is one state change of a command.
type TransitionView struct {
	At     time.Time `json:"at"`
	State  string    `json:"state"`
	Detail string    `json:"detail"`
}

func viewCommand(c gateway.Command) CommandView {
	v := CommandView{ID: c.ID, QN: c.QN, CN: c.CN, Params: map[string]string{}, Origin: c.Origin, State: string(c.State),
		QnRtn: c.QnRtn, ExeRtn: c.ExeRtn, Reason: c.Reason, Attempts: c.Attempts, History: []TransitionView{}}
	for _, t := range c.History {
		v.History = append(v.History, TransitionView{At: t.At.In(store.CST), State: string(t.State), Detail: t.Detail})
	}
	for _, p := range c.Params {
		v.Params[p.Name] = p.Value
	}
	if len(c.History) > 0 {
		v.SentAt = timePtr(c.History[0].At)
		if last := c.History[len(c.History)-1]; c.State.Final() {
			v.AnsweredAt = timePtr(last.At)
		}
	}
	return v
}

func (a *API) deviceInScope(r *http.Request, p auth.Principal, mn string) error {
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	if _, ok := s.devices[mn]; !ok {
		return errorf(CodeNotFound, "device %q: not registered", mn)
	}
	if !s.canSeeDevice(p, mn) {
		return forbidden("device " + mn)
	}
	return nil
}

func (a *API) commands(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	mn := r.PathValue("mn")
	if err := a.deviceInScope(r, p, mn); err != nil {
		return err
	}
	var out []CommandView
	if a.cfg.Gateway != nil {
		for _, c := range a.cfg.Gateway.Commands(mn) {
			out = append(out, viewCommand(c))
		}
	}
	return a.writeList(w, r, "commands-"+mn, out)
}

func (a *API) sendCommand(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if a.cfg.Gateway == nil {
		return errNoGateway
	}
	mn := r.PathValue("mn")
	if err := a.deviceInScope(r, p, mn); err != nil {
		return err
	}
	var req struct {
		CN     string            `json:"cn"`
		Params map[string]string `json:"params"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.CN) != 4 || strings.Trim(req.CN, "0123456789") != "" {
		return &Error{Code: CodeInvalid, Message: "cn: want a four-digit HJ 212 command number", Fields: []FieldError{{"cn", "four digits"}}}
	}
	names := make([]string, 0, len(req.Params))
	for k := range req.Params {
		names = append(names, k)
	}
	slices.Sort(names)
	params := make([]gateway.Param, len(names))
	for i, k := range names {
		params[i] = gateway.Param{Name: k, Value: req.Params[k]}
	}
	var wait time.Duration
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > 2*time.Minute {
			return &Error{Code: CodeInvalid, Message: "wait: want a duration up to 2m", Fields: []FieldError{{"wait", "a duration up to 2m"}}}
		}
		wait = d
	}
	c, err := a.cfg.Gateway.Send(r.Context(), mn, req.CN, params)
	if err != nil {
		if errors.Is(err, gateway.ErrOffline) {
			return &Error{Code: CodeConflict, Message: err.Error(), MessageZh: "设备当前不在线", cause: err}
		}
		return &Error{Code: CodeInvalid, Message: err.Error(), cause: err}
	}
	b, _ := json.Marshal(req.Params)
	if err := a.record(r.Context(), r, p.Username, "device.command", "device:"+mn, "cn="+req.CN+" params="+string(b)); err != nil {
		return err
	}
	if wait > 0 {
		// ?wait follows the command until the device answers or the wait
		// ends, for clients that want the outcome in one call (the CLI).
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		if done, err := a.cfg.Gateway.WaitCommand(ctx, c.ID); err == nil || errors.Is(err, context.DeadlineExceeded) {
			if done.ID != "" {
				c = done
			}
		}
		cancel()
	}
	writeJSON(w, http.StatusAccepted, viewCommand(c))
	return nil
}

// ImportRowError is a bad row of an import.
type ImportRowError struct {
	File   string `json:"file"`
	Sheet  string `json:"sheet,omitempty"`
	Row    int    `json:"row"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// maxImport bounds an uploaded registry file.
const maxImport = 32 << 20

func (a *API) importRegistry(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxImport)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return &Error{Code: CodeBadRequest, Message: "want a multipart form with a file field (at most 32 MiB): " + err.Error()}
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return &Error{Code: CodeBadRequest, Message: "reading the upload: " + err.Error()}
	}
	dry := r.FormValue("dry_run") != "false"
	out := struct {
		OK      bool             `json:"ok"`
		DryRun  bool             `json:"dry_run"`
		Rows    int              `json:"rows"`
		Applied map[string]int   `json:"applied"`
		Errors  []ImportRowError `json:"errors"`
	}{DryRun: dry, Applied: map[string]int{}, Errors: []ImportRowError{}}
	tables, err := importer.Read(hdr.Filename, b)
	if err != nil {
		out.Errors = append(out.Errors, ImportRowError{File: hdr.Filename, Reason: err.Error()})
		writeJSON(w, http.StatusOK, out)
		return nil
	}
	res, err := importer.Import(r.Context(), a.cfg.Store, tables, importer.Options{DryRun: dry})
	if err != nil && !errors.Is(err, importer.ErrBadRows) {
		return err
	}
	for k, n := range res.Applied {
		out.Applied[string(k)] = n
		out.Rows += n
	}
	for _, e := range res.Bad {
		out.Errors = append(out.Errors, ImportRowError{File: e.File, Sheet: e.Sheet, Row: e.Row, Column: e.Column, Reason: e.Reason})
	}
	out.OK = len(out.Errors) == 0
	if res.Committed {
		a.invalidate()
		if err := a.record(r.Context(), r, p.Username, "registry.import", "file:"+hdr.Filename, fmt.Sprintf("rows=%d", out.Rows)); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
