// Package store keeps everything ecowatch knows: the registry, every raw
// HJ 212 frame received (byte-exact evidence) and the measurements decoded
// from them. Store is one interface with two implementations, store/sqlite
// (embedded, the default) and store/postgres; the conformance suite in
// store/storetest runs against both, so they behave the same.
//
// Contract common to every method: ctx comes first and cancels the call;
// a record that does not exist is an error wrapping ErrNotFound, never a
// zero value with a nil error; bad input is an error wrapping ErrInvalid
// (registry.ErrInvalid) that names the field; anything else is a storage
// failure the caller should retry or report.
//
// Time: HJ 212 writes China Standard Time without a zone. Instants are
// stored as instants (Unix seconds on SQLite, timestamptz on PostgreSQL);
// CST is the fixed zone UTC+8 (China has had no daylight saving time since
// 1991), and hours, days, months and years are cut in it whatever the
// server's own zone.
//
// Example (the gateway's path for one decoded data frame):
//
//	dev, err := st.DeviceByMN(ctx, mn)            // ErrNotFound: unregistered
//	frame := store.Frame{Received: now, Remote: addr, MN: mn, CN: "2051", Raw: raw, Verdict: "ok"}
//	ms := []store.Measurement{{Point: dev.PointCode, Factor: "a21026", Kind: store.Minute,
//		Time: dataTime, Values: store.Values{}.With(store.Avg, 12.5)}}
//	id, err := st.Ingest(ctx, frame, ms)          // one transaction; ack after it returns nil
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"ecowatch/registry"
)

// ErrNotFound is wrapped by the error of a lookup that found nothing.
var ErrNotFound = errors.New("not found")

// ErrInvalid is wrapped by errors about bad input; it is registry.ErrInvalid
// so a validation error from either package answers errors.Is the same.
var ErrInvalid = registry.ErrInvalid

// CST is China Standard Time, UTC+8 without daylight saving time, the zone
// HJ 212 times are written in and statistics are cut in.
var CST = time.FixedZone("CST", 8*3600)

// Kind is a measurement's interval kind; its value is the HJ 212-2017
// command number (CN) of the upload that carries it.
type Kind int16

// Interval kinds (HJ 212-2017 table 9 upload commands).
const (
	RealTime Kind = 2011 // 实时数据
	Minute   Kind = 2051 // 分钟数据
	Hour     Kind = 2061 // 小时数据
	Day      Kind = 2031 // 日数据
)

// Kinds lists the interval kinds.
var Kinds = []Kind{RealTime, Minute, Hour, Day}

func (k Kind) String() string {
	switch k {
	case RealTime:
		return "realtime"
	case Minute:
		return "minute"
	case Hour:
		return "hour"
	case Day:
		return "day"
	}
	return fmt.Sprintf("Kind(%d)", int16(k))
}

// ParseKind accepts a kind's name or its CN.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if s == k.String() || s == fmt.Sprint(int16(k)) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown interval kind %q (want realtime, minute, hour, day or 2011, 2051, 2061, 2031)", ErrInvalid, s)
}

// Valid reports whether k is one of the four kinds.
func (k Kind) Valid() bool {
	return k == RealTime || k == Minute || k == Hour || k == Day
}

// Measurement is the values of one factor at one point for one interval.
// Writes are idempotent on (Point, Factor, Kind, Time): see Wins for which
// of two copies is kept.
type Measurement struct {
	Point  string // point code
	Factor string // HJ 212 factor code
	Kind   Kind
	Time   time.Time // the interval start as the protocol writes it (DataTime)
	Values Values
	// Frame is the id of the raw frame the values came from; 0 for values
	// not from a frame (imports). Ingest fills it in.
	Frame int64
	// Received is when the values arrived; it decides which copy wins.
	// Ingest fills it in from the frame; zero (values from an import)
	// counts as received at Time, so any copy from a device wins over it.
	Received time.Time
}

// Wins reports whether copy a replaces copy b of the same measurement key.
// The copy received later wins, because a device re-sends (补发) what it
// holds now, which includes corrections; on equal receive times (seconds)
// the one from the later-stored frame (larger id) wins; an exact repeat
// changes nothing. Receive time rather than write order decides, so that
// replaying archived frames of a newly registered device never overwrites
// values received since.
func Wins(a, b Measurement) bool {
	ar, br := a.Received.Unix(), b.Received.Unix()
	if ar != br {
		return ar > br
	}
	return a.Frame > b.Frame
}

// Frame is one received frame, kept byte-exact as evidence. Nothing about
// a stored frame is ever changed.
type Frame struct {
	ID       int64 // assigned by the store
	Received time.Time
	Remote   string // remote address, host:port
	MN       string // as parsed; empty when the frame did not parse that far
	CN       string
	QN       string
	Raw      []byte // exactly the bytes received, from ## to CR LF
	// Verdict is the gateway's decision, e.g. "ok", "tolerated",
	// "rejected"; Diagnostics its explanation (quirks found, CRC error…).
	// The text fields (Remote, MN, CN, QN, Verdict, Diagnostics) are
	// stored as valid UTF-8 without NUL: other bytes become U+FFFD. Raw is
	// the evidence and is kept byte for byte.
	Verdict     string
	Diagnostics string
	// Key, when not empty, identifies the bus message that carried the
	// frame (the gateway's message id). IngestBatch stores a frame whose
	// Key it has already stored no second time, so a bus that delivers a
	// message again after the batch committed (JetStream after a worker
	// died before its acknowledgement) leaves one copy, not two. Keys are
	// kept in table ingest_key and purged with PurgeIngestKeys.
	Key string
}

// FrameQuery selects frames. Zero fields do not restrict.
type FrameQuery struct {
	MN       string
	From, To time.Time // Received in [From, To)
	AfterID  int64     // frames with ID > AfterID, for paging in ID order
	Limit    int       // 0: 1000
}

// MeasurementQuery selects one factor of one point, one kind, in [From, To).
type MeasurementQuery struct {
	Point    string
	Factor   string
	Kind     Kind
	From, To time.Time
}

// Retention says how long each kind of data is kept; zero keeps forever.
type Retention struct {
	RealTime, Minute, Hour, Day, Frames time.Duration
}

// DefaultRetention keeps real-time data a year, minute data three years,
// hourly and daily data and raw frames ten years.
var DefaultRetention = Retention{
	RealTime: 365 * 24 * time.Hour,
	Minute:   3 * 365 * 24 * time.Hour,
	Hour:     10 * 365 * 24 * time.Hour,
	Day:      10 * 365 * 24 * time.Hour,
	Frames:   10 * 365 * 24 * time.Hour,
}

// Purged counts what a retention pass deleted: measurement rows (one per
// point, kind and time) per kind, and frames.
type Purged struct {
	Rows   map[Kind]int64
	Frames int64
}

// Registry reads and writes the registry. Upserts insert or replace by
// the record's natural key and validate first.
type Registry interface {
	UpsertRegion(ctx context.Context, r registry.Region) error
	UpsertDepartment(ctx context.Context, d registry.Department) error
	UpsertEnterprise(ctx context.Context, e registry.Enterprise) error
	// UpsertPoint needs the point's region and, for outlets and facility
	// points, its enterprise to exist.
	UpsertPoint(ctx context.Context, p registry.Point) error
	// UpsertDevice needs the device's point to exist unless it is
	// unregistered.
	UpsertDevice(ctx context.Context, d registry.Device) error
	UpsertLimit(ctx context.Context, l registry.Limit) error
	UpsertTarget(ctx context.Context, t registry.Target) error

	Region(ctx context.Context, code string) (registry.Region, error)
	Enterprise(ctx context.Context, creditCode string) (registry.Enterprise, error)
	Point(ctx context.Context, code string) (registry.Point, error)
	// DeviceByMN is the gateway's lookup of a connecting device.
	DeviceByMN(ctx context.Context, mn string) (registry.Device, error)

	// Regions lists regions by code, without outlines (see Region).
	Regions(ctx context.Context) ([]registry.Region, error)
	Departments(ctx context.Context) ([]registry.Department, error)
	Enterprises(ctx context.Context) ([]registry.Enterprise, error)
	Points(ctx context.Context) ([]registry.Point, error)
	// Devices lists devices in a state, or all when state is "".
	Devices(ctx context.Context, state registry.DeviceState) ([]registry.Device, error)
	// Limits lists the limits of a point, or all when point is "".
	Limits(ctx context.Context, point string) ([]registry.Limit, error)
	Targets(ctx context.Context) ([]registry.Target, error)
}

// Store is everything the application keeps. Implementations are safe for
// concurrent use.
type Store interface {
	Registry

	// UpdateRegistry runs fn in one transaction: all its writes are kept
	// if it returns nil, none otherwise (an import is never half done).
	UpdateRegistry(ctx context.Context, fn func(Registry) error) error

	// AppendFrame stores a frame and returns its id. It never fails
	// because of the frame's content: malformed frames are evidence too.
	AppendFrame(ctx context.Context, f Frame) (int64, error)
	// Ingest stores a frame and the measurements decoded from it in one
	// durable transaction and returns the frame's id; the gateway
	// acknowledges the device only after Ingest returns nil. Each
	// measurement's Frame and Received are set from the frame. A point
	// that does not exist fails the whole call with ErrNotFound.
	Ingest(ctx context.Context, f Frame, ms []Measurement) (int64, error)
	// Frames lists frames in ID order, e.g. to replay an unregistered
	// device's archive once it is registered.
	Frames(ctx context.Context, q FrameQuery) ([]Frame, error)

	// WriteMeasurements stores a batch in one durable transaction,
	// idempotently: for a key already stored, the copy that Wins is kept,
	// factor by factor. A measurement the store cannot hold fails the
	// whole call with ErrInvalid, as in Ingest: the SQLite store keeps
	// times from 1970-01-01 to 2106-02-07 06:28:15 UTC only.
	WriteMeasurements(ctx context.Context, ms []Measurement) error
	// Measurements returns one factor of one point in time order, or with
	// an empty Factor every factor of the point, ordered by factor code and
	// then time (the order of one query per factor, in one scan).
	Measurements(ctx context.Context, q MeasurementQuery) ([]Measurement, error)

	// Purge deletes data older than the retention allows, as of now.
	Purge(ctx context.Context, r Retention, now time.Time) (Purged, error)

	// Close releases the store; it waits for no running call.
	Close() error
}

// BatchIngester is implemented by stores that can write many frames and
// their measurements in one durable transaction (group commit): both
// backends do. IngestBatch returns the frames' ids in order; ms is
// parallel to frames. A frame whose measurements are refused (a point that
// does not exist, a value the store cannot hold) is stored alone, with the
// reason appended to its diagnostics, so that one bad frame never blocks
// the frames behind it; any other failure stores nothing. Copies of one
// measurement key within the batch are resolved by Wins like any others.
type BatchIngester interface {
	IngestBatch(ctx context.Context, frames []Frame, ms [][]Measurement) ([]int64, error)
}

// Backuper is implemented by stores that can write a consistent copy of
// themselves to a file while in use (the embedded store). PostgreSQL is
// backed up with its own tools (pg_dump, base backups).
type Backuper interface {
	Backup(ctx context.Context, path string) error
}
