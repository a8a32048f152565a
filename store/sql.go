package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SQL is the database the domain repositories (alarms, cases, targets,
// inspections, …) keep their own tables in, next to the store's. Each
// domain package writes its SQL against it; the tables come from the
// migrations of store/sqlite and store/postgres, numbered by domain
// (see store/README.md), so both backends keep one schema history.
//
// The SQL must be what both dialects accept: write ? placeholders and pass
// the text through Q; keep times as BIGINT Unix seconds; use
// INSERT … RETURNING id for new ids (SQLite ≥ 3.35 has it).
type SQL struct {
	// W is the writer pool. On SQLite it is one connection that takes the
	// write lock at BEGIN, so a write transaction never fails half-way
	// with SQLITE_BUSY; keep write transactions short.
	W *sql.DB
	// R is the reader pool (the same pool as W on PostgreSQL).
	R *sql.DB
	// Postgres is true on PostgreSQL: placeholders are $n and the audit
	// chain is serialised with a table lock.
	Postgres bool
}

// SQLer is implemented by both backends.
type SQLer interface {
	SQL() SQL
}

// Q rewrites ? placeholders for the dialect. The SQL given must not have
// a ? inside a string literal.
func (s SQL) Q(q string) string {
	if !s.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Tx runs fn in one write transaction and commits when it returns nil.
func (s SQL) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// AppendAudit chains e to the last audit entry inside tx, so that a
// domain change and its audit entry are committed together or not at
// all. It returns e with ID, Time, PrevHash and Hash set. Two
// transactions never chain to the same entry: SQLite's writer holds the
// database lock from BEGIN, and on PostgreSQL the audit table is locked
// until tx ends (keep such transactions short).
func (s SQL) AppendAudit(ctx context.Context, tx *sql.Tx, e AuditEntry) (AuditEntry, error) {
	if e.Action == "" {
		return e, fmt.Errorf("%w: audit: action: empty", ErrInvalid)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = time.Unix(e.Time.Unix(), 0).In(CST)
	if s.Postgres {
		if _, err := tx.ExecContext(ctx, "LOCK TABLE audit_log IN EXCLUSIVE MODE"); err != nil {
			return e, fmt.Errorf("audit: %w", err)
		}
	}
	err := tx.QueryRowContext(ctx, "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").Scan(&e.PrevHash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("audit: %w", err)
	}
	e.Hash = AuditHash(e.PrevHash, e)
	err = tx.QueryRowContext(ctx, s.Q(`INSERT INTO audit_log (t, actor, action, object, detail, remote, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), e.Time.Unix(), e.Actor, e.Action, e.Object, e.Detail, e.Remote, e.PrevHash, e.Hash).Scan(&e.ID)
	if err != nil {
		return e, fmt.Errorf("audit: %w", err)
	}
	return e, nil
}
