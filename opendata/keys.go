package opendata

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"ecowatch/auth"
	"ecowatch/store"
)

// KeyPrefix starts every open data API key, so that a leaked one is
// recognisable and never taken for an account's token (auth.TokenPrefix).
const KeyPrefix = "ewk_"

// Key states.
const (
	KeyPending  = "pending"
	KeyApproved = "approved"
	KeyRejected = "rejected"
	KeyRevoked  = "revoked"
)

// Key is an API key request and its decision. Email and Note are for the
// administrators only; no public response carries them.
type Key struct {
	ID           int64     `json:"id"`
	Prefix       string    `json:"prefix"` // the key's first characters, to recognise it
	Name         string    `json:"name"`
	Organisation string    `json:"organisation"`
	Email        string    `json:"email"`
	Purpose      string    `json:"purpose"`
	Status       string    `json:"status"`
	Remote       string    `json:"remote"`
	Created      time.Time `json:"created"`
	Decided      time.Time `json:"decided"`
	DecidedBy    string    `json:"decided_by"`
	Note         string    `json:"note"`
}

// KeyRequest is what the public form sends.
type KeyRequest struct {
	Name         string `json:"name"`
	Organisation string `json:"organisation"`
	Email        string `json:"email"`
	Purpose      string `json:"purpose"`
}

// Validate checks the request's fields, naming the one at fault.
func (r *KeyRequest) Validate() error {
	r.Name, r.Organisation, r.Email, r.Purpose = strings.TrimSpace(r.Name), strings.TrimSpace(r.Organisation),
		strings.TrimSpace(r.Email), strings.TrimSpace(r.Purpose)
	check := func(field, v string, min, max int) error {
		n := utf8.RuneCountInString(v)
		if n < min || n > max {
			return fmt.Errorf("%w: %s: want %d to %d characters, got %d", store.ErrInvalid, field, min, max, n)
		}
		return nil
	}
	for _, c := range []struct {
		f, v     string
		min, max int
	}{{"name", r.Name, 1, 100}, {"organisation", r.Organisation, 0, 200}, {"email", r.Email, 3, 200}, {"purpose", r.Purpose, 10, 2000}} {
		if err := check(c.f, c.v, c.min, c.max); err != nil {
			return err
		}
	}
	if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
		return fmt.Errorf("%w: email: %q is not an e-mail address", store.ErrInvalid, r.Email)
	}
	return nil
}

// Keys is the repository of API keys over the store's SQL handle.
type Keys struct {
	SQL store.SQL
}

const keyColumns = "id, prefix, name, organisation, email, purpose, status, remote, created, decided, decided_by, note"

func scanKey(sc interface{ Scan(...any) error }) (Key, error) {
	var k Key
	var created, decided int64
	err := sc.Scan(&k.ID, &k.Prefix, &k.Name, &k.Organisation, &k.Email, &k.Purpose, &k.Status, &k.Remote, &created, &decided, &k.DecidedBy, &k.Note)
	k.Created = time.Unix(created, 0).In(store.CST)
	if decided != 0 {
		k.Decided = time.Unix(decided, 0).In(store.CST)
	}
	return k, err
}

// Request stores a new pending key and returns it with the secret, which
// is shown once and never stored (only its SHA-256). The request is
// audited with the requester's address.
func (k *Keys) Request(ctx context.Context, r KeyRequest, remote string, now time.Time) (Key, string, error) {
	if err := r.Validate(); err != nil {
		return Key{}, "", err
	}
	s, _ := auth.NewSecret()
	secret := KeyPrefix + s
	key := Key{Prefix: secret[:len(KeyPrefix)+6], Name: r.Name, Organisation: r.Organisation, Email: r.Email, Purpose: r.Purpose,
		Status: KeyPending, Remote: remote, Created: time.Unix(now.Unix(), 0).In(store.CST)}
	err := k.SQL.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, k.SQL.Q(`INSERT INTO opendata_key (hash, prefix, name, organisation, email, purpose, status, remote, created)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), auth.HashSecret(secret), key.Prefix, key.Name, key.Organisation, key.Email, key.Purpose,
			key.Status, remote, now.Unix()).Scan(&key.ID)
		if err != nil {
			return err
		}
		_, err = k.SQL.AppendAudit(ctx, tx, store.AuditEntry{Time: now, Actor: "public", Action: "opendata.key.request",
			Object: fmt.Sprintf("opendata-key:%d", key.ID), Detail: key.Prefix + " " + key.Name, Remote: remote})
		return err
	})
	if err != nil {
		return Key{}, "", fmt.Errorf("opendata key request: %w", err)
	}
	return key, secret, nil
}

// ByHash finds a key by the SHA-256 of its secret.
func (k *Keys) ByHash(ctx context.Context, hash string) (Key, error) {
	key, err := scanKey(k.SQL.R.QueryRowContext(ctx, k.SQL.Q("SELECT "+keyColumns+" FROM opendata_key WHERE hash = ?"), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, fmt.Errorf("opendata key: %w", store.ErrNotFound)
	}
	return key, err
}

// Get finds a key by id.
func (k *Keys) Get(ctx context.Context, id int64) (Key, error) {
	key, err := scanKey(k.SQL.R.QueryRowContext(ctx, k.SQL.Q("SELECT "+keyColumns+" FROM opendata_key WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, fmt.Errorf("opendata key %d: %w", id, store.ErrNotFound)
	}
	return key, err
}

// List lists keys in a state, or all when status is "", newest first.
func (k *Keys) List(ctx context.Context, status string) ([]Key, error) {
	q, args := "SELECT "+keyColumns+" FROM opendata_key ORDER BY id DESC", []any{}
	if status != "" {
		q, args = "SELECT "+keyColumns+" FROM opendata_key WHERE status = ? ORDER BY id DESC", []any{status}
	}
	rows, err := k.SQL.R.QueryContext(ctx, k.SQL.Q(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Key{}
	for rows.Next() {
		key, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, rows.Err()
}

// Decide approves, rejects or revokes a key, audited in the same
// transaction. A pending key may be approved or rejected; an approved key
// may be revoked; anything else is a conflict.
func (k *Keys) Decide(ctx context.Context, id int64, status, note, actor, remote string, now time.Time) (Key, error) {
	if status != KeyApproved && status != KeyRejected && status != KeyRevoked {
		return Key{}, fmt.Errorf("%w: status: %q: want approved, rejected or revoked", store.ErrInvalid, status)
	}
	if utf8.RuneCountInString(note) > 1000 {
		return Key{}, fmt.Errorf("%w: note: longer than 1000 characters", store.ErrInvalid)
	}
	var key Key
	err := k.SQL.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		key, err = scanKey(tx.QueryRowContext(ctx, k.SQL.Q("SELECT "+keyColumns+" FROM opendata_key WHERE id = ?"), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("opendata key %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		from := key.Status
		ok := from == KeyPending && (status == KeyApproved || status == KeyRejected) || from == KeyApproved && status == KeyRevoked
		if !ok {
			return fmt.Errorf("%w: opendata key %d is %s and cannot become %s", store.ErrConflict, id, from, status)
		}
		if note == "" {
			note = key.Note // a revocation without a note keeps the approval's
		}
		if _, err := tx.ExecContext(ctx, k.SQL.Q("UPDATE opendata_key SET status = ?, decided = ?, decided_by = ?, note = ? WHERE id = ?"),
			status, now.Unix(), actor, note, id); err != nil {
			return err
		}
		key.Status, key.Decided, key.DecidedBy, key.Note = status, time.Unix(now.Unix(), 0).In(store.CST), actor, note
		_, err = k.SQL.AppendAudit(ctx, tx, store.AuditEntry{Time: now, Actor: actor, Action: "opendata.key." + status,
			Object: fmt.Sprintf("opendata-key:%d", id), Detail: from + " → " + status, Remote: remote})
		return err
	})
	return key, err
}
