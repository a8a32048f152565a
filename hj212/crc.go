package hj212

// crcTable[x] is eight rounds of the reflected 0xA001 shift register started
// from x. HJ 212-2017 Appendix A feeds each byte into the register's *high*
// byte and drops its low byte, so the whole per-byte step collapses to one
// look-up: reg = crcTable[byte(reg>>8)^b]. CRC-16/MODBUS uses the same rounds
// with the byte mixed into the low byte instead, so both share the table.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		r := uint16(i)
		for range 8 {
			if r&1 != 0 {
				r = r>>1 ^ 0xA001
			} else {
				r >>= 1
			}
		}
		t[i] = r
	}
	return t
}()

// crcHigh[k][x] is the register's high byte after k+1 steps from high
// byte x with zero input bytes. Appendix A's step is linear over GF(2) and
// keeps only 8 bits of state between bytes (the old low byte is dropped),
// so h' = H(h XOR b) = H(h) XOR H(b), and eight bytes fold into one step:
// h8 = H⁸(h XOR b1) XOR H⁷(b2) XOR … XOR H¹(b8), eight independent look-ups
// instead of a chain of eight (the "slicing-by-8" technique).
var crcHigh = func() (t [8][256]byte) {
	for x := range 256 {
		t[0][x] = byte(crcTable[x] >> 8)
	}
	for k := 1; k < 8; k++ {
		for x := range 256 {
			t[k][x] = t[0][t[k-1][x]]
		}
	}
	return t
}()

// CRC16 returns the HJ 212 check value of a data segment exactly as
// HJ 212-2017 Appendix A defines it (the "ANSI CRC16" of HJ/T 212-2005 is the
// same algorithm): initial value 0xFFFF, reflected polynomial 0xA001, each
// byte XORed into the register after shifting out its low byte. It is not
// CRC-16/MODBUS. The input is the data segment only (the bytes between the
// four length digits and the four CRC digits), as UTF-8 bytes.
//
// The standard prints the value as four upper-case hex digits, high byte
// first ("%04X"); its Appendix A example ends in 1C80 although the sentence
// under it says 1C08, a typo.
func CRC16(data []byte) uint16 {
	n := len(data)
	if n == 0 {
		return 0xFFFF
	}
	h := byte(0xFF) // high byte of the initial 0xFFFF
	body := data[:n-1]
	for len(body) >= 8 {
		b := body[:8]
		h = crcHigh[7][h^b[0]] ^ crcHigh[6][b[1]] ^ crcHigh[5][b[2]] ^ crcHigh[4][b[3]] ^
			crcHigh[3][b[4]] ^ crcHigh[2][b[5]] ^ crcHigh[1][b[6]] ^ crcHigh[0][b[7]]
		body = body[8:]
	}
	for _, b := range body {
		h = crcHigh[0][h^b]
	}
	// The last step keeps both bytes of the register.
	return crcTable[h^data[n-1]]
}

// CRC16Modbus returns the standard CRC-16/MODBUS of data (initial 0xFFFF,
// reflected 0xA001, byte XORed into the low byte). Some data acquisition
// units put this value, printed low byte first, where HJ 212 expects its own
// CRC; see QuirkModbusCRC.
func CRC16Modbus(data []byte) uint16 {
	var r uint16 = 0xFFFF
	for _, b := range data {
		r = r>>8 ^ crcTable[byte(r)^b]
	}
	return r
}

// AppendCRC appends c as four upper-case hex digits, high byte first, as the
// standard prints it.
func AppendCRC(dst []byte, c uint16) []byte {
	const hex = "0123456789ABCDEF"
	return append(dst, hex[c>>12], hex[c>>8&0xF], hex[c>>4&0xF], hex[c&0xF])
}
