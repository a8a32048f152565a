package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ecowatch.conf")
	if err := os.WriteFile(cfg, []byte("# comment\ndata-dir = /from/file\nhttp-addr = :1\ngateway-addr=\":2\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ECOWATCH_HTTP_ADDR": ":env", "ECOWATCH_CONFIG": cfg}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	dataDir := fs.String("data-dir", "default", "")
	httpAddr := fs.String("http-addr", "default", "")
	gwAddr := fs.String("gateway-addr", "default", "")
	other := fs.String("other", "default", "")
	if err := parseSettings(fs, []string{"--gateway-addr", ":flag"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	// flag > environment > file > default
	if *gwAddr != ":flag" || *httpAddr != ":env" || *dataDir != "/from/file" || *other != "default" {
		t.Fatalf("got gateway=%q http=%q data=%q other=%q", *gwAddr, *httpAddr, *dataDir, *other)
	}
}

func TestSettingsUnknownNameInFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.conf")
	if err := os.WriteFile(cfg, []byte("data-dri = x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("data-dir", "", "")
	err := parseSettings(fs, []string{"--config", cfg}, func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), `unknown setting "data-dri"`) || !strings.Contains(err.Error(), ":1:") {
		t.Fatalf("err = %v, want unknown setting with its line", err)
	}
}

func TestSettingsBadValueFromEnv(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.Int("max-conns", 10, "")
	err := parseSettings(fs, nil, func(k string) string {
		if k == "ECOWATCH_MAX_CONNS" {
			return "many"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "ECOWATCH_MAX_CONNS") {
		t.Fatalf("err = %v, want it to name the variable", err)
	}
}
