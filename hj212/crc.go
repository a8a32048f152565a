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
	var r uint16 = 0xFFFF
	for _, b := range data {
		r = crcTable[byte(r>>8)^b]
	}
	return r
}

// crc16String is CRC16 over a string, so that encoders need no copy.
func crc16String(s string) uint16 {
	var r uint16 = 0xFFFF
	for i := 0; i < len(s); i++ {
		r = crcTable[byte(r>>8)^s[i]]
	}
	return r
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
