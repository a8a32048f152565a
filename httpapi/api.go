// Package httpapi is ecowatch's JSON API under /api/v1: one route table,
// handlers as methods on API, one error renderer, sign-in with server-side
// sessions and CSRF tokens, API tokens, role and region scoping applied
// where data is read, Server-Sent Events, CSV/XLSX export of every list
// and the OpenAPI document of every route.
//
// Example (what `ecowatch serve` does):
//
//	api, err := httpapi.New(httpapi.Config{Store: st, Accounts: st, Gateway: gw, Bus: b})
//	if err != nil { ... }
//	mux.Handle("/api/v1/", api)
//
// Every route names who may call it (Access) and, for API tokens, the
// scope it needs; a route's handler gets the Principal and filters what it
// reads by the principal's region or enterprise.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"ecowatch/alarm"
	"ecowatch/auth"
	"ecowatch/bus"
	"ecowatch/emergency"
	"ecowatch/gateway"
	"ecowatch/plan"
	"ecowatch/store"
	"ecowatch/targets/repo"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// SessionCookie is the name of the session cookie.
const SessionCookie = "ecowatch_session"

// Gateway is what the API uses of the HJ 212 gateway (gateway.Server).
type Gateway interface {
	Presence() []gateway.Presence
	Waiting() []gateway.Waiting
	Register(ctx context.Context, d gateway.Device) (int, error)
	Send(ctx context.Context, mn, cn string, params []gateway.Param) (gateway.Command, error)
	Commands(mn string) []gateway.Command
	// WaitCommand waits until a command reaches a final state or ctx ends.
	WaitCommand(ctx context.Context, id string) (gateway.Command, error)
}

// Config is what the API serves from. Store and Accounts are required;
// Gateway and Bus may be nil in a process without them (the device routes
// then answer with empty lists, the event stream with comments only).
type Config struct {
	Store    store.Store
	Accounts store.Accounts
	Gateway  Gateway
	Bus      bus.Bus
	// Cases opens rectification cases for the other features; nil until
	// the cases feature sets it up.
	Cases  CaseOpener
	Logger *slog.Logger
	// Now is the clock; nil uses time.Now.
	Now func() time.Time
	// Hasher hashes new passwords; the zero value is auth.DefaultHasher.
	Hasher auth.Hasher
	// Throttle limits sign-ins; nil uses auth.NewThrottle().
	Throttle *auth.Throttle
	// SessionTTL is how long a session lasts; 0 is 12 hours (a working
	// day and a night shift's hand-over, no longer).
	SessionTTL time.Duration
	// TrustProxy takes the client address from X-Forwarded-For (only
	// behind a reverse proxy that sets it) for throttling and the audit.
	TrustProxy bool
	// OpenData configures the public open data routes (opendata.go); the zero value uses the defaults.
	OpenData OpenDataConfig
	// Targets is the targets feature's service; nil builds one over the store.
	Targets *repo.Service

	CaseFiles string // attachments of cases and complaints; "": a temporary directory (tests)
	// Alarms is the alarm engine (serve's alarms part); nil serves the
	// stored alarms over the store's SQL handle without live evaluation.
	Alarms *alarm.Engine

	// Emergency and Plan (issue 11); nil: built over the store's SQL.
	Emergency *emergency.Repo
	Plan      *plan.Repo
}

// Access says who may call a route.
type Access struct {
	Anyone   bool        // also the anonymous public
	SignedIn bool        // every account
	Roles    []auth.Role // only these roles (when neither of the above)
}

func (a Access) allows(p auth.Principal) bool {
	switch {
	case a.Anyone:
		return true
	case a.SignedIn:
		return p.SignedIn()
	}
	return slices.Contains(a.Roles, p.Role)
}

// Route is one entry of the route table.
type Route struct {
	Method  string
	Path    string // below Prefix, with {name} wildcards (net/http patterns)
	Access  Access
	Scope   auth.Scope // the scope an API token needs; "" for none
	Summary string
	handle  func(w http.ResponseWriter, r *http.Request, p auth.Principal) error
}

// API serves the routes.
type API struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	routes []Route
	mux    *http.ServeMux

	// dummyHash is checked when a username does not exist, so that a
	// sign-in takes as long either way.
	dummyHash string

	snapMu   sync.Mutex
	snapV    *snapshot
	snapBusy bool

	airMu   sync.Mutex
	airV    *airResult
	airBusy bool

	// closing ends the event streams on Shutdown.
	closing   chan struct{}
	closeOnce sync.Once

	alarms alarmsState // the alarms feature (alarms.go)

	outlineMu sync.Mutex
	outlines  sync.Map // region code → *outlineDoc

	opendata    *opendataState
	inspections *inspectionsState // random inspections (inspections.go)
	cases       *casesState       // the cases and complaints feature (cases.go)
}

var (
	anyone    = Access{Anyone: true}
	signedIn  = Access{SignedIn: true}
	admin     = Access{Roles: []auth.Role{auth.Admin}}
	adminProv = Access{Roles: []auth.Role{auth.Admin, auth.Province}}
	watchers  = Access{Roles: []auth.Role{auth.Admin, auth.Province, auth.City}}
	operators = Access{Roles: []auth.Role{auth.Admin, auth.Province, auth.City, auth.Enforcement}}
)

// New builds the API.
func New(cfg Config) (*API, error) {
	if cfg.Store == nil || cfg.Accounts == nil {
		return nil, errors.New("httpapi: Store and Accounts are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Throttle == nil {
		cfg.Throttle = auth.NewThrottle()
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	a := &API{cfg: cfg, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux(), closing: make(chan struct{}), dummyHash: cfg.Hasher.Hash("no such user")}
	a.routes = []Route{
		{"POST", "/session", anyone, "", "Sign in", a.signIn},
		{"GET", "/session", signedIn, "", "The signed-in user and the CSRF token", a.currentSession},
		{"DELETE", "/session", signedIn, "", "Sign out", a.signOut},
		{"GET", "/openapi.json", anyone, "", "This document", a.openAPI},
		{"GET", "/regions", signedIn, "", "Regions", a.regions},
		{"GET", "/regions/{code}/outline", anyone, "", "GeoJSON outlines of a region's children", a.outline},
		{"GET", "/overview", signedIn, "", "Counts for the command centre", a.overview},
		{"GET", "/air/cities/latest", anyone, auth.ScopeAirRead, "Latest hourly AQI per city", a.citiesLatest},
		{"GET", "/air/cities/{code}/series", anyone, auth.ScopeAirRead, "Hourly or daily AQI of a city", a.citySeries},
		{"GET", "/air/stations", signedIn, auth.ScopeAirRead, "Air monitoring stations", a.stations},
		{"GET", "/air/stations/{code}/series", signedIn, auth.ScopeAirRead, "Hourly or daily AQI of a station", a.stationSeries},
		{"GET", "/enterprises", signedIn, auth.ScopeSourcesRead, "Enterprises", a.enterprises},
		{"GET", "/enterprises/{id}", signedIn, auth.ScopeSourcesRead, "An enterprise with its points and devices", a.enterprise},
		{"GET", "/points/{code}/series", signedIn, auth.ScopeSourcesRead, "Values of one factor at a point", a.pointSeries},
		{"GET", "/points/{code}/latest", signedIn, auth.ScopeSourcesRead, "Latest value of every factor at a point", a.pointLatest},
		{"GET", "/frames", signedIn, auth.ScopeSourcesRead, "Raw HJ 212 frames", a.frames},
		{"GET", "/frames/{id}", signedIn, auth.ScopeSourcesRead, "One raw frame, byte-exact and decoded", a.frame},
		{"GET", "/devices", signedIn, auth.ScopeDevicesRead, "Devices and their presence", a.devices},
		{"GET", "/devices/waiting", watchers, auth.ScopeDevicesRead, "Unregistered devices waiting for registration", a.waiting},
		{"POST", "/devices/{mn}/register", watchers, auth.ScopeDevicesWrite, "Register a waiting device", a.register},
		{"GET", "/devices/{mn}/commands", signedIn, auth.ScopeDevicesRead, "Command history of a device", a.commands},
		{"POST", "/devices/{mn}/commands", operators, auth.ScopeDevicesWrite, "Send a command to a device", a.sendCommand},
		{"GET", "/events", signedIn, "", "Live events (Server-Sent Events)", a.events},
		{"GET", "/users", admin, auth.ScopeAdmin, "Accounts", a.users},
		{"POST", "/users", admin, auth.ScopeAdmin, "Create an account", a.createUser},
		{"PATCH", "/users/{id}", admin, auth.ScopeAdmin, "Change an account", a.updateUser},
		{"DELETE", "/users/{id}", admin, auth.ScopeAdmin, "Delete an account", a.deleteUser},
		{"GET", "/tokens", signedIn, auth.ScopeAdmin, "API tokens (own; all for admin)", a.tokens},
		{"POST", "/tokens", signedIn, auth.ScopeAdmin, "Create an API token", a.createToken},
		{"DELETE", "/tokens/{id}", signedIn, auth.ScopeAdmin, "Revoke an API token", a.deleteToken},
		{"POST", "/registry/import", adminProv, auth.ScopeRegistry, "Import registry files (CSV/XLSX)", a.importRegistry},
		{"GET", "/audit", adminProv, auth.ScopeAudit, "Audit log", a.audit},
	}
	for _, f := range features {
		if f.setup != nil {
			if err := f.setup(a); err != nil {
				return nil, fmt.Errorf("httpapi: %s: %w", f.name, err)
			}
		}
		a.routes = append(a.routes, f.routes(a)...)
	}
	allow := map[string][]string{}
	for _, rt := range a.routes {
		a.mux.Handle(rt.Method+" "+Prefix+rt.Path, a.wrap(rt))
		allow[rt.Path] = append(allow[rt.Path], rt.Method)
	}
	// A known path with another method gets the JSON error shape too
	// (the method-less pattern is less specific than the routes').
	for path, methods := range allow {
		list := strings.Join(methods, ", ")
		a.mux.HandleFunc(Prefix+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", list)
			a.writeError(w, r, errorf(CodeMethodNotAllowed, "%s %s: allowed methods are %s", r.Method, r.URL.Path, list))
		})
	}
	a.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, errorf(CodeNotFound, "no route %s %s", r.Method, r.URL.Path))
	})
	return a, nil
}

// feature is one domain's part of the API (alarms, cases, targets,
// inspections, …): its handlers live in the domain's own file here
// (alarms.go, cases.go, …), which registers the feature from an init
// function with addFeature. Features keep their routes in the one table,
// so the access checks, the role × route test and the OpenAPI check cover
// them like the rest.
type feature struct {
	name string
	// setup runs in New before the routes are collected: it takes the
	// feature's services from the Config, or builds them over the store's
	// SQL handle (store.SQLer) when the Config leaves them nil, so that a
	// test fixture needs no wiring; an error fails New.
	setup func(a *API) error
	// routes returns the feature's routes.
	routes func(a *API) []Route
}

var features []feature

// addFeature registers a feature; call it from an init function.
func addFeature(f feature) { features = append(features, f) }

// Shutdown ends the open event streams, which would otherwise keep
// http.Server.Shutdown waiting: register it with RegisterOnShutdown.
func (a *API) Shutdown() { a.closeOnce.Do(func() { close(a.closing) }) }

// Routes returns the route table.
func (a *API) Routes() []Route { return slices.Clone(a.routes) }

// ServeHTTP serves requests below Prefix, with security headers on every
// answer.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	a.mux.ServeHTTP(w, r)
}

// wrap resolves the principal, checks access, scope and CSRF, and renders
// the handler's error.
func (a *API) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, sess, err := a.principal(r)
		if err != nil {
			a.writeError(w, r, err)
			return
		}
		if !rt.Access.allows(p) {
			if !p.SignedIn() {
				a.writeError(w, r, errorf(CodeUnauthenticated, "sign in first"))
			} else {
				a.writeError(w, r, errorf(CodeForbidden, "role %q may not %s %s", p.Role, rt.Method, rt.Path))
			}
			return
		}
		if rt.Scope != "" && !p.Has(rt.Scope) {
			a.writeError(w, r, errorf(CodeForbidden, "the token lacks scope %q", rt.Scope))
			return
		}
		// A state-changing request authorised by the cookie must carry the
		// session's CSRF token (OWASP synchronizer token pattern): a
		// cross-site form can send the cookie but cannot read the token.
		// SameSite=Lax already stops cross-site POSTs in current browsers.
		if sess != nil && r.Method != http.MethodGet && r.Method != http.MethodHead &&
			!auth.EqualCSRF(sess.CSRF, r.Header.Get("X-CSRF-Token")) {
			a.writeError(w, r, errorf(CodeCSRF, "missing or wrong X-CSRF-Token header"))
			return
		}
		if err := rt.handle(w, r, p); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// principal finds who is asking: a Bearer token, else the session cookie,
// else the public. A token or cookie that is presented but not valid is an
// error rather than the public, so a client learns its credential failed.
func (a *API) principal(r *http.Request) (auth.Principal, *store.Session, error) {
	ctx := r.Context()
	now := a.now()
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !strings.HasPrefix(tok, auth.TokenPrefix) {
			return auth.Principal{}, nil, errorf(CodeUnauthenticated, "Authorization: want Bearer and an ecowatch token")
		}
		t, err := a.cfg.Accounts.TokenByHash(ctx, auth.HashSecret(tok))
		if errors.Is(err, store.ErrNotFound) {
			return auth.Principal{}, nil, errorf(CodeUnauthenticated, "unknown or revoked token")
		}
		if err != nil {
			return auth.Principal{}, nil, err
		}
		if !t.Expires.IsZero() && !now.Before(t.Expires) {
			return auth.Principal{}, nil, errorf(CodeUnauthenticated, "token expired at %s", t.Expires.Format(time.RFC3339))
		}
		u, err := a.user(ctx, t.UserID)
		if err != nil {
			return auth.Principal{}, nil, err
		}
		p := principalOf(u)
		p.Token = true
		for _, s := range t.Scopes {
			p.Scopes = append(p.Scopes, auth.Scope(s))
		}
		return p, nil, nil
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return auth.Principal{}, nil, nil
	}
	s, err := a.cfg.Accounts.Session(ctx, auth.HashSecret(c.Value), now)
	if errors.Is(err, store.ErrNotFound) {
		// An expired or signed-out cookie is the public: the sign-in page
		// and public data must still work with a stale cookie.
		return auth.Principal{}, nil, nil
	}
	if err != nil {
		return auth.Principal{}, nil, err
	}
	u, err := a.user(ctx, s.UserID)
	if err != nil {
		return auth.Principal{}, nil, err
	}
	return principalOf(u), &s, nil
}

// user loads an account that may act: a disabled or deleted one may not.
func (a *API) user(ctx context.Context, id int64) (store.User, error) {
	u, err := a.cfg.Accounts.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return u, errorf(CodeUnauthenticated, "the account is disabled or deleted")
	}
	return u, err
}

func principalOf(u store.User) auth.Principal {
	return auth.Principal{UserID: u.ID, Username: u.Username, Role: auth.Role(u.Role), Region: u.Region, Enterprise: u.Enterprise}
}

// remote is the client address for throttling and the audit.
func (a *API) remote(r *http.Request) string {
	if a.cfg.TrustProxy {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			first, _, _ := strings.Cut(f, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// record appends an audit entry; a failure to record is logged, and fails the
// request only through the caller when the change must not go unrecorded.
func (a *API) record(ctx context.Context, r *http.Request, actor, action, object, detail string) error {
	_, err := a.cfg.Accounts.AppendAudit(ctx, store.AuditEntry{Time: a.now(), Actor: actor, Action: action, Object: object,
		Detail: detail, Remote: a.remote(r)})
	if err != nil {
		a.log.Error("audit append failed", "action", action, "err", err)
	}
	return err
}
