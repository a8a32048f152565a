// Package decimal is an exact decimal number for the standards engine: a
// signed 64-bit mantissa and a count of decimal places, with the rounding
// rules the national standards name.
//
// Why not float64: GB/T 8170-2008 rounding ("四舍六入五成双") and the
// HJ 633 ceiling both look at the exact decimal digits. 0.85 as a binary
// float is 0.84999…, so a float rounds it the wrong way, and 2.2 mg/m³ CO
// gives an IAQI of 55.000000000000007, whose ceiling is 56 instead of 55.
// Values here are read from their decimal text and stay exact.
//
// Example:
//
//	d, _ := decimal.Parse("0.85")
//	fmt.Println(d.Round(1, decimal.HalfEven)) // 0.8 (GB/T 8170 §3.3: a tie goes to the even digit)
//	fmt.Println(d.Round(1, decimal.HalfUp))   // 0.9
package decimal

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
)

// MaxScale is the largest number of decimal places a Decimal keeps. The
// standards publish at most 3 (CO in mg/m³); 9 leaves room for
// intermediate results without risking int64 overflow in products.
const MaxScale = 9

// maxDigits bounds the mantissa so that any rescale to MaxScale stays
// inside int64.
const maxDigits = 18

// Decimal is the exact value Mantissa × 10^-Scale. The zero value is 0.
// Decimal is a small value type: copy it freely and compare with Cmp, not
// ==, since 1.0 and 1.00 are equal values with different scales.
type Decimal struct {
	m     int64
	scale uint8
}

// Mode is a rounding rule.
type Mode uint8

// Rounding rules. Each names where the standards use it.
const (
	// HalfEven is GB/T 8170-2008 §3.3 ("四舍六入五成双"): below 5 drop,
	// above 5 (or 5 followed by any non-zero digit) carry, exactly 5 goes to
	// the even neighbour. Concentrations, ratios and indices use it.
	HalfEven Mode = iota
	// HalfUp carries on an exact 5. The national real-time release of the
	// 2012 era rounded IAQI this way (reference §8).
	HalfUp
	// Ceiling rounds toward +∞. HJ 633-2012 §6.2 and HJ 633-2026 §4.2.6 round
	// IAQI and AQI this way ("全部进位取整数").
	Ceiling
	// Floor rounds toward −∞.
	Floor
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case HalfEven:
		return "half-even (GB/T 8170)"
	case HalfUp:
		return "half-up"
	case Ceiling:
		return "ceiling"
	case Floor:
		return "floor"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Errors returned by Parse, wrapped in a *ParseError.
var (
	ErrEmpty     = errors.New("empty number")
	ErrSyntax    = errors.New("not a plain decimal number")
	ErrPrecision = errors.New("too many digits")
)

// ParseError says which input failed and why.
type ParseError struct {
	Input string // the text, truncated to 32 bytes
	Err   error  // one of ErrEmpty, ErrSyntax, ErrPrecision
}

// Error says which input failed and why.
func (e *ParseError) Error() string {
	return fmt.Sprintf("decimal %q: %v", e.Input, e.Err)
}

// Unwrap returns the sentinel error.
func (e *ParseError) Unwrap() error { return e.Err }

func parseErr(s string, err error) error {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return &ParseError{Input: s, Err: err}
}

// Parse reads a plain decimal: an optional sign, digits, and an optional
// fraction ("12", "-0.5", "0.72", ".5", "3."). Exponents, NaN, infinities,
// spaces and thousands separators are rejected, because no standard's data
// feed uses them and accepting them would hide a corrupted column. At most
// 18 significant digits and 9 decimal places are accepted.
func Parse(s string) (Decimal, error) {
	if s == "" {
		return Decimal{}, parseErr(s, ErrEmpty)
	}
	i := 0
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		i++
	}
	var m uint64
	digits, scale := 0, 0
	seenDot, seenDigit := false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !seenDot:
			seenDot = true
		case c >= '0' && c <= '9':
			seenDigit = true
			if seenDot {
				scale++
			}
			if m == 0 && c == '0' {
				if scale > MaxScale {
					return Decimal{}, parseErr(s, ErrPrecision)
				}
				continue // leading zeros do not count as significant digits
			}
			digits++
			if digits > maxDigits || scale > MaxScale {
				return Decimal{}, parseErr(s, ErrPrecision)
			}
			m = m*10 + uint64(c-'0')
		default:
			return Decimal{}, parseErr(s, ErrSyntax)
		}
	}
	if !seenDigit {
		return Decimal{}, parseErr(s, ErrSyntax)
	}
	v := int64(m)
	if neg {
		v = -v
	}
	return Decimal{m: v, scale: uint8(scale)}, nil
}

// MustParse is Parse for constant tables in code; it panics on bad input,
// so never call it with data.
func MustParse(s string) Decimal {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// New returns mantissa × 10^-scale. It panics if scale is outside
// 0..MaxScale, which is a programming error.
func New(mantissa int64, scale int) Decimal {
	if scale < 0 || scale > MaxScale {
		panic("decimal: scale out of range")
	}
	return Decimal{m: mantissa, scale: uint8(scale)}
}

// FromInt returns the integer n.
func FromInt(n int64) Decimal { return Decimal{m: n} }

// FromFloat converts f through its shortest decimal text (strconv 'f', -1),
// so 0.85 becomes exactly 0.85, not the binary value 0.8499…. Use it only
// for values that were decimal numbers before someone stored them as
// floats; it fails for NaN, infinities and values needing more digits
// than Parse accepts.
func FromFloat(f float64) (Decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, parseErr(strconv.FormatFloat(f, 'g', -1, 64), ErrSyntax)
	}
	return Parse(strconv.FormatFloat(f, 'f', -1, 64))
}

// Mantissa returns the integer m of m × 10^-Scale.
func (d Decimal) Mantissa() int64 { return d.m }

// Scale returns the number of decimal places.
func (d Decimal) Scale() int { return int(d.scale) }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int {
	switch {
	case d.m < 0:
		return -1
	case d.m > 0:
		return 1
	}
	return 0
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// Pow10 returns 10^n for 0 ≤ n ≤ 18.
func Pow10(n int) int64 { return pow10[n] }

// Scaled returns d × 10^scale as an exact integer, and false if d has more
// decimal places than scale (so the result would not be exact) or the
// result overflows int64.
func (d Decimal) Scaled(scale int) (int64, bool) {
	if scale < int(d.scale) || scale-int(d.scale) >= len(pow10) {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(abs(d.m)), uint64(pow10[scale-int(d.scale)]))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	if d.m < 0 {
		return -int64(lo), true
	}
	return int64(lo), true
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// Cmp compares d and e exactly: -1 if d < e, 0 if equal, +1 if d > e.
func (d Decimal) Cmp(e Decimal) int {
	s := int(max(d.scale, e.scale))
	a, ok1 := d.Scaled(s)
	b, ok2 := e.Scaled(s)
	if !ok1 || !ok2 {
		// An 18-digit mantissa rescaled by up to 9 places leaves int64;
		// such values are rare, so exact big arithmetic is fine.
		return d.Rat().Cmp(e.Rat())
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Rat returns d as an exact big rational.
func (d Decimal) Rat() *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(d.m), big.NewInt(pow10[d.scale]))
}

// Float64 returns the nearest float64, for display and charts only.
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// String writes d with exactly Scale decimal places ("0.80", "-3", "150").
func (d Decimal) String() string {
	return string(d.Append(nil))
}

// Append appends the text of d to b.
func (d Decimal) Append(b []byte) []byte {
	u := uint64(abs(d.m))
	if d.m < 0 {
		b = append(b, '-')
	}
	if d.scale == 0 {
		return strconv.AppendUint(b, u, 10)
	}
	p := uint64(pow10[d.scale])
	b = strconv.AppendUint(b, u/p, 10)
	b = append(b, '.')
	frac := strconv.FormatUint(u%p, 10)
	for i := len(frac); i < int(d.scale); i++ {
		b = append(b, '0')
	}
	return append(b, frac...)
}

// MarshalText writes String, so JSON carries the exact digits as a string.
func (d Decimal) MarshalText() ([]byte, error) { return d.Append(nil), nil }

// UnmarshalText reads the text of Parse.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Round returns d rounded to places decimal places (0..MaxScale) with mode.
// If d already has no more places, it is returned rescaled and unchanged in
// value. Rounding never moves the value by more than half a unit of the last
// kept place for HalfEven and HalfUp (a property test checks this).
func (d Decimal) Round(places int, mode Mode) Decimal {
	if places < 0 || places > MaxScale {
		panic("decimal: places out of range")
	}
	if places >= int(d.scale) {
		if v, ok := d.Scaled(places); ok {
			return Decimal{m: v, scale: uint8(places)}
		}
		return d
	}
	q, _ := QuoRem(d.m, pow10[int(d.scale)-places], mode)
	return Decimal{m: q, scale: uint8(places)}
}

// QuoRem divides num by den (den > 0) and rounds the quotient to an
// integer with mode; it also returns the remainder num - q*den. It is the
// exact "multiply first, divide once" step the reference's CO 2.2 trap asks
// for. It panics if den ≤ 0.
func QuoRem(num, den int64, mode Mode) (q, r int64) {
	if den <= 0 {
		panic("decimal: non-positive divisor")
	}
	q, r = num/den, num%den // Go truncates toward zero
	if r == 0 {
		return q, 0
	}
	if r < 0 { // normalise to floor division: 0 < r < den
		q--
		r += den
	}
	switch mode {
	case Floor:
	case Ceiling:
		q++
	case HalfUp, HalfEven:
		// compare 2r with den without overflow: r < den, so r ≥ den-r tests 2r ≥ den
		switch c := r - (den - r); {
		case c > 0:
			q++
		case c == 0:
			if mode == HalfUp || q%2 != 0 {
				q++
			}
		}
	}
	return q, num - q*den
}

// RoundRat rounds the exact rational r to places decimal places with mode.
// It fails if the result does not fit a Decimal.
func RoundRat(r *big.Rat, places int, mode Mode) (Decimal, error) {
	if places < 0 || places > MaxScale {
		return Decimal{}, fmt.Errorf("decimal: %d places out of range 0..%d", places, MaxScale)
	}
	num := new(big.Int).Mul(r.Num(), big.NewInt(pow10[places]))
	den := r.Denom()
	q, m := new(big.Int).DivMod(num, den, new(big.Int)) // Euclidean: 0 ≤ m < den
	if m.Sign() != 0 {
		switch mode {
		case Ceiling:
			q.Add(q, big.NewInt(1))
		case HalfUp, HalfEven:
			c := new(big.Int).Lsh(m, 1).Cmp(den)
			if c > 0 || (c == 0 && (mode == HalfUp || q.Bit(0) == 1)) {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	if !q.IsInt64() || abs(q.Int64()) >= pow10[maxDigits] {
		return Decimal{}, fmt.Errorf("decimal: %s out of range", r.FloatString(places))
	}
	return Decimal{m: q.Int64(), scale: uint8(places)}, nil
}

// Quo returns num/den rounded to places decimal places with mode, exactly:
// both operands are brought to a common scale and divided once. It fails if
// den is zero or the result does not fit.
func Quo(num, den Decimal, places int, mode Mode) (Decimal, error) {
	if den.m == 0 {
		return Decimal{}, errors.New("decimal: division by zero")
	}
	return RoundRat(new(big.Rat).Quo(num.Rat(), den.Rat()), places, mode)
}
