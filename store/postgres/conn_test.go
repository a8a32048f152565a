package postgres

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"ecowatch/store/postgres/pgtest"
)

func TestConnConfigTLS(t *testing.T) {
	unsetenv(t, "PGSSLMODE")
	for _, tc := range []struct {
		conn string
		// plainFirst: the first attempt is without TLS; tlsToo: some
		// attempt uses TLS.
		plainFirst, tlsToo bool
	}{
		{"postgres://u@127.0.0.1:5432/db", true, true},
		{"postgres://u@127.0.0.2/db", true, true},
		{"postgres://u@localhost/db", true, true},
		{"postgres://u@[::1]:5432/db", true, true},
		{"host=127.0.0.1 user=u dbname=db", true, true},
		{"postgres://u@127.0.0.1,localhost/db", true, true},
		{"postgres://u@127.0.0.1/db?sslmode=prefer", false, true},
		{"postgres://u@127.0.0.1/db?sslmode=require", false, true},
		{"postgres://u@127.0.0.1/db?sslmode=disable", true, false},
		{"host=localhost sslmode=prefer user=u", false, true},
		{"postgres://u@db.example:5432/db", false, true},
		{"postgres://u@10.0.0.5/db", false, true},
		{"postgres://u@127.0.0.1,db.example/db", false, true},
		{"host=db.example user=u", false, true},
		{"host=/var/run/postgresql user=u", true, false},
	} {
		cfg, err := connConfig(tc.conn)
		if err != nil {
			t.Errorf("%s: %v", tc.conn, err)
			continue
		}
		tlsToo := cfg.TLSConfig != nil
		for _, f := range cfg.Fallbacks {
			tlsToo = tlsToo || f.TLSConfig != nil
		}
		if plainFirst := cfg.TLSConfig == nil; plainFirst != tc.plainFirst || tlsToo != tc.tlsToo {
			t.Errorf("%s: plain first %v, TLS at all %v; want %v, %v", tc.conn, plainFirst, tlsToo, tc.plainFirst, tc.tlsToo)
		}
	}
}

func TestConnConfigEnvSSLModeWins(t *testing.T) {
	t.Setenv("PGSSLMODE", "require")
	cfg, err := connConfig("postgres://u@127.0.0.1/db")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig == nil || len(cfg.Fallbacks) != 0 {
		t.Errorf("PGSSLMODE=require: TLS %v, %d fallbacks", cfg.TLSConfig != nil, len(cfg.Fallbacks))
	}
}

// TestLoopbackWithoutTLS opens the store on the test server as the URL
// says and checks which connections use TLS (the test server has it on,
// so an explicit sslmode=require must get it).
func TestLoopbackWithoutTLS(t *testing.T) {
	unsetenv(t, "PGSSLMODE")
	base := pgtest.SchemaURL(t, "ecowatch_test")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	if u.Query().Has("sslmode") || !localHost(u.Hostname()) {
		t.Skipf("ECOWATCH_TEST_POSTGRES %s names an sslmode or a host elsewhere: the loopback default does not apply", u.Redacted())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ssl := func(conn string) bool {
		t.Helper()
		s, err := Open(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var on bool
		if err := s.Writer().QueryRowContext(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&on); err != nil {
			t.Fatal(err)
		}
		return on
	}
	if ssl(base) {
		t.Error("a loopback URL without sslmode connected with TLS")
	}
	var serverSSL bool
	func() {
		db, err := openDB(base)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		if err := db.QueryRowContext(ctx, "SHOW ssl").Scan(&v); err != nil {
			t.Fatal(err)
		}
		serverSSL = v == "on"
	}()
	if !serverSSL {
		t.Log("the test server has ssl = off: the explicit sslmode=require case is not checked")
		return
	}
	q := u.Query()
	q.Set("sslmode", "require")
	u.RawQuery = q.Encode()
	if !ssl(u.String()) {
		t.Error("an explicit sslmode=require connected without TLS")
	}
}

// unsetenv removes key for the test and restores it afterwards (an empty
// PGSSLMODE would still count as explicit).
func unsetenv(t *testing.T, key string) {
	t.Setenv(key, "")
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
