package casework

import (
	"context"
	"fmt"
	"time"

	"ecowatch/store"
)

// History returns the audit entries of one object ("case:12",
// "device:MN", "complaint:3"), oldest first, at most limit (0: 200).
func History(ctx context.Context, db store.SQL, object string, limit int) ([]store.AuditEntry, error) {
	if limit <= 0 {
		limit = 200
	}
	rows, err := db.R.QueryContext(ctx, db.Q(`SELECT id, t, actor, action, object, detail, remote, prev_hash, hash FROM audit_log
WHERE object = ? ORDER BY id LIMIT ?`), object, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Actor, &e.Action, &e.Object, &e.Detail, &e.Remote, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		e.Time = time.Unix(t, 0).In(store.CST)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Break is the first place the audit chain does not hold.
type Break struct {
	ID int64 // the entry at fault (for a missing entry: the one after the gap)
	// Kind: "altered" (the entry's fields do not give its hash), "missing"
	// (it does not chain to the entry before it: one or more entries were
	// removed), "broken" (a first entry that claims a predecessor).
	Kind   string
	Detail string
}

func (b Break) String() string { return fmt.Sprintf("entry %d %s: %s", b.ID, b.Kind, b.Detail) }

// ChainReport is what Verify found.
type ChainReport struct {
	Checked int   // entries read
	LastID  int64 // id of the last entry read
	Break   *Break
}

// Verify walks the audit log in id order and reports the first entry that
// was altered (its hash is not AuditHash of its fields) or the first gap
// (an entry whose PrevHash is not the previous entry's hash: entries were
// deleted, or one was inserted). Removing the newest entries leaves a
// valid shorter chain; to catch that, compare LastID or the last hash with
// a copy kept elsewhere (a backup, a published daily hash).
func Verify(ctx context.Context, db store.SQL) (ChainReport, error) {
	var rep ChainReport
	rows, err := db.R.QueryContext(ctx, `SELECT id, t, actor, action, object, detail, remote, prev_hash, hash FROM audit_log ORDER BY id`)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	prevHash, prevID := "", int64(0)
	for rows.Next() {
		var e store.AuditEntry
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Actor, &e.Action, &e.Object, &e.Detail, &e.Remote, &e.PrevHash, &e.Hash); err != nil {
			return rep, err
		}
		e.Time = time.Unix(t, 0)
		rep.Checked++
		rep.LastID = e.ID
		if e.PrevHash != prevHash {
			kind, detail := "missing", fmt.Sprintf("its previous hash is not the hash of entry %d: entries between %d and %d were removed or replaced", prevID, prevID, e.ID)
			if prevID == 0 {
				kind, detail = "broken", "the first entry names a predecessor: earlier entries were removed"
			} else if e.ID == prevID+1 && store.AuditHash(e.PrevHash, e) == e.Hash {
				// Nothing is missing by id: the entry before was rewritten
				// with a recomputed hash of its own.
				kind, detail = "altered", fmt.Sprintf("entry %d was rewritten (its hash changed)", prevID)
				e.ID = prevID
			}
			rep.Break = &Break{ID: e.ID, Kind: kind, Detail: detail}
			return rep, nil
		}
		if want := store.AuditHash(e.PrevHash, e); want != e.Hash {
			rep.Break = &Break{ID: e.ID, Kind: "altered", Detail: fmt.Sprintf("its fields hash to %s…, the stored hash is %.12s…", want[:12], e.Hash)}
			return rep, nil
		}
		prevHash, prevID = e.Hash, e.ID
	}
	return rep, rows.Err()
}
