package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"ecowatch/auth"
	"ecowatch/store"
)

// UserView is an account as the API shows it (never the password hash).
type UserView struct {
	ID           int64  `json:"id"`
	Username     string `json:"username"`
	DisplayName  string `json:"display_name"`
	Role         string `json:"role"`
	Region       string `json:"region"`
	EnterpriseID string `json:"enterprise_id"`
	Disabled     bool   `json:"disabled"`
}

func viewUser(u store.User) UserView {
	return UserView{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Region: u.Region,
		EnterpriseID: u.Enterprise, Disabled: u.Disabled}
}

// SessionView is the answer of the session routes.
type SessionView struct {
	User      UserView `json:"user"`
	CSRFToken string   `json:"csrf_token"`
}

// decodeBody reads a JSON body of at most 1 MiB with no unknown fields.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(CodeBadRequest, "request body: %v", err)
	}
	return nil
}

func (a *API) signIn(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.Username) > 64 || len(req.Password) > 256 {
		// Bounds the throttle's keys and the hashing work of one attempt.
		return &Error{Code: CodeUnauthenticated, Message: "wrong username or password", MessageZh: "用户名或密码错误"}
	}
	ctx, now, addr := r.Context(), a.now(), a.remote(r)
	if ok, wait := a.cfg.Throttle.Allow(req.Username, addr, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		a.record(ctx, r, req.Username, "session.throttled", "user:"+req.Username, "")
		return &Error{Code: CodeRateLimited, Message: fmt.Sprintf("too many failed sign-ins; try again in %s", wait.Round(time.Second)),
			MessageZh: fmt.Sprintf("登录失败次数过多，请 %d 秒后再试", int(wait.Seconds())+1)}
	}
	u, err := a.cfg.Accounts.UserByName(ctx, req.Username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// A missing user costs a hash too, so timing does not tell which
	// usernames exist.
	hash := u.PasswordHash
	if err != nil {
		hash = a.dummyHash
	}
	ok := auth.CheckPassword(hash, req.Password) && err == nil && !u.Disabled
	a.cfg.Throttle.Record(req.Username, addr, ok, now)
	if !ok {
		a.record(ctx, r, req.Username, "session.fail", "user:"+req.Username, "")
		return &Error{Code: CodeUnauthenticated, Message: "wrong username or password", MessageZh: "用户名或密码错误"}
	}
	secret, idHash := auth.NewSecret()
	csrf, _ := auth.NewSecret()
	if err := a.cfg.Accounts.CreateSession(ctx, store.Session{IDHash: idHash, UserID: u.ID, CSRF: csrf, Remote: addr,
		Created: now, Expires: now.Add(a.cfg.SessionTTL)}); err != nil {
		return err
	}
	a.record(ctx, r, u.Username, "session.create", "user:"+u.Username, "")
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, Expires: now.Add(a.cfg.SessionTTL)})
	writeJSON(w, http.StatusOK, SessionView{User: viewUser(u), CSRFToken: csrf})
	return nil
}

func (a *API) session(r *http.Request) (store.Session, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return store.Session{}, errorf(CodeBadRequest, "this route is for a browser session; a token has none")
	}
	return a.cfg.Accounts.Session(r.Context(), auth.HashSecret(c.Value), a.now())
}

func (a *API) currentSession(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.session(r)
	if err != nil {
		return err
	}
	u, err := a.cfg.Accounts.User(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SessionView{User: viewUser(u), CSRFToken: s.CSRF})
	return nil
}

func (a *API) signOut(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	s, err := a.session(r)
	if err != nil {
		return err
	}
	if err := a.cfg.Accounts.DeleteSession(r.Context(), s.IDHash); err != nil {
		return err
	}
	a.record(r.Context(), r, p.Username, "session.delete", "user:"+p.Username, "")
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: r.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) users(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	us, err := a.cfg.Accounts.Users(r.Context())
	if err != nil {
		return err
	}
	out := make([]UserView, len(us))
	for i, u := range us {
		out[i] = viewUser(u)
	}
	return a.writeList(w, r, "users", out)
}

// UserRequest is the body of POST /users and PATCH /users/{id}; in a PATCH
// absent fields are left as they are.
type UserRequest struct {
	Username     *string `json:"username"`
	DisplayName  *string `json:"display_name"`
	Role         *string `json:"role"`
	Region       *string `json:"region"`
	EnterpriseID *string `json:"enterprise_id"`
	Password     *string `json:"password"`
	Disabled     *bool   `json:"disabled"`
}

// ValidateUser checks an account's role against its scope fields: a city
// or enforcement officer needs a region, an enterprise user an enterprise.
func ValidateUser(u store.User) error {
	var fields []FieldError
	role, err := auth.ParseRole(u.Role)
	if err != nil {
		fields = append(fields, FieldError{"role", err.Error()})
	}
	if u.Username == "" || len(u.Username) > 64 {
		fields = append(fields, FieldError{"username", "1 to 64 characters"})
	}
	if (role == auth.City || role == auth.Enforcement) && len(u.Region) != 6 {
		fields = append(fields, FieldError{"region", "a city or enforcement officer needs a six-digit GB/T 2260 region code"})
	}
	if role == auth.Enterprise && u.Enterprise == "" {
		fields = append(fields, FieldError{"enterprise_id", "an enterprise user needs the enterprise's credit code"})
	}
	if len(fields) > 0 {
		return &Error{Code: CodeInvalid, Message: "the account is not valid", Fields: fields}
	}
	return nil
}

func (a *API) applyUser(u *store.User, req UserRequest) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&u.Username, req.Username)
	set(&u.DisplayName, req.DisplayName)
	set(&u.Role, req.Role)
	set(&u.Region, req.Region)
	set(&u.Enterprise, req.EnterpriseID)
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	if err := ValidateUser(*u); err != nil {
		return err
	}
	if req.Password != nil {
		if err := auth.CheckPasswordRules(u.Username, *req.Password); err != nil {
			return &Error{Code: CodeInvalid, Message: err.Error(), MessageZh: "密码至少 10 位，包含大写、小写、数字、符号中的三类，且不含用户名",
				Fields: []FieldError{{"password", err.Error()}}}
		}
		u.PasswordHash = a.cfg.Hasher.Hash(*req.Password)
	}
	return nil
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req UserRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Password == nil {
		return &Error{Code: CodeInvalid, Message: "password is required", Fields: []FieldError{{"password", "required"}}}
	}
	var u store.User
	if err := a.applyUser(&u, req); err != nil {
		return err
	}
	id, err := a.cfg.Accounts.CreateUser(r.Context(), u)
	if err != nil {
		return err
	}
	u.ID = id
	if err := a.record(r.Context(), r, p.Username, "user.create", "user:"+u.Username, "role="+u.Role+" region="+u.Region); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewUser(u))
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errorf(CodeBadRequest, "id %q: want a positive integer", r.PathValue("id"))
	}
	return id, nil
}

func (a *API) updateUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req UserRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	u, err := a.cfg.Accounts.User(r.Context(), id)
	if err != nil {
		return err
	}
	if err := a.applyUser(&u, req); err != nil {
		return err
	}
	if err := a.cfg.Accounts.UpdateUser(r.Context(), u); err != nil {
		return err
	}
	// A new password or a disabled account ends its sessions.
	if req.Password != nil || u.Disabled {
		if err := a.cfg.Accounts.DeleteUserSessions(r.Context(), u.ID); err != nil {
			return err
		}
	}
	detail := fmt.Sprintf("role=%s region=%s enterprise=%s disabled=%v password_changed=%v", u.Role, u.Region, u.Enterprise, u.Disabled, req.Password != nil)
	if err := a.record(r.Context(), r, p.Username, "user.update", "user:"+u.Username, detail); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if id == p.UserID {
		return errorf(CodeConflict, "an administrator cannot delete their own account")
	}
	u, err := a.cfg.Accounts.User(r.Context(), id)
	if err != nil {
		return err
	}
	if err := a.cfg.Accounts.DeleteUser(r.Context(), id); err != nil {
		return err
	}
	if err := a.record(r.Context(), r, p.Username, "user.delete", "user:"+u.Username, ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TokenView is an API token as listed; Token is only set on creation.
type TokenView struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"user_id"`
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	Token     string     `json:"token,omitempty"`
}

func viewToken(t store.Token) TokenView {
	v := TokenView{ID: t.ID, UserID: t.UserID, Name: t.Name, Scopes: t.Scopes, CreatedAt: t.Created}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	if !t.Expires.IsZero() {
		e := t.Expires
		v.ExpiresAt = &e
	}
	return v
}

func (a *API) tokens(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	owner := p.UserID
	if p.Role == auth.Admin {
		owner = 0
	}
	ts, err := a.cfg.Accounts.Tokens(r.Context(), owner)
	if err != nil {
		return err
	}
	out := make([]TokenView, len(ts))
	for i, t := range ts {
		out[i] = viewToken(t)
	}
	return a.writeList(w, r, "tokens", out)
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req struct {
		Name      string     `json:"name"`
		Scopes    []string   `json:"scopes"`
		ExpiresAt *time.Time `json:"expires_at"`
		UserID    int64      `json:"user_id"` // admin only: a token for another account (a data-sharing client)
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	var fields []FieldError
	if req.Name == "" {
		fields = append(fields, FieldError{"name", "required"})
	}
	if _, err := auth.ParseScopes(req.Scopes); err != nil || len(req.Scopes) == 0 {
		fields = append(fields, FieldError{"scopes", fmt.Sprintf("want one or more of %v", auth.Scopes)})
	}
	now := a.now()
	if req.ExpiresAt != nil && !req.ExpiresAt.After(now) {
		fields = append(fields, FieldError{"expires_at", "in the past"})
	}
	if len(fields) > 0 {
		return &Error{Code: CodeInvalid, Message: "the token is not valid", Fields: fields}
	}
	owner := p.UserID
	if req.UserID != 0 && req.UserID != p.UserID {
		if p.Role != auth.Admin {
			return errorf(CodeForbidden, "only an administrator makes tokens for other accounts")
		}
		if _, err := a.cfg.Accounts.User(r.Context(), req.UserID); err != nil {
			return err
		}
		owner = req.UserID
	}
	secret, hash := auth.NewToken()
	t := store.Token{UserID: owner, Name: req.Name, Hash: hash, Scopes: req.Scopes, Created: now}
	if req.ExpiresAt != nil {
		t.Expires = *req.ExpiresAt
	}
	id, err := a.cfg.Accounts.CreateToken(r.Context(), t)
	if err != nil {
		return err
	}
	t.ID = id
	if err := a.record(r.Context(), r, p.Username, "token.create", fmt.Sprintf("token:%d", id), fmt.Sprintf("user_id=%d scopes=%v", owner, req.Scopes)); err != nil {
		return err
	}
	v := viewToken(t)
	v.Token = secret
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (a *API) deleteToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := a.cfg.Accounts.Token(r.Context(), id)
	if err != nil {
		return err
	}
	// Someone else's token is "not found", not "forbidden": ids of other
	// accounts' tokens are not disclosed.
	if p.Role != auth.Admin && t.UserID != p.UserID {
		return errorf(CodeNotFound, "token %d: not found", id)
	}
	if err := a.cfg.Accounts.DeleteToken(r.Context(), id); err != nil {
		return err
	}
	if err := a.record(r.Context(), r, p.Username, "token.delete", fmt.Sprintf("token:%d", id), ""); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// AuditView is an audit entry as listed.
type AuditView struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Object string    `json:"object"`
	Detail string    `json:"detail"`
	Remote string    `json:"remote"`
	Hash   string    `json:"hash"`
}

func (a *API) audit(w http.ResponseWriter, r *http.Request, _ auth.Principal) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	from, to, err := timeRange(r, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	q := r.URL.Query()
	aq := store.AuditQuery{Actor: q.Get("actor"), Action: q.Get("action"), From: from, To: to, Limit: pg.Limit, Offset: pg.Offset}
	if exportFormat(r) != "" {
		aq.Limit, aq.Offset = maxExport, 0
	}
	es, total, err := a.cfg.Accounts.Audit(r.Context(), aq)
	if err != nil {
		return err
	}
	out := make([]AuditView, len(es))
	for i, e := range es {
		out[i] = AuditView{ID: e.ID, Time: e.Time, Actor: e.Actor, Action: e.Action, Object: e.Object, Detail: e.Detail, Remote: e.Remote, Hash: e.Hash}
	}
	return a.writePage(w, r, "audit", out, total, pg)
}
