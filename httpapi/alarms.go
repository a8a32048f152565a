package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"ecowatch/alarm"
	"ecowatch/auth"
	"ecowatch/bus"
	"ecowatch/registry"
	"ecowatch/store"
)

// alarmsState is the alarms feature's share of the API: the repository,
// and the engine to reload after a settings change (nil in a process
// without the engine, e.g. tests).
type alarmsState struct {
	repo   *alarm.Repo
	engine *alarm.Engine
}

func init() {
	addFeature(feature{name: "alarms", setup: alarmsSetup, routes: alarmsRoutes})
}

func alarmsSetup(a *API) error {
	if e := a.cfg.Alarms; e != nil && e.Repo != nil {
		a.alarms = alarmsState{repo: e.Repo, engine: e}
		return nil
	}
	sq, ok := a.cfg.Store.(store.SQLer)
	if !ok {
		return fmt.Errorf("store %T has no SQL handle for the alarms", a.cfg.Store)
	}
	a.alarms = alarmsState{repo: alarm.NewRepo(sq.SQL(), a.cfg.Now)}
	return nil
}

func alarmsRoutes(a *API) []Route {
	return []Route{
		{"GET", "/alarms", signedIn, auth.ScopeSourcesRead, "Alarms, filtered and paged (CSV/XLSX export)", a.alarmsList},
		{"GET", "/alarm-summary", signedIn, auth.ScopeSourcesRead, "Open alarms by severity and the latest ones", a.alarmsSummary},
		{"GET", "/alarm-inbox", signedIn, auth.ScopeSourcesRead, "The latest alarms matching the caller's subscriptions", a.alarmsInbox},
		{"GET", "/alarms/{id}", signedIn, auth.ScopeSourcesRead, "One alarm with its history", a.alarmsGet},
		{"POST", "/alarms/{id}/acknowledge", operators, auth.ScopeDevicesWrite, "Acknowledge an open alarm", a.alarmsAcknowledge},
		{"POST", "/alarms/{id}/dismiss", operators, auth.ScopeDevicesWrite, "Dismiss an alarm with a reason", a.alarmsDismiss},
		{"POST", "/alarms/{id}/case", watchers, auth.ScopeDevicesWrite, "Escalate an alarm to a rectification case", a.alarmsEscalate},
		{"GET", "/alarm-settings", watchers, auth.ScopeSourcesRead, "Alarm rules, their defaults and overrides", a.alarmsSettings},
		{"PUT", "/alarm-settings", adminProv, auth.ScopeRegistry, "Set a rule's override for a scope", a.alarmsPutSetting},
		{"DELETE", "/alarm-settings", adminProv, auth.ScopeRegistry, "Remove a rule's override for a scope", a.alarmsDeleteSetting},
		{"GET", "/alarm-links", watchers, auth.ScopeSourcesRead, "Production lines linked to their treatment facilities", a.alarmsLinks},
		{"POST", "/alarm-links", adminProv, auth.ScopeRegistry, "Link a production line's power-use point to its treatment facility's", a.alarmsPutLink},
		{"GET", "/alarm-subscriptions", signedIn, auth.ScopeAdmin, "The caller's alarm subscriptions", a.alarmsSubscriptions},
		{"POST", "/alarm-subscriptions", signedIn, auth.ScopeAdmin, "Subscribe to alarms (in the UI, and by e-mail)", a.alarmsSubscribe},
		{"DELETE", "/alarm-subscriptions/{id}", signedIn, auth.ScopeAdmin, "Remove one of the caller's subscriptions", a.alarmsUnsubscribe},
		{"GET", "/alarm-webhooks", admin, auth.ScopeAdmin, "Webhook targets of alarm notifications", a.alarmsWebhooks},
		{"POST", "/alarm-webhooks", admin, auth.ScopeAdmin, "Add a webhook target (json, dingtalk, wecom)", a.alarmsAddWebhook},
		{"DELETE", "/alarm-webhooks/{id}", admin, auth.ScopeAdmin, "Remove a webhook target", a.alarmsDeleteWebhook},
		{"GET", "/alarm-deliveries", admin, auth.ScopeAdmin, "Delivery log of alarm notifications", a.alarmsDeliveries},
	}
}

// alarmsScope is the caller's scope as a query: an enterprise user sees
// their enterprise's alarms, the others their region's (by GB/T 2260
// prefix); ok is false for whoever sees none.
func alarmsScope(p auth.Principal) (alarm.Query, bool) {
	if p.Role == auth.Enterprise {
		return alarm.Query{ScopeEnterprise: p.Enterprise}, p.Enterprise != ""
	}
	prefix, ok := p.RegionPrefix()
	return alarm.Query{RegionPrefix: prefix}, ok
}

func alarmsCanSee(p auth.Principal, al alarm.Alarm) bool {
	if p.Role == auth.Enterprise {
		return p.Enterprise != "" && al.Enterprise == p.Enterprise
	}
	return p.CanSeeRegion(al.Region)
}

// alarmsOpenCount is the command centre's open alarm count in the
// caller's scope (open and acknowledged).
func (a *API) alarmsOpenCount(ctx context.Context, p auth.Principal) (int, error) {
	q, ok := alarmsScope(p)
	if !ok {
		return 0, nil
	}
	counts, err := a.alarms.repo.OpenCounts(ctx, q)
	n := 0
	for _, c := range counts {
		n += c
	}
	return n, err
}

var alarmsStates = []string{alarm.StateOpen, alarm.StateAcknowledged, alarm.StateCleared, alarm.StateDismissed}

func (a *API) alarmsList(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q, ok := alarmsScope(p)
	if !ok {
		return a.writePage(w, r, "alarms", []alarm.Alarm{}, 0, pg)
	}
	v := r.URL.Query()
	var fields []FieldError
	if s := v.Get("state"); s != "" {
		for _, st := range strings.Split(s, ",") {
			if !containsString(alarmsStates, st) {
				fields = append(fields, FieldError{"state", "want open, acknowledged, cleared or dismissed (comma-separated)"})
				break
			}
			q.States = append(q.States, st)
		}
	}
	if s := v.Get("rule"); s != "" {
		if !alarm.Rule(s).Valid() {
			fields = append(fields, FieldError{"rule", "unknown rule"})
		}
		q.Rule = alarm.Rule(s)
	}
	if s := v.Get("severity"); s != "" {
		if s != "low" && s != "medium" && s != "high" && s != "critical" {
			fields = append(fields, FieldError{"severity", "want low, medium, high or critical"})
		}
		q.Severity = alarm.Severity(s)
	}
	if s := v.Get("region"); s != "" {
		if _, err := registry.LevelOf(s); err != nil {
			fields = append(fields, FieldError{"region", "want a six-digit GB/T 2260 code"})
		} else {
			// A region narrows the caller's scope, never widens it.
			prefix := strings.TrimRight(s, "0")
			if len(prefix)%2 == 1 {
				prefix += "0"
			}
			if strings.HasPrefix(prefix, q.RegionPrefix) {
				q.RegionPrefix = prefix
			} else if !strings.HasPrefix(q.RegionPrefix, prefix) {
				return a.writePage(w, r, "alarms", []alarm.Alarm{}, 0, pg)
			}
		}
	}
	q.Enterprise, q.Point, q.Factor = v.Get("enterprise"), v.Get("point"), v.Get("factor")
	if len(fields) > 0 {
		return &Error{Code: CodeInvalid, Message: "bad alarm filters", Fields: fields}
	}
	if q.From, q.To, err = timeRange(r, time.Time{}, time.Time{}); err != nil {
		return err
	}
	q.Limit, q.Offset = pg.Limit, pg.Offset
	if exportFormat(r) != "" {
		q.Limit, q.Offset = maxExport, 0
	}
	list, total, err := a.alarms.repo.List(r.Context(), q)
	if err != nil {
		return err
	}
	return a.writePage(w, r, "alarms", list, total, pg)
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// alarmsSummaryView is the command centre's alarm panel.
type alarmsSummaryView struct {
	Open   map[alarm.Severity]int `json:"open"`
	Total  int                    `json:"total"`
	Latest []alarm.Alarm          `json:"latest"`
}

func (a *API) alarmsSummary(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	v := alarmsSummaryView{Open: map[alarm.Severity]int{alarm.Low: 0, alarm.Medium: 0, alarm.High: 0, alarm.Critical: 0}, Latest: []alarm.Alarm{}}
	if q, ok := alarmsScope(p); ok {
		counts, err := a.alarms.repo.OpenCounts(r.Context(), q)
		if err != nil {
			return err
		}
		for s, n := range counts {
			v.Open[s] = n
			v.Total += n
		}
		q.States, q.Limit = []string{alarm.StateOpen, alarm.StateAcknowledged}, 10
		if v.Latest, _, err = a.alarms.repo.List(r.Context(), q); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) alarmsInbox(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	subs, err := a.alarms.repo.Subscriptions(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	out := []alarm.Alarm{}
	q, ok := alarmsScope(p)
	if ok && len(subs) > 0 {
		q.Limit = 200
		q.From = a.now().Add(-7 * 24 * time.Hour)
		list, _, err := a.alarms.repo.List(r.Context(), q)
		if err != nil {
			return err
		}
		for _, al := range list {
			for _, s := range subs {
				if s.Matches(al) {
					out = append(out, al)
					break
				}
			}
		}
	}
	return a.writeList(w, r, "alarm-inbox", out)
}

// alarmsOne loads an alarm the caller may see.
func (a *API) alarmsOne(r *http.Request, p auth.Principal) (alarm.Alarm, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return alarm.Alarm{}, errorf(CodeNotFound, "alarm %q: not found", r.PathValue("id"))
	}
	al, err := a.alarms.repo.Get(r.Context(), id)
	if err != nil {
		return al, err
	}
	if !alarmsCanSee(p, al) {
		return al, forbidden(fmt.Sprintf("alarm %d", id))
	}
	return al, nil
}

func (a *API) alarmsGet(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	al, err := a.alarmsOne(r, p)
	if err != nil {
		return err
	}
	h, err := a.alarms.repo.History(r.Context(), al.ID)
	if err != nil {
		return err
	}
	if h == nil {
		h = []alarm.Event{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"alarm": al, "history": h})
	return nil
}

func (a *API) alarmsAcknowledge(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	al, err := a.alarmsOne(r, p)
	if err != nil {
		return err
	}
	var req struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(r, &req); err != nil {
			return err
		}
	}
	out, err := a.alarms.repo.Acknowledge(r.Context(), al.ID, p.Username, a.remote(r), req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) alarmsDismiss(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	al, err := a.alarmsOne(r, p)
	if err != nil {
		return err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return &Error{Code: CodeInvalid, Message: "a reason is required to dismiss an alarm", MessageZh: "忽略报警须填写原因",
			Fields: []FieldError{{"reason", "required"}}}
	}
	out, err := a.alarms.repo.Dismiss(r.Context(), al.ID, p.Username, a.remote(r), req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// alarmsCategory is the case category of an alarm's point kind.
func alarmsCategory(kind registry.PointKind) string {
	switch kind {
	case registry.KindWaterOutlet, registry.KindWaterSection, registry.KindWaterStation, registry.KindDrinkingSource:
		return "water"
	}
	return "air"
}

func (a *API) alarmsEscalate(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	al, err := a.alarmsOne(r, p)
	if err != nil {
		return err
	}
	if a.cfg.Cases == nil {
		// The cases feature is not part of this build or process yet.
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": &Error{Code: "unavailable",
			Message: "rectification cases are not available on this server yet", MessageZh: "整改案件功能暂不可用"}})
		return nil
	}
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	kind := registry.KindGasOutlet
	if pt, ok := s.points[al.Point]; ok {
		kind = pt.Kind
	}
	region := al.Region
	for _, rg := range s.regions {
		// An alarm of a device without a point has no region: the case
		// goes to the province (only province-wide roles see it anyway).
		if region == "" && rg.Level == registry.LevelProvince {
			region = rg.Code
		}
	}
	if region == "" {
		return errorf(CodeConflict, "alarm %d has no region and the registry no province to give the case to", al.ID)
	}
	id, err := a.cfg.Cases.OpenCase(r.Context(), CaseRequest{Source: "alarm", SourceRef: fmt.Sprintf("alarm:%d", al.ID),
		Title: fmt.Sprintf("%s %s %s", al.Rule, al.Point, al.Factor), Description: al.Message, Category: alarmsCategory(kind),
		Severity: string(al.Severity), RegionCode: region, EnterpriseCode: al.Enterprise, PointCode: al.Point,
		Deadline: a.now().Add(30 * 24 * time.Hour), Actor: p.Username, Remote: a.remote(r)})
	if err != nil {
		return err
	}
	out, err := a.alarms.repo.SetCase(r.Context(), al.ID, id, p.Username, a.remote(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// alarmsParamsView is a rule's parameters as JSON.
type alarmsParamsView struct {
	Rule       alarm.Rule     `json:"rule"`
	Enabled    bool           `json:"enabled"`
	Severity   alarm.Severity `json:"severity"`
	For        string         `json:"for"`
	ClearFor   string         `json:"clear_for"`
	Threshold  float64        `json:"threshold"`
	Threshold2 float64        `json:"threshold2"`
	Count      int            `json:"count"`
}

func (a *API) alarmsSettings(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ss, err := a.alarms.repo.Settings(r.Context())
	if err != nil {
		return err
	}
	if ss == nil {
		ss = []alarm.Setting{}
	}
	rules := make([]alarmsParamsView, 0, len(alarm.Rules))
	for _, rule := range alarm.Rules {
		d := alarm.Defaults[rule]
		rules = append(rules, alarmsParamsView{Rule: rule, Enabled: d.Enabled, Severity: d.Severity, For: d.For.String(),
			ClearFor: d.ClearFor.String(), Threshold: d.Threshold, Threshold2: d.Threshold2, Count: d.Count})
	}
	writeJSON(w, http.StatusOK, map[string]any{"defaults": rules, "overrides": ss})
	return nil
}

func (a *API) alarmsReload(ctx context.Context) {
	if a.alarms.engine != nil {
		a.alarms.engine.Reload(context.WithoutCancel(ctx))
	}
}

func (a *API) alarmsPutSetting(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var s alarm.Setting
	if err := decodeBody(r, &s); err != nil {
		return err
	}
	if err := a.alarms.repo.PutSetting(r.Context(), s, p.Username, a.remote(r)); err != nil {
		return err
	}
	a.alarmsReload(r.Context())
	writeJSON(w, http.StatusOK, s)
	return nil
}

func (a *API) alarmsDeleteSetting(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	q := r.URL.Query()
	scope, err := alarm.ParseScope(q.Get("scope"))
	if err != nil {
		return err
	}
	if err := a.alarms.repo.DeleteSetting(r.Context(), alarm.Rule(q.Get("rule")), scope, p.Username, a.remote(r)); err != nil {
		return err
	}
	a.alarmsReload(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) alarmsLinks(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	ls, err := a.alarms.repo.Links(r.Context())
	if err != nil {
		return err
	}
	if ls == nil {
		ls = []alarm.Link{}
	}
	return a.writeList(w, r, "alarm-links", ls)
}

func (a *API) alarmsPutLink(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var l alarm.Link
	if err := decodeBody(r, &l); err != nil {
		return err
	}
	s, err := a.snap(r.Context())
	if err != nil {
		return err
	}
	for _, code := range []string{l.Production, l.Facility} {
		if pt, ok := s.points[code]; !ok || pt.Kind != registry.KindPowerUse {
			return &Error{Code: CodeInvalid, Message: fmt.Sprintf("point %q: not a registered power-use point", code),
				Fields: []FieldError{{"production", "both must be power_use points"}}}
		}
	}
	if err := a.alarms.repo.PutLink(r.Context(), l, p.Username, a.remote(r)); err != nil {
		return err
	}
	a.alarmsReload(r.Context())
	writeJSON(w, http.StatusOK, l)
	return nil
}

func (a *API) alarmsSubscriptions(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ss, err := a.alarms.repo.Subscriptions(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	return a.writeList(w, r, "alarm-subscriptions", ss)
}

func (a *API) alarmsSubscribe(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var s alarm.Subscription
	if err := decodeBody(r, &s); err != nil {
		return err
	}
	s.UserID = p.UserID
	out, err := a.alarms.repo.AddSubscription(r.Context(), s, p.Username, a.remote(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func alarmsID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(CodeNotFound, "%q: not found", r.PathValue("id"))
	}
	return id, nil
}

func (a *API) alarmsUnsubscribe(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := alarmsID(r)
	if err != nil {
		return err
	}
	if err := a.alarms.repo.DeleteSubscription(r.Context(), id, p.UserID, p.Username, a.remote(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) alarmsWebhooks(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	hs, err := a.alarms.repo.Webhooks(r.Context())
	if err != nil {
		return err
	}
	return a.writeList(w, r, "alarm-webhooks", hs)
}

func (a *API) alarmsAddWebhook(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var h alarm.Webhook
	if err := decodeBody(r, &h); err != nil {
		return err
	}
	out, err := a.alarms.repo.AddWebhook(r.Context(), h, p.Username, a.remote(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) alarmsDeleteWebhook(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := alarmsID(r)
	if err != nil {
		return err
	}
	if err := a.alarms.repo.DeleteWebhook(r.Context(), id, p.Username, a.remote(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) alarmsDeliveries(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	limit, offset := pg.Limit, pg.Offset
	if exportFormat(r) != "" {
		limit, offset = maxExport, 0
	}
	ds, total, err := a.alarms.repo.Deliveries(r.Context(), limit, offset)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	return a.writePage(w, r, "alarm-deliveries", ds, total, pg)
}

// alarmsFeed subscribes to the engine's alarm events for the /events
// stream: the events p may see, best effort (a full buffer drops them,
// like the device events).
func (a *API) alarmsFeed(p auth.Principal) (<-chan alarm.EventView, func(), error) {
	ch := make(chan alarm.EventView, sseBuffer)
	if a.cfg.Bus == nil {
		return ch, func() {}, nil
	}
	unsub, err := a.cfg.Bus.Subscribe("alarm.>", func(m bus.Msg) {
		var v alarm.EventView
		if json.Unmarshal(m.Data, &v) != nil || !alarmsCanSee(p, alarm.Alarm{Region: v.Region, Enterprise: v.Enterprise}) {
			return
		}
		select {
		case ch <- v:
		default:
		}
	})
	return ch, unsub, err
}
