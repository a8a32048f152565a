package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"ecowatch/store"
)

// Accounts tables keep times as Unix seconds in integer columns on both
// dialects: they are compared, never cut into calendar periods.

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func timeOrZero(sec int64) time.Time {
	if sec == 0 {
		return time.Time{}
	}
	return cst(sec)
}

// isUnique reports a unique-constraint violation of either driver, whose
// error types this package does not import.
func isUnique(err error) bool {
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

func validUser(u store.User) error {
	switch {
	case u.Username == "":
		return fmt.Errorf("%w: username: empty", store.ErrInvalid)
	case u.Role == "":
		return fmt.Errorf("%w: role: empty", store.ErrInvalid)
	case u.PasswordHash == "":
		return fmt.Errorf("%w: password_hash: empty", store.ErrInvalid)
	}
	return nil
}

const userCols = "id, username, display_name, role, region_code, enterprise, password_hash, disabled, created, updated"

func scanUser(sc interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var created, updated int64
	err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Role, &u.Region, &u.Enterprise, &u.PasswordHash, &u.Disabled, &created, &updated)
	u.Created, u.Updated = cst(created), cst(updated)
	return u, err
}

// CreateUser implements store.Accounts.
func (db *DB) CreateUser(ctx context.Context, u store.User) (int64, error) {
	if err := validUser(u); err != nil {
		return 0, err
	}
	now := time.Now().Unix()
	var id int64
	err := db.w.QueryRowContext(ctx, db.d.Q(`INSERT INTO app_user (username, display_name, role, region_code, enterprise, password_hash, disabled, created, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		u.Username, u.DisplayName, u.Role, u.Region, u.Enterprise, u.PasswordHash, u.Disabled, now, now).Scan(&id)
	if err != nil && isUnique(err) {
		return 0, fmt.Errorf("user %q: %w: username taken", u.Username, store.ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("create user %q: %w", u.Username, err)
	}
	return id, nil
}

// UpdateUser implements store.Accounts.
func (db *DB) UpdateUser(ctx context.Context, u store.User) error {
	if err := validUser(u); err != nil {
		return err
	}
	res, err := db.w.ExecContext(ctx, db.d.Q(`UPDATE app_user SET username = ?, display_name = ?, role = ?, region_code = ?, enterprise = ?,
password_hash = ?, disabled = ?, updated = ? WHERE id = ?`),
		u.Username, u.DisplayName, u.Role, u.Region, u.Enterprise, u.PasswordHash, u.Disabled, time.Now().Unix(), u.ID)
	if err != nil && isUnique(err) {
		return fmt.Errorf("user %q: %w: username taken", u.Username, store.ErrConflict)
	}
	return affected(res, err, "user", u.ID)
}

func affected(res sql.Result, err error, what string, id any) error {
	if err != nil {
		return fmt.Errorf("%s %v: %w", what, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s %v: %w", what, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%s %v: %w", what, id, store.ErrNotFound)
	}
	return nil
}

// DeleteUser implements store.Accounts. Sessions and tokens are deleted
// explicitly as well as by the foreign keys' cascade, so the result does
// not depend on a connection's foreign_keys setting.
func (db *DB) DeleteUser(ctx context.Context, id int64) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{"DELETE FROM app_session WHERE user_id = ?", "DELETE FROM api_token WHERE user_id = ?"} {
		if _, err := tx.ExecContext(ctx, db.d.Q(q), id); err != nil {
			return fmt.Errorf("delete user %d: %w", id, err)
		}
	}
	res, err := tx.ExecContext(ctx, db.d.Q("DELETE FROM app_user WHERE id = ?"), id)
	if err := affected(res, err, "user", id); err != nil {
		return err
	}
	return tx.Commit()
}

// User implements store.Accounts.
func (db *DB) User(ctx context.Context, id int64) (store.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, db.d.Q("SELECT "+userCols+" FROM app_user WHERE id = ?"), id))
	return u, accountErr(err, "user", id)
}

// UserByName implements store.Accounts.
func (db *DB) UserByName(ctx context.Context, username string) (store.User, error) {
	u, err := scanUser(db.r.QueryRowContext(ctx, db.d.Q("SELECT "+userCols+" FROM app_user WHERE username = ?"), username))
	return u, accountErr(err, "user", username)
}

func accountErr(err error, what string, key any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %v: %w", what, key, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s %v: %w", what, key, err)
	}
	return nil
}

// Users implements store.Accounts.
func (db *DB) Users(ctx context.Context) ([]store.User, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+userCols+" FROM app_user ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateSession implements store.Accounts.
func (db *DB) CreateSession(ctx context.Context, s store.Session) error {
	if s.IDHash == "" || s.UserID == 0 || s.Expires.IsZero() {
		return fmt.Errorf("%w: session: id_hash, user_id and expires are required", store.ErrInvalid)
	}
	_, err := db.w.ExecContext(ctx, db.d.Q("INSERT INTO app_session (id_hash, user_id, csrf, remote, created, expires) VALUES (?, ?, ?, ?, ?, ?)"),
		s.IDHash, s.UserID, s.CSRF, s.Remote, unixOrZero(s.Created), s.Expires.Unix())
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session implements store.Accounts.
func (db *DB) Session(ctx context.Context, idHash string, now time.Time) (store.Session, error) {
	var s store.Session
	var created, expires int64
	err := db.r.QueryRowContext(ctx, db.d.Q("SELECT id_hash, user_id, csrf, remote, created, expires FROM app_session WHERE id_hash = ? AND expires > ?"),
		idHash, now.Unix()).Scan(&s.IDHash, &s.UserID, &s.CSRF, &s.Remote, &created, &expires)
	s.Created, s.Expires = timeOrZero(created), cst(expires)
	return s, accountErr(err, "session", "")
}

// DeleteSession implements store.Accounts.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	res, err := db.w.ExecContext(ctx, db.d.Q("DELETE FROM app_session WHERE id_hash = ?"), idHash)
	return affected(res, err, "session", "")
}

// DeleteUserSessions implements store.Accounts.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) error {
	_, err := db.w.ExecContext(ctx, db.d.Q("DELETE FROM app_session WHERE user_id = ?"), userID)
	if err != nil {
		return fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return nil
}

const tokenCols = "id, user_id, name, hash, scopes, created, expires, last_used"

func scanToken(sc interface{ Scan(...any) error }) (store.Token, error) {
	var t store.Token
	var scopes string
	var created, expires, used int64
	err := sc.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &scopes, &created, &expires, &used)
	if scopes != "" {
		t.Scopes = strings.Split(scopes, " ")
	}
	t.Created, t.Expires, t.LastUsed = timeOrZero(created), timeOrZero(expires), timeOrZero(used)
	return t, err
}

// CreateToken implements store.Accounts. Scopes are kept space-separated
// (as OAuth 2.0, RFC 6749 §3.3, writes them), so a scope holds no space.
func (db *DB) CreateToken(ctx context.Context, t store.Token) (int64, error) {
	if t.UserID == 0 || t.Hash == "" || t.Name == "" {
		return 0, fmt.Errorf("%w: token: user_id, name and hash are required", store.ErrInvalid)
	}
	for _, s := range t.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\n") {
			return 0, fmt.Errorf("%w: scopes: %q is empty or holds white space", store.ErrInvalid, s)
		}
	}
	if t.Created.IsZero() {
		t.Created = time.Now()
	}
	var id int64
	err := db.w.QueryRowContext(ctx, db.d.Q("INSERT INTO api_token (user_id, name, hash, scopes, created, expires) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
		t.UserID, t.Name, t.Hash, strings.Join(t.Scopes, " "), t.Created.Unix(), unixOrZero(t.Expires)).Scan(&id)
	if err != nil && isUnique(err) {
		return 0, fmt.Errorf("token: %w: hash taken", store.ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("create token: %w", err)
	}
	return id, nil
}

// TokenByHash implements store.Accounts.
func (db *DB) TokenByHash(ctx context.Context, hash string) (store.Token, error) {
	t, err := scanToken(db.r.QueryRowContext(ctx, db.d.Q("SELECT "+tokenCols+" FROM api_token WHERE hash = ?"), hash))
	return t, accountErr(err, "token", "")
}

// Token implements store.Accounts.
func (db *DB) Token(ctx context.Context, id int64) (store.Token, error) {
	t, err := scanToken(db.r.QueryRowContext(ctx, db.d.Q("SELECT "+tokenCols+" FROM api_token WHERE id = ?"), id))
	return t, accountErr(err, "token", id)
}

// Tokens implements store.Accounts.
func (db *DB) Tokens(ctx context.Context, userID int64) ([]store.Token, error) {
	q, args := "SELECT "+tokenCols+" FROM api_token ORDER BY id", []any(nil)
	if userID != 0 {
		q, args = db.d.Q("SELECT "+tokenCols+" FROM api_token WHERE user_id = ? ORDER BY id"), []any{userID}
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteToken implements store.Accounts.
func (db *DB) DeleteToken(ctx context.Context, id int64) error {
	res, err := db.w.ExecContext(ctx, db.d.Q("DELETE FROM api_token WHERE id = ?"), id)
	return affected(res, err, "token", id)
}

// AppendAudit implements store.Accounts. Reading the last hash and
// inserting happen in one transaction that holds the write lock (SQLite's
// writer takes it at BEGIN; PostgreSQL locks the table), so two appends
// never chain to the same entry.
func (db *DB) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	err := db.SQL().Tx(ctx, func(tx *sql.Tx) error {
		var err error
		e, err = db.SQL().AppendAudit(ctx, tx, e)
		return err
	})
	return e, err
}

// Audit implements store.Accounts.
func (db *DB) Audit(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, int, error) {
	var where []string
	var args []any
	if q.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, q.Actor)
	}
	if q.Action != "" {
		where, args = append(where, "action = ?"), append(args, q.Action)
	}
	if !q.From.IsZero() {
		where, args = append(where, "t >= ?"), append(args, q.From.Unix())
	}
	if !q.To.IsZero() {
		where, args = append(where, "t < ?"), append(args, q.To.Unix())
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := db.r.QueryRowContext(ctx, db.d.Q("SELECT COUNT(*) FROM audit_log"+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, db.d.Q("SELECT id, t, actor, action, object, detail, remote, prev_hash, hash FROM audit_log"+cond+
		" ORDER BY id DESC LIMIT ? OFFSET ?"), append(args, limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Actor, &e.Action, &e.Object, &e.Detail, &e.Remote, &e.PrevHash, &e.Hash); err != nil {
			return nil, 0, fmt.Errorf("audit: %w", err)
		}
		e.Time = cst(t)
		out = append(out, e)
	}
	return out, total, rows.Err()
}

var _ store.Accounts = (*DB)(nil)
