package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestPlanSeedCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out, errb bytes.Buffer
	e := env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if rc := run(ctx, e, []string{"seed", "hunan", "--data-dir", dir}); rc != 0 {
		t.Fatalf("seed: %d %s", rc, errb.String())
	}
	for i := 0; i < 2; i++ { // idempotent
		out.Reset()
		if rc := run(ctx, e, []string{"plan", "seed", "--year", "2020", "--data-dir", dir}); rc != 0 {
			t.Fatalf("plan seed: %d %s", rc, errb.String())
		}
	}
	if !strings.Contains(out.String(), "already seeded") {
		t.Errorf("second seed: %q", out.String())
	}
	out.Reset()
	if rc := run(ctx, e, []string{"plan", "list", "--year", "2020", "--data-dir", dir}); rc != 0 {
		t.Fatalf("plan list: %d %s", rc, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 33 || !strings.HasPrefix(lines[19], "20\t开展重点行业生态环境风险隐患大排查\t省生态环境厅、省应急厅、省交通运输厅、省住房城乡建设厅\t14 cities") {
		t.Errorf("list: %d lines, line 20 %q", len(lines), lines[min(19, len(lines)-1)])
	}
	if rc := run(ctx, e, []string{"plan", "seed", "--year", "2021", "--data-dir", dir}); rc != 2 {
		t.Errorf("seed 2021: rc %d", rc)
	}
}
