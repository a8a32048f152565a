package alarm

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"ecowatch/store"
)

// Webhook formats: a generic JSON body, or the robot formats of DingTalk
// (钉钉自定义机器人, msgtype markdown) and WeCom (企业微信群机器人,
// msgtype markdown).
const (
	FormatJSON     = "json"
	FormatDingTalk = "dingtalk"
	FormatWeCom    = "wecom"
)

// Webhook is a target alarms are posted to.
type Webhook struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	URL         string    `json:"url"`
	Format      string    `json:"format"`
	MinSeverity Severity  `json:"min_severity"`
	Enabled     bool      `json:"enabled"`
	Created     time.Time `json:"created"`
}

// Subscription is a user's wish to be told of alarms: in the UI (the
// inbox), and by e-mail when Email is set.
type Subscription struct {
	ID          int64     `json:"id"`
	UserID      int64     `json:"user_id"`
	Rules       []Rule    `json:"rules"` // empty: every rule
	MinSeverity Severity  `json:"min_severity"`
	Email       string    `json:"email,omitempty"`
	Created     time.Time `json:"created"`
}

// Delivery is one attempt to deliver a notification.
type Delivery struct {
	ID      int64     `json:"id"`
	AlarmID int64     `json:"alarm_id"`
	Channel string    `json:"channel"` // webhook, email
	Target  string    `json:"target"`
	Attempt int       `json:"attempt"`
	Status  string    `json:"status"` // delivered, failed, gave-up
	Error   string    `json:"error,omitempty"`
	Time    time.Time `json:"time"`
}

var severityRank = map[Severity]int{Low: 1, Medium: 2, High: 3, Critical: 4}

// AtLeast reports whether s is at least min.
func (s Severity) AtLeast(min Severity) bool { return severityRank[s] >= severityRank[min] }

// Matches reports whether the subscription wants alarm a.
func (s Subscription) Matches(a Alarm) bool {
	return a.Severity.AtLeast(s.MinSeverity) && (len(s.Rules) == 0 || slices.Contains(s.Rules, a.Rule))
}

// Validate checks a webhook's fields. Only http and https URLs are
// accepted (an admin sets them; the engine posts to them).
func (w *Webhook) Validate() error {
	w.Name = strings.TrimSpace(w.Name)
	if w.Name == "" || len(w.Name) > 100 {
		return invalidf("name: 1 to 100 characters")
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(w.URL) > 2000 {
		return invalidf("url %q: want an http or https URL", w.URL)
	}
	if w.Format == "" {
		w.Format = FormatJSON
	}
	if w.Format != FormatJSON && w.Format != FormatDingTalk && w.Format != FormatWeCom {
		return invalidf("format %q: want json, dingtalk or wecom", w.Format)
	}
	if w.MinSeverity == "" {
		w.MinSeverity = Low
	}
	if !validSeverity(w.MinSeverity) {
		return invalidf("min_severity %q: want low, medium, high or critical", w.MinSeverity)
	}
	return nil
}

// Validate checks a subscription's fields.
func (s *Subscription) Validate() error {
	for _, r := range s.Rules {
		if !r.Valid() {
			return invalidf("rules: unknown rule %q", r)
		}
	}
	if s.MinSeverity == "" {
		s.MinSeverity = Low
	}
	if !validSeverity(s.MinSeverity) {
		return invalidf("min_severity %q: want low, medium, high or critical", s.MinSeverity)
	}
	if s.Email != "" {
		a, err := mail.ParseAddress(s.Email)
		if err != nil || a.Address != s.Email || strings.ContainsAny(s.Email, "\r\n") {
			return invalidf("email %q: want a plain address such as name@example.cn", s.Email)
		}
	}
	return nil
}

func joinRules(rs []Rule) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

func splitRules(s string) []Rule {
	out := []Rule{}
	for _, r := range strings.Split(s, ",") {
		if r != "" {
			out = append(out, Rule(r))
		}
	}
	return out
}

// AddWebhook stores a webhook target.
func (r *Repo) AddWebhook(ctx context.Context, w Webhook, actor, remote string) (Webhook, error) {
	if err := w.Validate(); err != nil {
		return w, err
	}
	w.Enabled = true
	w.Created = time.Unix(r.now().Unix(), 0).In(store.CST)
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, r.db.Q(`INSERT INTO alarm_webhook (name, url, format, min_severity, enabled, created) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			w.Name, w.URL, w.Format, w.MinSeverity, true, w.Created.Unix()).Scan(&w.ID); err != nil {
			return err
		}
		_, err := r.db.AppendAudit(ctx, tx, store.AuditEntry{Time: w.Created, Actor: actor, Action: "alarm.webhook.add",
			Object: "alarm-webhook:" + strconv.FormatInt(w.ID, 10), Detail: w.Name + " " + w.Format, Remote: remote})
		return err
	})
	return w, err
}

// Webhooks lists the webhook targets.
func (r *Repo) Webhooks(ctx context.Context) ([]Webhook, error) {
	rows, err := r.db.R.QueryContext(ctx, `SELECT id, name, url, format, min_severity, enabled, created FROM alarm_webhook ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		var w Webhook
		var c int64
		if err := rows.Scan(&w.ID, &w.Name, &w.URL, &w.Format, &w.MinSeverity, &w.Enabled, &c); err != nil {
			return nil, err
		}
		w.Created = time.Unix(c, 0).In(store.CST)
		out = append(out, w)
	}
	return out, rows.Err()
}

// DeleteWebhook removes a webhook target.
func (r *Repo) DeleteWebhook(ctx context.Context, id int64, actor, remote string) error {
	return r.deleteRow(ctx, "alarm_webhook", "alarm.webhook.delete", "alarm-webhook", id, 0, actor, remote)
}

func (r *Repo) deleteRow(ctx context.Context, table, action, object string, id, userID int64, actor, remote string) error {
	q := `DELETE FROM ` + table + ` WHERE id = ?`
	args := []any{id}
	if userID != 0 {
		q += ` AND user_id = ?`
		args = append(args, userID)
	}
	return r.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, r.db.Q(q), args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s %d: %w", object, id, store.ErrNotFound)
		}
		_, err = r.db.AppendAudit(ctx, tx, store.AuditEntry{Time: r.now(), Actor: actor, Action: action,
			Object: object + ":" + strconv.FormatInt(id, 10), Remote: remote})
		return err
	})
}

// AddSubscription stores a user's subscription.
func (r *Repo) AddSubscription(ctx context.Context, s Subscription, actor, remote string) (Subscription, error) {
	if err := s.Validate(); err != nil {
		return s, err
	}
	if s.Rules == nil {
		s.Rules = []Rule{}
	}
	s.Created = time.Unix(r.now().Unix(), 0).In(store.CST)
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, r.db.Q(`INSERT INTO alarm_subscription (user_id, rules, min_severity, email, created) VALUES (?, ?, ?, ?, ?) RETURNING id`),
			s.UserID, joinRules(s.Rules), s.MinSeverity, s.Email, s.Created.Unix()).Scan(&s.ID); err != nil {
			return err
		}
		_, err := r.db.AppendAudit(ctx, tx, store.AuditEntry{Time: s.Created, Actor: actor, Action: "alarm.subscription.add",
			Object: "alarm-subscription:" + strconv.FormatInt(s.ID, 10), Detail: joinRules(s.Rules) + " " + string(s.MinSeverity), Remote: remote})
		return err
	})
	return s, err
}

// Subscriptions lists one user's subscriptions, or everyone's for user 0.
func (r *Repo) Subscriptions(ctx context.Context, userID int64) ([]Subscription, error) {
	q, args := `SELECT id, user_id, rules, min_severity, email, created FROM alarm_subscription`, []any{}
	if userID != 0 {
		q += ` WHERE user_id = ?`
		args = append(args, userID)
	}
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(q+` ORDER BY id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Subscription{}
	for rows.Next() {
		var s Subscription
		var rules string
		var c int64
		if err := rows.Scan(&s.ID, &s.UserID, &rules, &s.MinSeverity, &s.Email, &c); err != nil {
			return nil, err
		}
		s.Rules, s.Created = splitRules(rules), time.Unix(c, 0).In(store.CST)
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSubscription removes one of a user's subscriptions.
func (r *Repo) DeleteSubscription(ctx context.Context, id, userID int64, actor, remote string) error {
	return r.deleteRow(ctx, "alarm_subscription", "alarm.subscription.delete", "alarm-subscription", id, userID, actor, remote)
}

// LogDelivery records a delivery attempt.
func (r *Repo) LogDelivery(ctx context.Context, d Delivery) error {
	_, err := r.db.W.ExecContext(ctx, r.db.Q(`INSERT INTO alarm_delivery (alarm_id, channel, target, attempt, status, error, t) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		d.AlarmID, d.Channel, d.Target, d.Attempt, d.Status, d.Error, d.Time.Unix())
	return err
}

// Deliveries lists the latest delivery attempts, newest first.
func (r *Repo) Deliveries(ctx context.Context, limit, offset int) ([]Delivery, int, error) {
	var total int
	if err := r.db.R.QueryRowContext(ctx, `SELECT count(*) FROM alarm_delivery`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(`SELECT id, alarm_id, channel, target, attempt, status, error, t FROM alarm_delivery ORDER BY id DESC LIMIT ? OFFSET ?`), limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var t int64
		if err := rows.Scan(&d.ID, &d.AlarmID, &d.Channel, &d.Target, &d.Attempt, &d.Status, &d.Error, &t); err != nil {
			return nil, 0, err
		}
		d.Time = time.Unix(t, 0).In(store.CST)
		out = append(out, d)
	}
	return out, total, rows.Err()
}

// SMTP is how e-mail is sent. Addr empty: no e-mail.
type SMTP struct {
	Addr     string // host:port
	From     string
	Username string // PLAIN auth when set (net/smtp refuses it without TLS except on localhost)
	Password string
}

// Notifier delivers alarms to webhooks and subscribers' e-mail, with
// retries and a delivery log. Notify only queues; Run delivers.
type Notifier struct {
	Repo   *Repo
	Client *http.Client // default: 10 s timeout
	SMTP   SMTP
	// Backoff are the waits before the second, third, … attempt (default
	// 1 s, 5 s, 30 s, 2 min: four retries, five attempts).
	Backoff []time.Duration
	Logger  *slog.Logger
	// Now is the clock of the delivery log; nil is time.Now.
	Now func() time.Time

	once  sync.Once
	queue chan notifyJob
}

type notifyJob struct {
	alarm   Alarm
	change  Change
	channel string
	target  string
	format  string
}

func (n *Notifier) init() {
	n.once.Do(func() {
		n.queue = make(chan notifyJob, 4096)
		if n.Client == nil {
			n.Client = &http.Client{Timeout: 10 * time.Second}
		}
		if n.Backoff == nil {
			n.Backoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
		}
		if n.Logger == nil {
			n.Logger = slog.Default()
		}
		if n.Now == nil {
			n.Now = time.Now
		}
	})
}

// Notify queues the deliveries of an opened or cleared alarm (repeats are
// not sent: one message per alarm and one when it ends).
func (n *Notifier) Notify(ctx context.Context, a Alarm, c Change) {
	n.init()
	if c != Fire && c != Resolve {
		return
	}
	hooks, err := n.Repo.Webhooks(ctx)
	if err != nil {
		n.Logger.Error("alarm notify: webhooks", "err", err)
	}
	for _, w := range hooks {
		if w.Enabled && a.Severity.AtLeast(w.MinSeverity) {
			n.enqueue(notifyJob{alarm: a, change: c, channel: "webhook", target: w.URL, format: w.Format})
		}
	}
	if n.SMTP.Addr == "" {
		return
	}
	subs, err := n.Repo.Subscriptions(ctx, 0)
	if err != nil {
		n.Logger.Error("alarm notify: subscriptions", "err", err)
	}
	seen := map[string]bool{}
	for _, s := range subs {
		if s.Email != "" && !seen[s.Email] && s.Matches(a) {
			seen[s.Email] = true
			n.enqueue(notifyJob{alarm: a, change: c, channel: "email", target: s.Email})
		}
	}
}

func (n *Notifier) enqueue(j notifyJob) {
	select {
	case n.queue <- j:
	default:
		n.Logger.Error("alarm notify: queue full, notification dropped", "alarm", j.alarm.ID, "target", j.target)
	}
}

// Run delivers queued notifications until ctx ends; each delivery retries
// with backoff on its own goroutine, so one dead target delays no other.
func (n *Notifier) Run(ctx context.Context, wg *sync.WaitGroup) {
	n.init()
	wg.Add(1)
	go func() {
		defer wg.Done()
		var jobs sync.WaitGroup
		defer jobs.Wait()
		for {
			select {
			case <-ctx.Done():
				return
			case j := <-n.queue:
				jobs.Add(1)
				go func() {
					defer jobs.Done()
					n.deliver(ctx, j)
				}()
			}
		}
	}()
}

func (n *Notifier) deliver(ctx context.Context, j notifyJob) {
	for attempt := 1; ; attempt++ {
		err := n.send(ctx, j)
		d := Delivery{AlarmID: j.alarm.ID, Channel: j.channel, Target: redact(j.target), Attempt: attempt, Status: "delivered", Time: n.Now()}
		last := attempt > len(n.Backoff)
		if err != nil {
			d.Status, d.Error = "failed", err.Error()
			if last {
				d.Status = "gave-up"
			}
		}
		if lerr := n.Repo.LogDelivery(context.WithoutCancel(ctx), d); lerr != nil {
			n.Logger.Error("alarm notify: delivery log", "err", lerr)
		}
		if err == nil || last {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(n.Backoff[attempt-1]):
		}
	}
}

// redact drops a URL's query (robot webhooks carry their access token
// there) from what the delivery log shows.
func redact(target string) string {
	if u, err := url.Parse(target); err == nil && u.RawQuery != "" {
		u.RawQuery = "…"
		return u.String()
	}
	return target
}

// Body returns the request body of a webhook in its format.
func Body(format string, a Alarm, c Change) []byte {
	title := fmt.Sprintf("[%s] %s %s %s", a.Severity, a.Rule, a.Point, a.Factor)
	if c == Resolve {
		title = "[cleared] " + title
	}
	text := fmt.Sprintf("### %s\n\n%s\n\n- alarm: %d\n- state: %s\n- opened: %s", title, a.Message, a.ID, a.State, a.Opened.Format(time.RFC3339))
	var v any
	switch format {
	case FormatDingTalk:
		v = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": text}}
	case FormatWeCom:
		v = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": text}}
	default:
		v = map[string]any{"change": c.String(), "alarm": a}
	}
	b, _ := json.Marshal(v)
	return b
}

func (n *Notifier) send(ctx context.Context, j notifyJob) error {
	switch j.channel {
	case "webhook":
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.target, bytes.NewReader(Body(j.format, j.alarm, j.change)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		res, err := n.Client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		if res.StatusCode/100 != 2 {
			return fmt.Errorf("HTTP %d: %.200s", res.StatusCode, body)
		}
		// DingTalk and WeCom answer 200 with {"errcode": n} on failure.
		var r struct {
			ErrCode *int   `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if j.format != FormatJSON && json.Unmarshal(body, &r) == nil && r.ErrCode != nil && *r.ErrCode != 0 {
			return fmt.Errorf("robot errcode %d: %s", *r.ErrCode, r.ErrMsg)
		}
		return nil
	case "email":
		return n.mail(j)
	}
	return errors.New("unknown channel " + j.channel)
}

func (n *Notifier) mail(j notifyJob) error {
	subject := fmt.Sprintf("[ecowatch 报警 %s] %s %s", j.alarm.Severity, j.alarm.Rule, j.alarm.Point)
	if j.change == Resolve {
		subject = "[已解除] " + subject
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		n.SMTP.From, j.target, mimeWord(subject))
	fmt.Fprintf(&msg, "%s\r\n\r\nalarm %d, %s, opened %s\r\n", j.alarm.Message, j.alarm.ID, j.alarm.State, j.alarm.Opened.Format(time.RFC3339))
	host, _, _ := strings.Cut(n.SMTP.Addr, ":")
	// smtp.SendMail has no timeout: a server that accepts and then says
	// nothing would hold the delivery (and the shutdown) forever.
	conn, err := net.DialTimeout("tcp", n.SMTP.Addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if n.SMTP.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", n.SMTP.Username, n.SMTP.Password, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(n.SMTP.From); err != nil {
		return err
	}
	if err := c.Rcpt(j.target); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg.Bytes()); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// mimeWord encodes a header with non-ASCII text (RFC 2047 "B"
// encoding); ASCII text is returned unchanged.
func mimeWord(s string) string { return mime.BEncoding.Encode("utf-8", s) }
