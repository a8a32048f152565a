// Package auth is who may do what in ecowatch: roles and their region and
// enterprise scope, password hashing and rules, login throttling, session
// and token secrets and CSRF tokens. It is pure logic: storage is the
// caller's (store.Accounts), and time is passed in.
//
// Example (what the HTTP layer does on a sign-in):
//
//	if !throttle.Allow(username, addr, now) { /* 429 */ }
//	ok := auth.CheckPassword(user.PasswordHash, password)
//	throttle.Record(username, addr, ok, now)
//	secret, idHash := auth.NewSecret()             // cookie value, stored hash
//	p := auth.Principal{Role: auth.Role(user.Role), Region: user.Region}
//	p.CanSeeRegion("430102")                       // true for the 长沙 city officer
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid is wrapped by errors about bad input (a weak password, an
// unknown role or scope).
var ErrInvalid = errors.New("invalid")

// Role is what an account is for.
type Role string

// The roles of issue 6. Client accounts act only through API tokens.
const (
	Admin       Role = "admin"       // 系统管理员: everything
	Province    Role = "province"    // 省厅监管: reads the whole province
	City        Role = "city"        // 市局: their city
	Enforcement Role = "enforcement" // 执法人员: their region and tasks
	Enterprise  Role = "enterprise"  // 企业用户: their own enterprise only
	Client      Role = "client"      // 数据共享: token scopes only
	Public      Role = ""            // anonymous: public pages only
)

// Roles lists the roles that accounts can have (not Public).
var Roles = []Role{Admin, Province, City, Enforcement, Enterprise, Client}

// ParseRole accepts a role's name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return Public, fmt.Errorf("%w: role %q: want one of admin, province, city, enforcement, enterprise, client", ErrInvalid, s)
}

// Scope is a permission an API token may carry.
type Scope string

// Token scopes: a token can do what its account can, limited to these.
const (
	ScopeAirRead      Scope = "air:read"
	ScopeSourcesRead  Scope = "sources:read" // enterprises, points, values, frames
	ScopeDevicesRead  Scope = "devices:read"
	ScopeDevicesWrite Scope = "devices:write" // register devices, send commands
	ScopeRegistry     Scope = "registry:write"
	ScopeAudit        Scope = "audit:read"
	ScopeAdmin        Scope = "admin" // users and tokens
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeAirRead, ScopeSourcesRead, ScopeDevicesRead, ScopeDevicesWrite, ScopeRegistry, ScopeAudit, ScopeAdmin}

// ParseScopes checks a list of scope names.
func ParseScopes(ss []string) ([]Scope, error) {
	out := make([]Scope, 0, len(ss))
	for _, s := range ss {
		if !slices.Contains(Scopes, Scope(s)) {
			return nil, fmt.Errorf("%w: scope %q: want one of %v", ErrInvalid, s, Scopes)
		}
		out = append(out, Scope(s))
	}
	return out, nil
}

// Principal is who is asking.
type Principal struct {
	UserID     int64
	Username   string
	Role       Role
	Region     string // GB/T 2260 code of a city or enforcement officer
	Enterprise string // credit code of an enterprise user
	// Scopes is nil for a browser session (all the role allows) and the
	// token's scopes for a token.
	Scopes []Scope
	Token  bool
}

// SignedIn reports whether the principal is an account, not the public.
func (p Principal) SignedIn() bool { return p.Role != Public }

// Has reports whether a token's scopes allow s; sessions have every scope.
func (p Principal) Has(s Scope) bool {
	return !p.Token || slices.Contains(p.Scopes, s)
}

// Province-wide roles see every region.
func (p Principal) provinceWide() bool {
	return p.Role == Admin || p.Role == Province || (p.Role == Client && p.Region == "")
}

// RegionPrefix is the code prefix of the regions p may see: "" for the
// whole province, "4301" for a city officer of 430100 (GB/T 2260: digits
// 1–2 province, 3–4 city, 5–6 county), the full code for a county. ok is
// false when p sees no region at all (the public, an enterprise user).
func (p Principal) RegionPrefix() (prefix string, ok bool) {
	if p.provinceWide() {
		return "", true
	}
	if p.Role != City && p.Role != Enforcement && p.Role != Client {
		return "", false
	}
	code := p.Region
	if len(code) != 6 {
		return "", false
	}
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2], true
	case strings.HasSuffix(code, "00"):
		return code[:4], true
	}
	return code, true
}

// CanSeeRegion reports whether p may read data of the region code (a
// city's or county's): scoping by region is by code prefix.
func (p Principal) CanSeeRegion(code string) bool {
	prefix, ok := p.RegionPrefix()
	return ok && strings.HasPrefix(code, prefix)
}

// CanSeeEnterprise reports whether p may read an enterprise registered in
// region: its own enterprise for an enterprise user, by region otherwise.
func (p Principal) CanSeeEnterprise(creditCode, region string) bool {
	if p.Role == Enterprise {
		return p.Enterprise != "" && p.Enterprise == creditCode
	}
	return p.CanSeeRegion(region)
}

// NewSecret returns a random secret for a cookie or token (32 bytes from
// crypto/rand, 256 bits, base64url) and the hash to store of it.
func NewSecret() (secret, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, HashSecret(secret)
}

// HashSecret is the stored form of a session or token secret: hex
// SHA-256. A fast hash is enough because the secret has 256 random bits;
// passwords, which do not, use HashPassword.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// TokenPrefix starts every API token, so a leaked one is recognisable
// (secret scanners) and a token is never mistaken for a session.
const TokenPrefix = "ew_"

// NewToken returns an API token and the hash to store of it.
func NewToken() (token, hash string) {
	s, _ := NewSecret()
	token = TokenPrefix + s
	return token, HashSecret(token)
}

// EqualCSRF compares a submitted CSRF token with the session's in constant
// time; an empty expected token never matches.
func EqualCSRF(expected, got string) bool {
	return expected != "" && subtle.ConstantTimeCompare([]byte(expected), []byte(got)) == 1
}
