// Package inspect is the pure computation of random inspections
// (双随机、一公开): the enterprise and inspector pools, their canonical
// snapshots and hashes, the plan, and the draw, which is a deterministic
// function of (pool snapshots, plan, seed) so that anyone holding the
// published snapshots, the plan and the seed can repeat it. It also ranks
// remote-enforcement leads (非现场执法) from evidence counts.
//
// The package does no I/O and reads no clock: dates come in the pools and
// the plan's period.
//
// Example:
//
//	ep, _ := inspect.ParseEnterprisePool(enterprisesJSON)
//	op, _ := inspect.ParseOfficerPool(officersJSON)
//	plan, _ := inspect.ParsePlan(planJSON)
//	res, err := inspect.Draw(ep, op, plan, "2026-11-29 福彩3D 123")
//	// err is a *Refusal when the plan cannot be met, saying why.
//	rec := inspect.NewRecord(ep, op, plan, seed, res)
//	err = inspect.Verify(rec, enterprisesJSON, officersJSON) // nil: same draw
package inspect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalid is wrapped by errors about malformed pools, plans and records.
var ErrInvalid = errors.New("invalid")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Group is an enterprise group of the draw; each has its own ratio.
type Group string

// The groups, in draw order. A key unit (重点排污单位) is in GroupKey; an
// enterprise with recent alarms, complaints or violations at or above the
// plan's FocusMin is in GroupFocus (a higher-frequency group); every other
// enterprise is in GroupGeneral.
const (
	GroupKey     Group = "key"
	GroupFocus   Group = "focus"
	GroupGeneral Group = "general"
)

// Groups lists the groups in draw order.
var Groups = []Group{GroupKey, GroupFocus, GroupGeneral}

// Enterprise is one entry of the enterprise pool (检查对象名录库).
type Enterprise struct {
	CreditCode string `json:"credit_code"`
	Name       string `json:"name"`
	Region     string `json:"region"` // GB/T 2260 county (or city) code
	Industry   string `json:"industry"`
	KeyUnit    bool   `json:"key_unit"`
	// Recent evidence counts (the pool's source window, e.g. 12 months).
	Alarms     int `json:"alarms"`
	Complaints int `json:"complaints"`
	Violations int `json:"violations"`
	// LastInspected is the date (YYYY-MM-DD) of the last on-site
	// inspection, "" when none.
	LastInspected string `json:"last_inspected"`
}

// EnterprisePool is a frozen snapshot of the enterprise pool.
type EnterprisePool struct {
	Region      string       `json:"region"`
	AsOf        string       `json:"as_of"` // YYYY-MM-DD
	Enterprises []Enterprise `json:"enterprises"`
}

// Officer is one entry of the inspector pool (执法检查人员名录库).
type Officer struct {
	ID     string `json:"id"` // the account's username
	Name   string `json:"name"`
	Region string `json:"region"` // region the officer serves
	// HomeCounty is the county code the officer comes from, "" unknown;
	// under the plan's home-county rule they never inspect there.
	HomeCounty  string `json:"home_county"`
	Certificate string `json:"certificate"` // enforcement certificate number; "" none
	// CertificateValidUntil is the last valid day (YYYY-MM-DD), "" open.
	CertificateValidUntil string `json:"certificate_valid_until"`
	Available             bool   `json:"available"`
	// Links are the credit codes of enterprises the officer is linked to
	// (relatives, former employer, shares): never inspected by them.
	Links []string `json:"links"`
}

// OfficerPool is a frozen snapshot of the inspector pool.
type OfficerPool struct {
	Region   string    `json:"region"`
	AsOf     string    `json:"as_of"`
	Officers []Officer `json:"officers"`
}

// Maximum sizes a snapshot may have: larger files are refused before any
// work, so a hostile upload cannot make a draw use unbounded memory.
const (
	MaxEnterprises = 200000
	MaxOfficers    = 20000
	MaxLinks       = 100
	maxText        = 200
)

func checkText(field, s string) error {
	if len(s) > maxText || !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n") {
		return invalidf("%s: want valid UTF-8 without line breaks, at most %d bytes", field, maxText)
	}
	return nil
}

func textOK(s string) bool {
	return len(s) <= maxText && utf8.ValidString(s) && !strings.ContainsAny(s, "\x00\r\n")
}

func dateOK(d string) bool {
	_, err := time.Parse(time.DateOnly, d)
	return err == nil
}

func checkRegion(field, code string, allowEmpty bool) error {
	if code == "" && allowEmpty {
		return nil
	}
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return invalidf("%s %q: want a six-digit GB/T 2260 code", field, code)
	}
	return nil
}

func checkDate(field, d string, allowEmpty bool) error {
	if d == "" && allowEmpty {
		return nil
	}
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		return invalidf("%s %q: want YYYY-MM-DD", field, d)
	}
	return nil
}

// Validate checks every entry and sorts the pool into canonical order
// (by credit code); duplicate credit codes are refused.
func (p *EnterprisePool) Validate() error {
	if err := checkRegion("region", p.Region, false); err != nil {
		return err
	}
	if err := checkDate("as_of", p.AsOf, false); err != nil {
		return err
	}
	if len(p.Enterprises) > MaxEnterprises {
		return invalidf("enterprises: %d, at most %d", len(p.Enterprises), MaxEnterprises)
	}
	for i, e := range p.Enterprises {
		if e.CreditCode != "" && checkRegion("", e.Region, false) == nil && e.Alarms >= 0 && e.Complaints >= 0 && e.Violations >= 0 &&
			textOK(e.CreditCode) && textOK(e.Name) && textOK(e.Industry) && (e.LastInspected == "" || dateOK(e.LastInspected)) {
			continue // the common case, without formatting an error's position
		}
		at := fmt.Sprintf("enterprises[%d]", i)
		if e.CreditCode == "" {
			return invalidf("%s.credit_code: empty", at)
		}
		for _, f := range []struct{ n, v string }{{"credit_code", e.CreditCode}, {"name", e.Name}, {"industry", e.Industry}} {
			if err := checkText(at+"."+f.n, f.v); err != nil {
				return err
			}
		}
		if err := checkRegion(at+".region", e.Region, false); err != nil {
			return err
		}
		if e.Alarms < 0 || e.Complaints < 0 || e.Violations < 0 {
			return invalidf("%s: negative evidence count", at)
		}
		if err := checkDate(at+".last_inspected", e.LastInspected, true); err != nil {
			return err
		}
	}
	slices.SortFunc(p.Enterprises, func(a, b Enterprise) int { return strings.Compare(a.CreditCode, b.CreditCode) })
	for i := 1; i < len(p.Enterprises); i++ {
		if p.Enterprises[i].CreditCode == p.Enterprises[i-1].CreditCode {
			return invalidf("enterprises: credit code %s listed twice", p.Enterprises[i].CreditCode)
		}
	}
	return nil
}

// Validate checks every entry and sorts the pool into canonical order (by
// id, links sorted); duplicate ids are refused.
func (p *OfficerPool) Validate() error {
	if err := checkRegion("region", p.Region, false); err != nil {
		return err
	}
	if err := checkDate("as_of", p.AsOf, false); err != nil {
		return err
	}
	if len(p.Officers) > MaxOfficers {
		return invalidf("officers: %d, at most %d", len(p.Officers), MaxOfficers)
	}
	for i := range p.Officers {
		o := &p.Officers[i]
		at := fmt.Sprintf("officers[%d]", i)
		if o.ID == "" {
			return invalidf("%s.id: empty", at)
		}
		for _, f := range []struct{ n, v string }{{"id", o.ID}, {"name", o.Name}, {"certificate", o.Certificate}} {
			if err := checkText(at+"."+f.n, f.v); err != nil {
				return err
			}
		}
		if err := checkRegion(at+".region", o.Region, false); err != nil {
			return err
		}
		if err := checkRegion(at+".home_county", o.HomeCounty, true); err != nil {
			return err
		}
		if err := checkDate(at+".certificate_valid_until", o.CertificateValidUntil, true); err != nil {
			return err
		}
		if len(o.Links) > MaxLinks {
			return invalidf("%s.links: %d, at most %d", at, len(o.Links), MaxLinks)
		}
		for j, l := range o.Links {
			if err := checkText(fmt.Sprintf("%s.links[%d]", at, j), l); err != nil {
				return err
			}
		}
		if o.Links == nil {
			o.Links = []string{}
		}
		slices.Sort(o.Links)
		o.Links = slices.Compact(o.Links)
	}
	slices.SortFunc(p.Officers, func(a, b Officer) int { return strings.Compare(a.ID, b.ID) })
	for i := 1; i < len(p.Officers); i++ {
		if p.Officers[i].ID == p.Officers[i-1].ID {
			return invalidf("officers: id %s listed twice", p.Officers[i].ID)
		}
	}
	return nil
}

// canonical is the one byte form that is hashed and published: compact
// JSON with the fields in declaration order, no HTML escaping and no
// trailing newline, of a validated (sorted) value. `sha256sum` of a
// published snapshot file equals its hash.
func canonical(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only plain values of this package are encoded
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Hash is the lowercase hex SHA-256 of canonical bytes.
func Hash(canonicalBytes []byte) string {
	h := sha256.Sum256(canonicalBytes)
	return hex.EncodeToString(h[:])
}

// Canonical returns the pool's canonical bytes; p must be validated.
func (p EnterprisePool) Canonical() []byte { return canonical(p) }

// Canonical returns the pool's canonical bytes; p must be validated.
func (p OfficerPool) Canonical() []byte { return canonical(p) }

// strictUnmarshal decodes one JSON value, refusing unknown fields and
// trailing data, so a snapshot means exactly one thing.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalidf("%v", err)
	}
	if dec.More() {
		return invalidf("trailing data after the JSON value")
	}
	return nil
}

// ParseEnterprisePool reads and validates an enterprise pool snapshot.
func ParseEnterprisePool(data []byte) (EnterprisePool, error) {
	var p EnterprisePool
	if err := strictUnmarshal(data, &p); err != nil {
		return p, fmt.Errorf("enterprise pool: %w", err)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("enterprise pool: %w", err)
	}
	return p, nil
}

// ParseOfficerPool reads and validates an inspector pool snapshot.
func ParseOfficerPool(data []byte) (OfficerPool, error) {
	var p OfficerPool
	if err := strictUnmarshal(data, &p); err != nil {
		return p, fmt.Errorf("officer pool: %w", err)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("officer pool: %w", err)
	}
	return p, nil
}

// GroupOf is the group of e under the focus threshold focusMin (≥ 1).
func GroupOf(e Enterprise, focusMin int) Group {
	switch {
	case e.KeyUnit:
		return GroupKey
	case e.Alarms+e.Complaints+e.Violations >= max(focusMin, 1):
		return GroupFocus
	}
	return GroupGeneral
}

// regionPrefix is the GB/T 2260 prefix of a region's area: two digits
// for a province, four for a city, six for a county.
func regionPrefix(code string) string {
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2]
	case strings.HasSuffix(code, "00"):
		return code[:4]
	}
	return code
}

// InRegion reports whether code lies in region (by GB/T 2260 prefix).
func InRegion(code, region string) bool {
	return len(region) == 6 && strings.HasPrefix(code, regionPrefix(region))
}
