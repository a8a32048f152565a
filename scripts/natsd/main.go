// Command natsd runs one NATS server with JetStream, built from the
// nats-server module the tests use, for scripts/bench-scaled.sh: the
// machine's packaged nats-server may be older than the options measured
// here (sync_interval: always needs 2.10 or later).
//
//	natsd -port 4222 -store DIR [-sync]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	port := flag.Int("port", 4222, "client port on 127.0.0.1")
	dir := flag.String("store", "", "JetStream store directory (required)")
	sync := flag.Bool("sync", false, "sync every write to disk (sync_interval: always)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "natsd: -store DIR is required")
		os.Exit(2)
	}
	opts := &server.Options{Host: "127.0.0.1", Port: *port, JetStream: true, StoreDir: *dir, NoSigs: true,
		SyncAlways: *sync}
	if *sync {
		opts.SyncInterval = 2 * time.Minute // the default; SyncAlways overrides it
	}
	s, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsd:", err)
		os.Exit(1)
	}
	s.ConfigureLogger()
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		fmt.Fprintln(os.Stderr, "natsd: not ready after 10 s")
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Shutdown()
	s.WaitForShutdown()
}
