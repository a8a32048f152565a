// Package hj212 reads and writes HJ 212 frames, the data transmission
// protocol between pollution-source and environmental-quality monitoring
// equipment (data acquisition units, 数采仪) and monitoring platforms:
// HJ/T 212-2005, HJ 212-2017 and what is known of HJ 212-2025.
//
// The package does no I/O beyond reading an io.Reader and has no clock: it
// is framing, CRC, decoding, encoding, split packets and code tables.
//
//   - Scanner cuts a byte stream (a TCP connection) into raw frames,
//     length-driven as Table 2 defines them, copes with frames split across
//     reads or stuck together (拆包/粘包), reports bytes outside frames and
//     resynchronises on the next "##". ScanFrames is the same as a
//     bufio.SplitFunc.
//   - CRC16 is Appendix A's checksum (not CRC-16/MODBUS).
//   - Decode checks a raw frame and parses its data segment into a Frame,
//     keeping every value's exact text. Strict mode (the zero Mode) is the
//     standard; a Mode may allow Quirks that real devices show, each then
//     recorded as a Diagnostic. Failures are *ParseError values with a
//     stable Code word, a byte offset and what was expected.
//   - Encode writes a Frame with the right length and an upper-case CRC;
//     ReplyFor says what the platform owes a frame (9014, 9013), and the
//     request constructors build platform commands.
//   - Split and Reassembler handle payloads split into PNUM/PNO parts.
//
// Example: read frames from a connection and answer them.
//
//	sc := hj212.NewScanner(conn)
//	for sc.Scan() {
//		if err := sc.FramingErr(); err != nil {
//			log.Printf("skipped %d bytes: %v", len(sc.Bytes()), err)
//			continue
//		}
//		f, err := hj212.Decode(sc.Bytes(), hj212.Strict)
//		if err != nil {
//			log.Printf("bad frame: %v", err) // e.g. "hj212: crc at byte 107: expected 1C80, got \"1C08\""
//			continue
//		}
//		rtd, _ := f.Value("a21026", "Rtd") // exact text, e.g. "12.3"
//		_ = rtd
//		if reply, ok := hj212.ReplyFor(f); ok {
//			b, _ := hj212.Encode(reply)
//			conn.Write(b)
//		}
//	}
package hj212
