package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// cheap keeps the race-detector run fast; the cost parameters are read
// back from the hash, so checking works the same as with DefaultHasher.
var cheap = Hasher{Time: 1, Memory: 64, Threads: 1}

func TestPasswordHash(t *testing.T) {
	h := cheap.Hash("Changsha-2020")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with the hasher's parameters", h)
	}
	if !CheckPassword(h, "Changsha-2020") {
		t.Error("the right password does not match")
	}
	if CheckPassword(h, "Changsha-2021") {
		t.Error("a wrong password matches")
	}
	if h2 := cheap.Hash("Changsha-2020"); h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=99999999,t=1,p=1$AAAA$AAAA", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA",
		strings.Replace(h, "t=1", "t=0", 1), h[:len(h)-3] + "!!!"} {
		if CheckPassword(bad, "Changsha-2020") {
			t.Errorf("malformed hash %q matches", bad)
		}
	}
}

// The argon2id test vector of RFC 9106 §5.3 uses secret and associated
// data, which x/crypto's IDKey does not take, so this test checks our
// PHC encoding against x/crypto via a round trip instead (above) and that
// the default cost is RFC 9106 §4's second option.
func TestDefaultCost(t *testing.T) {
	if DefaultHasher != (Hasher{Time: 3, Memory: 65536, Threads: 4}) {
		t.Errorf("DefaultHasher = %+v", DefaultHasher)
	}
}

func TestPasswordRules(t *testing.T) {
	for _, c := range []struct {
		user, pw string
		ok       bool
	}{
		{"admin", "Short1!", false},             // 7 < 10 characters
		{"admin", "alllowercaseletters", false}, // one class
		{"admin", "lowercase123456", false},     // two classes
		{"admin", "Lowercase123456", true},      // three classes
		{"admin", "xxAdmin1234!", false},        // contains the username, any case
		{"张三", "湖南省生态环境厅2020a", true},           // other + digit + lower: three classes
	} {
		err := CheckPasswordRules(c.user, c.pw)
		if (err == nil) != c.ok {
			t.Errorf("CheckPasswordRules(%q, %q) = %v, want ok=%v", c.user, c.pw, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("error %v does not wrap ErrInvalid", err)
		}
	}
}

func TestThrottle(t *testing.T) {
	th := &Throttle{MaxPerUser: 3, MaxPerAddr: 5, Window: time.Minute}
	t0 := time.Date(2020, 6, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if ok, _ := th.Allow("admin", "1.2.3.4", t0); !ok {
			t.Fatalf("attempt %d refused before the limit", i)
		}
		th.Record("admin", "1.2.3.4", false, t0.Add(time.Duration(i)*time.Second))
	}
	ok, wait := th.Allow("admin", "5.6.7.8", t0.Add(10*time.Second))
	// The first failure (t0) leaves the window at t0+60 s: 50 s to wait.
	if ok || wait != 50*time.Second {
		t.Fatalf("after 3 failures for the user: ok=%v wait=%v, want refused for 50s", ok, wait)
	}
	if ok, _ := th.Allow("admin", "5.6.7.8", t0.Add(time.Minute)); !ok {
		t.Fatal("still refused after the window")
	}
	// Per address: 5 failures over different usernames block the address.
	for i := 0; i < 5; i++ {
		th.Record("user"+string(rune('a'+i)), "9.9.9.9", false, t0)
	}
	if ok, _ := th.Allow("someone", "9.9.9.9", t0); ok {
		t.Fatal("address not throttled after 5 failures")
	}
	if ok, _ := th.Allow("someone", "9.9.9.8", t0); !ok {
		t.Fatal("another address throttled")
	}
	// A success clears the user's failures.
	th.Record("bob", "1.1.1.1", false, t0)
	th.Record("bob", "1.1.1.1", false, t0)
	th.Record("bob", "1.1.1.1", true, t0)
	th.Record("bob", "1.1.1.1", false, t0)
	th.Record("bob", "1.1.1.1", false, t0)
	if ok, _ := th.Allow("bob", "1.1.1.2", t0); !ok {
		t.Fatal("failures before a success still count")
	}
}

func TestScope(t *testing.T) {
	// GB/T 2260: 430100 长沙市, 430102 芙蓉区 (in 长沙), 430200 株洲市.
	city := Principal{Role: City, Region: "430100"}
	county := Principal{Role: Enforcement, Region: "430102"}
	ent := Principal{Role: Enterprise, Enterprise: "91430100MA4L0000X1"}
	for _, c := range []struct {
		p      Principal
		region string
		want   bool
	}{
		{Principal{Role: Admin}, "430200", true},
		{Principal{Role: Province}, "430200", true},
		{city, "430100", true},
		{city, "430102", true},
		{city, "430200", false},
		{county, "430102", true},
		{county, "430103", false},
		{ent, "430100", false},
		{Principal{}, "430100", false},
		{Principal{Role: City, Region: "bad"}, "430100", false},
	} {
		if got := c.p.CanSeeRegion(c.region); got != c.want {
			t.Errorf("%+v CanSeeRegion(%s) = %v, want %v", c.p, c.region, got, c.want)
		}
	}
	if !ent.CanSeeEnterprise("91430100MA4L0000X1", "430102") || ent.CanSeeEnterprise("91430100MA4L0000Y2", "430102") {
		t.Error("an enterprise user must see exactly its own enterprise")
	}
	if (Principal{Role: Enterprise}).CanSeeEnterprise("", "430102") {
		t.Error("an enterprise user without an enterprise sees the one with an empty code")
	}
	tok := Principal{Role: Province, Token: true, Scopes: []Scope{ScopeAirRead}}
	if !tok.Has(ScopeAirRead) || tok.Has(ScopeSourcesRead) || !(Principal{Role: Province}).Has(ScopeSourcesRead) {
		t.Error("token scopes are not applied")
	}
}

func TestSecrets(t *testing.T) {
	a, ha := NewSecret()
	b, _ := NewSecret()
	if a == b || len(a) != 43 || ha != HashSecret(a) || ha == a {
		t.Fatalf("secrets %q %q hash %q", a, b, ha)
	}
	tok, h := NewToken()
	if !strings.HasPrefix(tok, TokenPrefix) || h != HashSecret(tok) {
		t.Fatalf("token %q hash %q", tok, h)
	}
	if !EqualCSRF("abc", "abc") || EqualCSRF("abc", "abd") || EqualCSRF("", "") {
		t.Error("EqualCSRF")
	}
	if _, err := ParseRole("root"); !errors.Is(err, ErrInvalid) {
		t.Error("unknown role accepted")
	}
	if _, err := ParseScopes([]string{"air:read", "everything"}); !errors.Is(err, ErrInvalid) {
		t.Error("unknown scope accepted")
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add(cheap.Hash("x"))
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=64,t=1,p=1x$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, encoded string) {
		// Never panics; whatever it accepts is within the cost bounds and
		// re-encodes to a string it accepts again.
		h, salt, key, ok := parsePHC(encoded)
		if !ok {
			return
		}
		if h.Memory == 0 || h.Memory > maxMemory || h.Time == 0 || h.Time > maxTime || h.Threads == 0 || len(key) < 16 {
			t.Fatalf("accepted out-of-bounds %+v", h)
		}
		re := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", h.Memory, h.Time, h.Threads,
			base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
		if _, _, _, ok := parsePHC(re); !ok {
			t.Fatalf("re-encoded %q refused", re)
		}
	})
}
