package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

// User is a local account of the web application. Role, Region and
// Enterprise are interpreted by package auth; the store only keeps them.
type User struct {
	ID           int64
	Username     string // unique, case-sensitive as typed
	DisplayName  string
	Role         string
	Region       string // GB/T 2260 code the account is scoped to; "" for province-wide roles
	Enterprise   string // credit code of the enterprise of an enterprise user
	PasswordHash string // a PHC string (auth.HashPassword); never the password
	Disabled     bool
	Created      time.Time
	Updated      time.Time
}

// Session is a signed-in browser. The cookie holds a secret whose SHA-256
// is IDHash, so that a copy of the table does not let anyone sign in.
type Session struct {
	IDHash  string
	UserID  int64
	CSRF    string
	Remote  string
	Created time.Time
	Expires time.Time
}

// Token is an API token of a machine client. Only the SHA-256 of its
// secret is kept; the secret is shown once when the token is made.
type Token struct {
	ID       int64
	UserID   int64
	Name     string
	Hash     string
	Scopes   []string
	Created  time.Time
	Expires  time.Time // zero: never expires
	LastUsed time.Time
}

// AuditEntry is one recorded sign-in, failed sign-in or administrative
// change. Entries form a hash chain: Hash is SHA-256 over PrevHash and the
// entry's fields (see AuditHash), so a removed or edited entry breaks
// every hash after it.
type AuditEntry struct {
	ID       int64
	Time     time.Time
	Actor    string // username, "" when unknown
	Action   string // e.g. "session.create", "session.fail", "user.create"
	Object   string // what was acted on, e.g. "user:changsha"
	Detail   string
	Remote   string
	PrevHash string
	Hash     string
}

// AuditQuery selects audit entries, newest first.
type AuditQuery struct {
	Actor  string
	Action string
	From   time.Time
	To     time.Time
	Limit  int // 0: 50
	Offset int
}

// Accounts keeps users, sessions, API tokens and the audit log. It is
// implemented by both backends alongside Store; the same error contract
// applies (ErrNotFound, ErrInvalid naming the field; a duplicate username
// wraps ErrConflict).
type Accounts interface {
	// CreateUser stores u and returns its new id.
	CreateUser(ctx context.Context, u User) (int64, error)
	// UpdateUser replaces the account with u.ID; Created is kept.
	UpdateUser(ctx context.Context, u User) error
	// DeleteUser removes an account with its sessions and tokens.
	DeleteUser(ctx context.Context, id int64) error
	User(ctx context.Context, id int64) (User, error)
	UserByName(ctx context.Context, username string) (User, error)
	// Users lists accounts by id.
	Users(ctx context.Context) ([]User, error)

	CreateSession(ctx context.Context, s Session) error
	// Session returns an unexpired session as of now.
	Session(ctx context.Context, idHash string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, idHash string) error
	// DeleteUserSessions signs a user out everywhere (password change).
	DeleteUserSessions(ctx context.Context, userID int64) error

	CreateToken(ctx context.Context, t Token) (int64, error)
	// TokenByHash returns a token whatever its expiry; the caller checks.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// Tokens lists the tokens of a user, or every token when userID is 0.
	Tokens(ctx context.Context, userID int64) ([]Token, error)
	Token(ctx context.Context, id int64) (Token, error)
	DeleteToken(ctx context.Context, id int64) error

	// AppendAudit chains e to the last entry, stores it and returns it
	// with ID, PrevHash and Hash filled in.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// Audit returns one page of entries, newest first, and how many match.
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, int, error)
}

// ErrConflict is wrapped by the error of a write that collides with a
// stored record, e.g. a username already taken.
var ErrConflict = errors.New("conflict")

// AuditHash is the chain hash of an entry: hex SHA-256 of the previous
// entry's hash and the entry's fields, each followed by a NUL so that
// moving text between fields changes the hash. The time is Unix seconds,
// the precision both backends keep.
func AuditHash(prev string, e AuditEntry) string {
	h := sha256.New()
	for _, s := range []string{prev, strconv.FormatInt(e.Time.Unix(), 10), e.Actor, e.Action, e.Object, e.Detail, e.Remote} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
