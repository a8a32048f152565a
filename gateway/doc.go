// Package gateway is the platform's HJ 212 TCP server: the door every data
// acquisition unit (数采仪) knocks on.
//
// For each connection it cuts the stream into frames (hj212.Scanner),
// decodes them in the mode the device's registry entry allows (strict by
// default), checks the MN and PW, and publishes every frame, good or bad,
// byte-exact with its verdict, on the bus (subject "frame.<CN>.<MN>"). It
// acknowledges a frame (9014, or 9013 for a notification) only after
// bus.Publish returned nil, which means the store's writer committed it:
// an acknowledged frame is never lost. The gateway never calls the store.
// Frames a device sent back to back (a backlog upload, 补发) that arrived
// in one read are published together (bus.BatchPublisher) and answered in
// one write, in their order: they share a commit instead of waiting for
// one each, and nothing more is read until they are answered.
//
// Around that it keeps presence (online/offline events), sends platform
// requests and follows their 9011/9012 answers by QN with timeouts and
// retries, sets drifting device clocks (1012), asks for missing hourly data
// (2061 history queries), and enforces per-connection limits so that a bad
// client only ever hurts itself.
//
// Example:
//
//	srv, err := gateway.New(gateway.Config{Bus: b, Registry: reg, Backfill: true})
//	if err != nil {
//		return err
//	}
//	ln, _ := net.Listen("tcp", ":9212")
//	go srv.Serve(ln)
//	http.Handle("/api/", srv.Handler())
//	// …
//	srv.Shutdown(ctx) // finishes in-flight commits and acknowledgements
package gateway
