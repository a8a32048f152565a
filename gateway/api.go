package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"ecowatch/hj212"
)

// Register adds (or replaces) a device in the registry, forgets the cached
// answer for its MN, takes it off the waiting list and replays its archived
// frames into measurements (Config.Replay), so that nothing it sent while
// unregistered is lost. It returns the number of frames replayed.
func (s *Server) Register(ctx context.Context, d Device) (int, error) {
	if d.MN == "" {
		return 0, errors.New("gateway: register: empty MN")
	}
	if err := s.cfg.Registry.Register(ctx, d); err != nil {
		return 0, fmt.Errorf("gateway: register %s: %w", d.MN, err)
	}
	s.devices.forget(d.MN)
	s.waiting.remove(d.MN)
	s.event(Event{Kind: EventRegistered, MN: d.MN, At: s.cfg.Now()})
	if s.cfg.Replay == nil {
		return 0, nil
	}
	n, err := s.cfg.Replay(ctx, d.MN)
	if err != nil {
		return n, fmt.Errorf("gateway: replay %s: %w", d.MN, err)
	}
	return n, nil
}

// Forget drops what the server remembers of mn's registry entry (the
// cached answer) and takes it off the waiting list: in a scaled
// deployment another process registers devices and tells every gateway.
func (s *Server) Forget(mn string) {
	s.devices.forget(mn)
	s.waiting.remove(mn)
}

// Connected reports whether mn has an open connection to this server: in
// a scaled deployment only that gateway can send it a command.
func (s *Server) Connected(mn string) bool { return s.connFor(mn) != nil }

// DeviceRequest is the JSON body of POST /api/devices.
type DeviceRequest struct {
	MN             string `json:"mn"`
	Password       string `json:"password"`
	Point          string `json:"point"`
	Quirks         string `json:"quirks,omitempty"`   // hj212 quirk names joined by '|' or ','
	Protocol       string `json:"protocol,omitempty"` // HJ212-2017 (default) or HJ212-2005
	Suspended      bool   `json:"suspended,omitempty"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"`
	Retries        int    `json:"retries,omitempty"`
}

// DeviceView is a registered device as the API shows it (no password).
type DeviceView struct {
	MN             string `json:"mn"`
	Point          string `json:"point"`
	Quirks         string `json:"quirks"`
	Protocol       string `json:"protocol,omitempty"`
	Suspended      bool   `json:"suspended,omitempty"`
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"`
	Retries        int    `json:"retries,omitempty"`
}

// CommandRequest is the JSON body of POST /api/devices/{mn}/commands.
type CommandRequest struct {
	CN     string  `json:"cn"`
	Params []Param `json:"params,omitempty"`
}

// Handler serves the gateway's part of the HTTP API:
//
//	GET  /api/gateway/presence              presence of every device heard from
//	GET  /api/gateway/waiting               unregistered devices waiting for registration
//	GET  /api/devices                       registered devices
//	POST /api/devices                       register a device (DeviceRequest); replays its archive
//	POST /api/devices/{mn}/commands?wait=D  send a platform request (CommandRequest)
//	GET  /api/devices/{mn}/commands         the device's command history
//	GET  /api/devices/{mn}/commands/{qn}    one command
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/gateway/presence", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Presence())
	})
	mux.HandleFunc("GET /api/gateway/waiting", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Waiting())
	})
	mux.HandleFunc("GET /api/devices", s.apiDevices)
	mux.HandleFunc("POST /api/devices", s.apiRegister)
	mux.HandleFunc("POST /api/devices/{mn}/commands", s.apiSend)
	mux.HandleFunc("GET /api/devices/{mn}/commands", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Commands(r.PathValue("mn")))
	})
	mux.HandleFunc("GET /api/devices/{mn}/commands/{qn}", func(w http.ResponseWriter, r *http.Request) {
		c, err := s.CommandByID(r.PathValue("mn") + "/" + r.PathValue("qn"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, c)
	})
	return mux
}

func (s *Server) apiDevices(w http.ResponseWriter, r *http.Request) {
	ds, err := s.cfg.Registry.Devices(r.Context())
	if err != nil {
		writeError(w, err)
		return
	}
	out := make([]DeviceView, len(ds))
	for i, d := range ds {
		out[i] = DeviceView{MN: d.MN, Point: d.Point, Quirks: d.Mode.Allow.String(), Protocol: d.Protocol, Suspended: d.Suspended,
			TimeoutSeconds: int(d.Timeout / time.Second), Retries: d.Retries}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiRegister(w http.ResponseWriter, r *http.Request) {
	var req DeviceRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	q, ok := hj212.ParseQuirks(req.Quirks)
	if !ok {
		writeError(w, badRequest("unknown quirk in %q", req.Quirks))
		return
	}
	if req.MN == "" || req.Point == "" {
		writeError(w, badRequest("mn and point are required"))
		return
	}
	d := Device{MN: req.MN, Password: req.Password, Point: req.Point, Protocol: req.Protocol, Mode: hj212.Mode{Allow: q},
		Suspended: req.Suspended, Timeout: time.Duration(req.TimeoutSeconds) * time.Second, Retries: req.Retries}
	n, err := s.Register(r.Context(), d)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"mn": d.MN, "replayed": n})
}

func (s *Server) apiSend(w http.ResponseWriter, r *http.Request) {
	var req CommandRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	var wait time.Duration
	if v := r.URL.Query().Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Hour {
			writeError(w, badRequest("wait=%q is not a duration up to 1h", v))
			return
		}
		wait = d
	}
	c, err := s.Send(r.Context(), r.PathValue("mn"), req.CN, req.Params)
	if err != nil {
		writeError(w, err)
		return
	}
	if wait > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		c, _ = s.WaitCommand(ctx, c.ID)
		cancel()
	}
	writeJSON(w, http.StatusAccepted, c)
}

type badRequestError struct{ msg string }

func (e *badRequestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &badRequestError{fmt.Sprintf(format, args...)}
}

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("request body: %v", err)
	}
	return nil
}

// writeError maps the gateway's errors to HTTP statuses, in one place.
func writeError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var br *badRequestError
	switch {
	case errors.As(err, &br), errors.Is(err, ErrInvalidDevice):
		status = http.StatusBadRequest
	case errors.Is(err, ErrUnknownDevice), errors.Is(err, ErrNoCommand):
		status = http.StatusNotFound
	case errors.Is(err, ErrOffline):
		status = http.StatusConflict
	case strings.Contains(err.Error(), "not a platform request"):
		status = http.StatusBadRequest
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
