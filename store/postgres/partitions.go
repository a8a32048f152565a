package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"ecowatch/store"
)

// Partitions (created on demand, months cut in CST):
//
//	raw_frame_p202001             raw frames received in January 2020
//	measurement_p202001           measurements of January 2020, by kind:
//	measurement_p202001_realtime  …one partition per interval kind
//	measurement_p202001_minute
//	measurement_p202001_hour
//	measurement_p202001_day
//
// Kinds have partitions of their own because their retention differs
// (real-time data a year, hourly data ten by default): once a month's
// real-time data has expired, measurement_p202001_realtime is dropped
// while its hourly data stays. A month partition made by an older
// ecowatch is one plain table holding every kind (a "mixed" month): it
// keeps taking that month's writes, its rows are deleted as they expire,
// and it is dropped whole once every kind has expired, so no migration has
// to copy the data.

// partitions creates the monthly partitions a write needs and drops those
// retention has emptied.
type partitions struct {
	db  *sql.DB
	now func() time.Time // the wall clock, for which months are recent

	mu sync.Mutex
	// made holds the partitions this process created or found, by name.
	// It is trusted only for recent months (see recent), which retention
	// never drops; older months are checked at every write, since another
	// process may have dropped them.
	made map[string]bool
	// leaves maps a month's partition for a kind (measurement_p202001_minute)
	// to the table holding its rows: itself, or a mixed month's table.
	// Entries of dropped tables are removed by drop or, when another
	// process dropped them, by the read that failed (forget).
	leaves map[string]string
}

// monthOf returns the first instant of the CST month holding sec and of
// the month after.
func monthOf(sec int64) (time.Time, time.Time) {
	t := time.Unix(sec, 0).In(store.CST)
	m := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, store.CST)
	return m, m.AddDate(0, 1, 0)
}

func monthName(table string, from time.Time) string {
	return fmt.Sprintf("%s_p%04d%02d", table, from.Year(), int(from.Month()))
}

// recent reports whether the month starting at from is the current or
// the previous one by the wall clock: retention never drops those, so a
// write may rely on a partition of theirs once made, without asking the
// catalogue again.
func (p *partitions) recent(from time.Time) bool {
	cur, _ := monthOf(p.now().Unix())
	return !from.Before(cur.AddDate(0, -1, 0))
}

func (p *partitions) prepare(ctx context.Context, frames, measurements []int64) error {
	for _, set := range []struct {
		table  string
		secs   []int64
		ensure func(ctx context.Context, name string, from, to time.Time) error
	}{{"raw_frame", frames, p.ensureFrames}, {"measurement", measurements, p.ensureMeasurements}} {
		var last int64 = -1 << 62
		seen := map[int64]bool{} // months of this call, in any order
		for _, sec := range set.secs {
			from, to := monthOf(sec)
			if from.Unix() == last || seen[from.Unix()] {
				continue
			}
			last = from.Unix()
			seen[last] = true
			name := monthName(set.table, from)
			p.mu.Lock()
			done := p.made[name] && p.recent(from)
			p.mu.Unlock()
			if done {
				continue
			}
			if err := set.ensure(ctx, name, from, to); err != nil {
				return err
			}
			p.mu.Lock()
			p.made[name] = true
			p.mu.Unlock()
		}
	}
	return nil
}

// create runs a CREATE TABLE IF NOT EXISTS of table name. Outside the
// write's transaction: DDL takes a strong lock on the parent, which must
// not be held for a whole batch.
func (p *partitions) create(ctx context.Context, name, ddl string) error {
	if _, err := p.db.ExecContext(ctx, ddl); err != nil {
		// Another process may have created it between our IF NOT
		// EXISTS and CREATE; what matters is that it exists now.
		var exists bool
		if err2 := p.db.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&exists); err2 != nil || !exists {
			return fmt.Errorf("partition %s: %w", name, err)
		}
	}
	return nil
}

func bounds(from, to time.Time) string {
	return fmt.Sprintf("FROM ('%s') TO ('%s')", from.Format(time.RFC3339), to.Format(time.RFC3339))
}

func (p *partitions) ensureFrames(ctx context.Context, name string, from, to time.Time) error {
	var exists bool
	if err := p.db.QueryRowContext(ctx, "SELECT to_regclass($1) IS NOT NULL", name).Scan(&exists); err != nil {
		return fmt.Errorf("partition %s: %w", name, err)
	}
	if exists {
		return nil
	}
	return p.create(ctx, name, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s PARTITION OF raw_frame FOR VALUES %s", name, bounds(from, to)))
}

// ensureMeasurements makes a month's partition and its partition per kind
// (every kind: the hook is told times, not kinds; an empty partition
// costs a few pages). A mixed month of an older ecowatch takes every kind
// as it is.
func (p *partitions) ensureMeasurements(ctx context.Context, name string, from, to time.Time) error {
	kind, subs, err := p.month(ctx, name)
	if err != nil {
		return err
	}
	if kind == 'r' || (kind == 'p' && subs == len(store.Kinds)) {
		p.found(name, kind == 'r')
		return nil
	}
	if kind == 0 {
		if err := p.create(ctx, name, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s PARTITION OF measurement FOR VALUES %s PARTITION BY LIST (kind)",
			name, bounds(from, to))); err != nil {
			return err
		}
		// Whoever created it, it may be a mixed month after all.
		if kind, _, err = p.month(ctx, name); err != nil {
			return err
		}
		if kind == 'r' {
			p.found(name, true)
			return nil
		}
	}
	for _, k := range store.Kinds {
		sub := name + "_" + k.String()
		if err := p.create(ctx, sub, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES IN (%d)", sub, name, int16(k))); err != nil {
			return err
		}
	}
	p.found(name, false)
	return nil
}

// found records a month's tables for reads: one mixed table, or one
// partition per kind.
func (p *partitions) found(month string, mixed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range store.Kinds {
		sub := month + "_" + k.String()
		if mixed {
			p.leaves[sub] = month
		} else {
			p.leaves[sub] = sub
		}
	}
}

// forget removes a dropped table from the reads' map.
func (p *partitions) forget(table string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, v := range p.leaves {
		if v == table {
			delete(p.leaves, k)
		}
	}
}

// leaf returns the table holding the rows of kind in [from, to) when that
// range lies within one month whose table exists, else "" (read the
// parent). A table found is remembered; one not found is looked up again
// at the next read, since a write may create it any time.
func (p *partitions) leaf(ctx context.Context, kind int16, from, to time.Time) (string, error) {
	k := store.Kind(kind)
	mFrom, mTo := monthOf(from.Unix())
	if !k.Valid() || !to.After(from) || to.After(mTo) {
		return "", nil
	}
	month := monthName("measurement", mFrom)
	sub := month + "_" + k.String()
	p.mu.Lock()
	l, ok := p.leaves[sub]
	p.mu.Unlock()
	if ok {
		return l, nil
	}
	var hasSub, mixed bool
	if err := p.db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL,
COALESCE((SELECT relkind = 'r' FROM pg_class WHERE oid = to_regclass($2)), false)`, sub, month).Scan(&hasSub, &mixed); err != nil {
		return "", err
	}
	switch {
	case hasSub:
		l = sub
	case mixed:
		l = month
	default:
		return "", nil
	}
	p.mu.Lock()
	p.leaves[sub] = l
	p.mu.Unlock()
	return l, nil
}

// month returns the relkind of a month's measurement partition ('p' by
// kind, 'r' mixed, 0 none) and how many partitions it has.
func (p *partitions) month(ctx context.Context, name string) (byte, int, error) {
	var kind string
	var subs int
	err := p.db.QueryRowContext(ctx, `SELECT c.relkind::text, (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid)
FROM pg_class c WHERE c.oid = to_regclass($1)`, name).Scan(&kind, &subs)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil || len(kind) != 1 {
		return 0, 0, fmt.Errorf("partition %s: %q, %v", name, kind, err)
	}
	return kind[0], subs, nil
}

// Names of the partitions this store makes; others are left alone.
var (
	frameMonth = regexp.MustCompile(`^raw_frame_p(\d{4})(\d{2})$`)
	valueMonth = regexp.MustCompile(`^measurement_p(\d{4})(\d{2})$`)
	valueKind  = regexp.MustCompile(`^measurement_p(\d{4})(\d{2})_([a-z]+)$`)
)

// child is a partition of a partitioned table.
type child struct {
	parent, name string
	kind         byte // relkind: 'r' a table, 'p' partitioned again
	// detaching: a DETACH … CONCURRENTLY was interrupted.
	detaching bool
}

func (p *partitions) children(ctx context.Context, parent string) ([]child, error) {
	rows, err := p.db.QueryContext(ctx, `SELECT c.relname, c.relkind::text, i.inhdetachpending FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = to_regclass($1) AND c.relkind IN ('r', 'p') ORDER BY c.relname`, parent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []child
	for rows.Next() {
		c := child{parent: parent}
		var k string
		if err := rows.Scan(&c.name, &k, &c.detaching); err != nil {
			return nil, err
		}
		c.kind = k[0]
		out = append(out, c)
	}
	return out, rows.Err()
}

// monthAt reads the month of a partition's name matched by re.
func monthAt(m []string) (time.Time, time.Time) {
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	from := time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, store.CST)
	return from, from.AddDate(0, 1, 0)
}

// exactBelow is the size up to which a dropped partition's rows are
// counted exactly; a larger one is counted by its statistics
// (pg_class.reltuples), since counting would read it whole.
const exactBelow = 1_000_000

func (p *partitions) rows(ctx context.Context, name string) (int64, error) {
	var est float64
	if err := p.db.QueryRowContext(ctx, "SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)", name).Scan(&est); err != nil {
		return 0, err
	}
	if est >= exactBelow {
		return int64(est), nil
	}
	var n int64
	err := p.db.QueryRowContext(ctx, "SELECT count(*) FROM "+name).Scan(&n)
	return n, err
}

// drop detaches a partition and drops it. DETACH … CONCURRENTLY takes
// only a SHARE UPDATE EXCLUSIVE lock on the parent, so reads and writes
// of other months go on meanwhile (a plain DROP of a partition locks the
// parent exclusively, queued behind any running query and blocking every
// query behind it); one interrupted half-way is finished by FINALIZE.
func (p *partitions) drop(ctx context.Context, c child) error {
	how := "CONCURRENTLY"
	if c.detaching {
		how = "FINALIZE"
	}
	if _, err := p.db.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s DETACH PARTITION %s %s", c.parent, c.name, how)); err != nil {
		return fmt.Errorf("detach partition %s: %w", c.name, err)
	}
	p.mu.Lock()
	delete(p.made, c.name)
	p.mu.Unlock()
	p.forget(c.name)
	if _, err := p.db.ExecContext(ctx, "DROP TABLE "+c.name); err != nil {
		return fmt.Errorf("drop partition %s: %w", c.name, err)
	}
	return nil
}

// expired reports whether the month [from, to) lies wholly before
// now-keep (keep 0: forever) and is not recent.
func (p *partitions) expired(from, to time.Time, keep time.Duration, now time.Time) bool {
	return keep > 0 && !to.After(now.Add(-keep)) && !p.recent(from)
}

// dropExpired drops the partitions whose whole month is past its
// retention and adds what they held to pg.
func (p *partitions) dropExpired(ctx context.Context, r store.Retention, now time.Time, pg *store.Purged) error {
	keep := map[store.Kind]time.Duration{store.RealTime: r.RealTime, store.Minute: r.Minute, store.Hour: r.Hour, store.Day: r.Day}
	frames, err := p.children(ctx, "raw_frame")
	if err != nil {
		return err
	}
	for _, c := range frames {
		m := frameMonth.FindStringSubmatch(c.name)
		if m == nil || c.kind != 'r' {
			continue
		}
		if from, to := monthAt(m); !p.expired(from, to, r.Frames, now) {
			continue
		}
		n, err := p.rows(ctx, c.name)
		if err != nil {
			return err
		}
		if err := p.drop(ctx, c); err != nil {
			return err
		}
		pg.Frames += n
	}
	months, err := p.children(ctx, "measurement")
	if err != nil {
		return err
	}
	for _, c := range months {
		m := valueMonth.FindStringSubmatch(c.name)
		if m == nil {
			continue
		}
		from, to := monthAt(m)
		if c.kind == 'r' {
			if err := p.dropMixed(ctx, c, keep, from, to, now, pg); err != nil {
				return err
			}
			continue
		}
		subs, err := p.children(ctx, c.name)
		if err != nil {
			return err
		}
		left := len(subs)
		for _, s := range subs {
			sm := valueKind.FindStringSubmatch(s.name)
			if sm == nil || sm[1] != m[1] || sm[2] != m[2] {
				continue
			}
			k, err := store.ParseKind(sm[3])
			if err != nil || !p.expired(from, to, keep[k], now) {
				continue
			}
			n, err := p.rows(ctx, s.name)
			if err != nil {
				return err
			}
			if err := p.drop(ctx, s); err != nil {
				return err
			}
			pg.Rows[k] += n
			left--
		}
		if left == 0 && len(subs) > 0 && !p.recent(from) {
			// Every kind gone: the month's own table holds nothing. (One
			// with no partitions yet may be one a writer is filling in.)
			if err := p.drop(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// dropMixed drops a month partition of an older ecowatch, which holds
// every kind, once all of them have expired.
func (p *partitions) dropMixed(ctx context.Context, c child, keep map[store.Kind]time.Duration, from, to, now time.Time, pg *store.Purged) error {
	for _, k := range store.Kinds {
		if !p.expired(from, to, keep[k], now) {
			return nil
		}
	}
	rows, err := p.db.QueryContext(ctx, "SELECT kind, count(*) FROM "+c.name+" GROUP BY kind")
	if err != nil {
		return err
	}
	n := map[store.Kind]int64{}
	for rows.Next() {
		var k int16
		var cnt int64
		if err := rows.Scan(&k, &cnt); err != nil {
			rows.Close()
			return err
		}
		n[store.Kind(k)] = cnt
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := p.drop(ctx, c); err != nil {
		return err
	}
	for k, cnt := range n {
		pg.Rows[k] += cnt
	}
	return nil
}

// Purge implements store.Store: it first drops the partitions whose whole
// month is past its kind's retention (or frames'), which takes no time
// whatever they hold, then deletes the expired rows of the months partly
// past it, in short transactions as on SQLite.
func (s *Store) Purge(ctx context.Context, r store.Retention, now time.Time) (store.Purged, error) {
	pg := store.Purged{Rows: map[store.Kind]int64{}}
	if err := s.parts.dropExpired(ctx, r, now, &pg); err != nil {
		return pg, fmt.Errorf("purge: %w", err)
	}
	rest, err := s.DB.Purge(ctx, r, now)
	for k, n := range rest.Rows {
		pg.Rows[k] += n
	}
	pg.Frames += rest.Frames
	return pg, err
}
