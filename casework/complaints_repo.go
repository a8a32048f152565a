package casework

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ecowatch/auth"
	"ecowatch/store"
)

const complaintCols = `id, tracking_code, what, address, lon, lat, has_point, happened, contact, anonymous, region_code, state,
merged_into, result, feedback, note, reward_decision, reward_amount, case_id, remote, created, updated`

func scanComplaint(s scanner) (Complaint, error) {
	var c Complaint
	var happened, created, updated int64
	err := s.Scan(&c.ID, &c.TrackingCode, &c.What, &c.Address, &c.Lon, &c.Lat, &c.HasPoint, &happened, &c.Contact, &c.Anonymous,
		&c.RegionCode, &c.State, &c.MergedInto, &c.Result, &c.Feedback, &c.Note, &c.RewardDecision, &c.RewardAmount, &c.CaseID,
		&c.Remote, &created, &updated)
	c.Happened, c.Created, c.Updated = unix(happened), unix(created), unix(updated)
	return c, err
}

// trackingAlphabet has no 0/O, 1/I/L: a code is read out on the phone.
const trackingAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newTrackingCode is 14 characters of 31 (about 69 bits): not guessable,
// so a code shows one report to whoever holds it and nobody else.
func newTrackingCode() string {
	b := make([]byte, 14)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	for i := range b {
		b[i] = trackingAlphabet[int(b[i])%len(trackingAlphabet)]
	}
	return string(b)
}

// ValidTrackingCode reports whether s has the form of a tracking code.
func ValidTrackingCode(s string) bool {
	if len(s) != 14 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(trackingAlphabet, rune(s[i])) {
			return false
		}
	}
	return true
}

func (r *Repo) complaintAudit(ctx context.Context, tx *sql.Tx, by Actor, action string, id int64, detail string) error {
	_, err := r.db.AppendAudit(ctx, tx, store.AuditEntry{Time: r.now(), Actor: by.Name, Action: action,
		Object: "complaint:" + strconv.FormatInt(id, 10), Detail: detail, Remote: by.Remote})
	return err
}

// Submit stores a complaint from the public with its photos and returns it
// with its id and tracking code.
func (r *Repo) Submit(ctx context.Context, c Complaint, photos []File, remote string) (Complaint, error) {
	now := r.now()
	if err := ValidateComplaint(&c, now); err != nil {
		return c, err
	}
	if len(photos) > MaxPhotos {
		return c, invalid("photos", "more than %d", MaxPhotos)
	}
	c.TrackingCode, c.Remote, c.Created, c.Updated = newTrackingCode(), remote, now, now
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, r.db.Q(`INSERT INTO complaint (tracking_code, what, address, lon, lat, has_point, happened, contact,
anonymous, region_code, state, remote, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			c.TrackingCode, c.What, c.Address, c.Lon, c.Lat, c.HasPoint, secs(c.Happened), c.Contact, c.Anonymous, c.RegionCode,
			string(c.State), c.Remote, secs(now), secs(now)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("insert complaint: %w", err)
		}
		names, err := r.insertAttachments(ctx, tx, "complaint", c.ID, 0, "public", photos)
		if err != nil {
			return err
		}
		// The audit entry holds no contact details: the log is read by
		// more people than the complaint.
		return r.complaintAudit(ctx, tx, Actor{Name: "public", Remote: remote}, "complaint.submit", c.ID,
			fmt.Sprintf("region=%s photos=%d %s", c.RegionCode, len(photos), strings.Join(names, ", ")))
	})
	return c, err
}

// Complaint returns one complaint.
func (r *Repo) Complaint(ctx context.Context, id int64) (Complaint, error) {
	c, err := scanComplaint(r.db.R.QueryRowContext(ctx, r.db.Q(`SELECT `+complaintCols+` FROM complaint WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("complaint %d: %w", id, store.ErrNotFound)
	}
	return c, err
}

// Track returns the complaint with a tracking code (for its reporter).
func (r *Repo) Track(ctx context.Context, code string) (Complaint, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if !ValidTrackingCode(code) {
		return Complaint{}, invalid("code", "not a tracking code (14 letters and digits)")
	}
	c, err := scanComplaint(r.db.R.QueryRowContext(ctx, r.db.Q(`SELECT `+complaintCols+` FROM complaint WHERE tracking_code = ?`), code))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("tracking code %s: %w", code, store.ErrNotFound)
	}
	return c, err
}

// ComplaintFilter selects complaints; RegionPrefix is the caller's scope
// ("" for the whole province, else only complaints of that region).
type ComplaintFilter struct {
	RegionPrefix string
	Scoped       bool // true: RegionPrefix applies (even when "")
	State        ComplaintState
	Limit        int
	Offset       int
}

// Complaints returns one page of complaints, newest first, and the count.
func (r *Repo) Complaints(ctx context.Context, f ComplaintFilter) ([]Complaint, int, error) {
	var conds []string
	var args []any
	if f.Scoped && f.RegionPrefix != "" {
		conds = append(conds, `region_code LIKE ? ESCAPE '\'`)
		args = append(args, likePrefix(f.RegionPrefix))
	}
	if f.State != "" {
		conds = append(conds, "state = ?")
		args = append(args, string(f.State))
	}
	w := ""
	if len(conds) > 0 {
		w = " WHERE " + strings.Join(conds, " AND ")
	}
	var total int
	if err := r.db.R.QueryRowContext(ctx, r.db.Q("SELECT count(*) FROM complaint"+w), args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	rows, err := r.db.R.QueryContext(ctx, r.db.Q(`SELECT `+complaintCols+` FROM complaint`+w+` ORDER BY id DESC LIMIT ? OFFSET ?`),
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Complaint
	for rows.Next() {
		c, err := scanComplaint(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// Triage is the data of a triage action.
type Triage struct {
	RegionCode string // assign: the city (or county)
	Into       int64  // merge: the complaint this one duplicates
	Result     string // verify: confirmed, unfounded, partly
	Note       string // internal note (verify, any)
	Feedback   string // feedback: the public result
	// Reward: decision granted or denied, amount in yuan when granted.
	Decision string
	Amount   int64
	// Verify of a confirmed complaint opens a case: its category,
	// severity and deadline (zero: by severity).
	Category string
	Severity string
	Deadline time.Time
}

// TriageComplaint takes a triage action on a complaint as p. A verified
// result of confirmed or partly confirmed opens a case (source
// complaint) in the same transaction.
func (r *Repo) TriageComplaint(ctx context.Context, id int64, a ComplaintAction, p auth.Principal, t Triage, by Actor) (Complaint, error) {
	var out Complaint
	err := r.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := scanComplaint(tx.QueryRowContext(ctx, r.db.Q(`SELECT `+complaintCols+` FROM complaint WHERE id = ?`+r.forUpdate()), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("complaint %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		next, err := NextComplaint(c, a, p)
		if err != nil {
			return err
		}
		if len(t.Note) > 5000 || len(t.Feedback) > 5000 {
			return invalid("note", "longer than 5,000 bytes")
		}
		now := r.now()
		var detail string
		switch a {
		case CActAssign:
			if !isRegionCode(t.RegionCode) {
				return invalid("region_code", "%q: want the six-digit code of a city or county", t.RegionCode)
			}
			c.RegionCode = t.RegionCode
			detail = "region=" + t.RegionCode
		case CActMerge:
			if t.Into == c.ID || t.Into <= 0 {
				return invalid("into", "want the id of another complaint")
			}
			into, err := scanComplaint(tx.QueryRowContext(ctx, r.db.Q(`SELECT `+complaintCols+` FROM complaint WHERE id = ?`), t.Into))
			if errors.Is(err, sql.ErrNoRows) {
				return invalid("into", "complaint %d does not exist", t.Into)
			}
			if err != nil {
				return err
			}
			if into.State == ComplaintMerged {
				return invalid("into", "complaint %d is itself merged into %d: merge into that one", into.ID, into.MergedInto)
			}
			if !CanSeeComplaint(p, into) {
				return fmt.Errorf("%w: complaint %d is outside your region", ErrForbidden, into.ID)
			}
			c.MergedInto = into.ID
			c.Feedback = "与其他举报反映同一问题，已合并办理。Handled together with a report of the same problem."
			detail = fmt.Sprintf("merged into complaint:%d", into.ID)
		case CActVerify:
			if t.Result != ResultConfirmed && t.Result != ResultUnfounded && t.Result != ResultPartly {
				return invalid("result", "%q: want confirmed, unfounded or partly", t.Result)
			}
			c.Result = t.Result
			detail = "result=" + t.Result
			if Confirmed(t.Result) {
				cs := Case{Title: "举报: " + truncate(c.What, 60), Description: c.What + "\n\n" + c.Address, Source: SourceComplaint,
					SourceRef: "complaint:" + strconv.FormatInt(c.ID, 10), Category: t.Category, Severity: t.Severity,
					RegionCode: c.RegionCode, Deadline: t.Deadline, CreatedBy: by.Name, Created: now, Updated: now}
				if cs.Severity == "" {
					cs.Severity = "medium"
				}
				if cs.Deadline.IsZero() {
					cs.Deadline = DefaultDeadline(cs.Severity, now)
				}
				if err := cs.Validate(); err != nil {
					return err
				}
				if err := r.insertCase(ctx, tx, &cs, by, "from complaint "+c.TrackingCode); err != nil {
					return err
				}
				c.CaseID = cs.ID
				detail += fmt.Sprintf("; case:%d opened", cs.ID)
			}
		case CActFeedback:
			if strings.TrimSpace(t.Feedback) == "" {
				return invalid("feedback", "empty: the reporter is told the result")
			}
			c.Feedback = strings.TrimSpace(t.Feedback)
			detail = "feedback: " + truncate(c.Feedback, 300)
		case CActReward:
			switch t.Decision {
			case RewardGranted:
				if t.Amount <= 0 || t.Amount > 1_000_000 {
					return invalid("amount", "want 1 to 1,000,000 yuan for a granted reward")
				}
			case RewardDenied:
				t.Amount = 0
			default:
				return invalid("decision", "%q: want granted or denied", t.Decision)
			}
			c.RewardDecision, c.RewardAmount = t.Decision, t.Amount
			detail = fmt.Sprintf("reward %s %d yuan", t.Decision, t.Amount)
		}
		if t.Note != "" {
			c.Note = strings.TrimSpace(c.Note + "\n" + t.Note)
		}
		c.State, c.Updated = next, now
		_, err = tx.ExecContext(ctx, r.db.Q(`UPDATE complaint SET region_code = ?, state = ?, merged_into = ?, result = ?, feedback = ?, note = ?,
reward_decision = ?, reward_amount = ?, case_id = ?, updated = ? WHERE id = ?`), c.RegionCode, string(c.State), c.MergedInto, c.Result,
			c.Feedback, c.Note, c.RewardDecision, c.RewardAmount, c.CaseID, secs(now), c.ID)
		if err != nil {
			return fmt.Errorf("update complaint %d: %w", c.ID, err)
		}
		out = c
		return r.complaintAudit(ctx, tx, by, "complaint."+string(a), c.ID, detail)
	})
	return out, err
}

// CountRecentFrom counts the complaints submitted from remote since t:
// the rate limit per address survives restarts and holds across the
// nodes of a scaled deployment.
func (r *Repo) CountRecentFrom(ctx context.Context, remote string, since time.Time) (int, error) {
	var n int
	err := r.db.R.QueryRowContext(ctx, r.db.Q(`SELECT count(*) FROM complaint WHERE remote = ? AND created >= ?`), remote, since.Unix()).Scan(&n)
	return n, err
}
