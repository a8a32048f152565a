package decimal

import (
	"errors"
	"math/big"
	"testing"
)

// The tie cases come from GB/T 8170-2008 §3.3 as summarised in reference
// §1.2: 150.5 → 150, 151.5 → 152, 0.85 → 0.8, 150.51 → 151.
func TestRoundGBT8170(t *testing.T) {
	cases := []struct {
		in     string
		places int
		mode   Mode
		want   string
	}{
		{"150.5", 0, HalfEven, "150"},
		{"151.5", 0, HalfEven, "152"},
		{"0.85", 1, HalfEven, "0.8"},
		{"0.75", 1, HalfEven, "0.8"},
		{"150.51", 0, HalfEven, "151"},
		{"150.49", 0, HalfEven, "150"},
		{"-150.5", 0, HalfEven, "-150"},
		{"-151.5", 0, HalfEven, "-152"},
		{"-0.85", 1, HalfEven, "-0.8"},
		{"150.5", 0, HalfUp, "151"},
		{"-150.5", 0, HalfUp, "-150"}, // half-up means toward +∞ on ties here
		{"51.25", 0, Ceiling, "52"},   // reference §1.2: 51.25 → 52
		{"100.5", 0, Ceiling, "101"},  // reference §1.2: 100.5 → 101
		{"100", 0, Ceiling, "100"},
		{"-0.5", 0, Ceiling, "0"},
		{"-0.5", 0, Floor, "-1"},
		{"2.2", 3, HalfEven, "2.200"},
		{"0.72", 1, HalfEven, "0.7"},
	}
	for _, c := range cases {
		got := MustParse(c.in).Round(c.places, c.mode).String()
		if got != c.want {
			t.Errorf("Round(%s, %d, %v) = %s, want %s", c.in, c.places, c.mode, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	good := map[string]string{
		"0": "0", "12": "12", "-0.5": "-0.5", "+3.10": "3.10", ".5": "0.5", "3.": "3",
		"000123.4500": "123.4500", "999999999999999999": "999999999999999999",
		"0.000000001": "0.000000001",
	}
	for in, want := range good {
		d, err := Parse(in)
		if err != nil || d.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, d, err, want)
		}
	}
	bad := map[string]error{
		"": ErrEmpty, "-": ErrSyntax, ".": ErrSyntax, "1e3": ErrSyntax, "NaN": ErrSyntax,
		"1,000": ErrSyntax, " 1": ErrSyntax, "1.2.3": ErrSyntax, "--1": ErrSyntax,
		"1234567890123456789": ErrPrecision, "0.0000000001": ErrPrecision,
	}
	for in, want := range bad {
		_, err := Parse(in)
		var pe *ParseError
		if !errors.Is(err, want) || !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error = %v, want %v", in, err, want)
		}
	}
}

func TestCmp(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1", 0}, {"0.85", "0.9", -1}, {"-2", "-2.5", 1},
		{"999999999999999999", "0.000000001", 1}, // rescale overflows int64: big fallback
	}
	for _, c := range cases {
		if got := MustParse(c.a).Cmp(MustParse(c.b)); got != c.want {
			t.Errorf("Cmp(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// CO 2.2 trap (reference §1.2): 50 + 50×(2.2−2)/(4−2) is exactly 55, so
// its ceiling must be 55. Multiplying before the single division keeps it.
func TestQuoRemExact(t *testing.T) {
	// scaled by 10: (50 × (22 − 20)) / (40 − 20) = 100/20 = 5
	if q, r := QuoRem(50*(22-20), 40-20, Ceiling); q != 5 || r != 0 {
		t.Fatalf("QuoRem = %d rem %d, want 5 rem 0", q, r)
	}
	if q, _ := QuoRem(-7, 2, HalfEven); q != -4 { // −3.5 → −4 (even)
		t.Fatalf("QuoRem(-7,2,HalfEven) = %d, want -4", q)
	}
}

func TestQuoAndRoundRat(t *testing.T) {
	got, err := Quo(MustParse("1"), MustParse("3"), 2, HalfEven)
	if err != nil || got.String() != "0.33" {
		t.Fatalf("1/3 = %v, %v", got, err)
	}
	if _, err := Quo(MustParse("1"), Decimal{}, 2, HalfEven); err == nil {
		t.Fatal("division by zero accepted")
	}
	// 0.125 to 2 places: exact tie, half-even keeps 0.12.
	got, _ = RoundRat(big.NewRat(1, 8), 2, HalfEven)
	if got.String() != "0.12" {
		t.Fatalf("RoundRat(1/8) = %s, want 0.12", got)
	}
}

func TestFromFloat(t *testing.T) {
	d, err := FromFloat(0.85) // the binary value is 0.8499…; the text is 0.85
	if err != nil || d.Round(1, HalfEven).String() != "0.8" {
		t.Fatalf("FromFloat(0.85) = %v, %v", d, err)
	}
}

// Property (issue 4): rounding never moves a value by more than half a unit
// of the last kept place, and directed modes never by a full unit or more.
func TestRoundHalfUnitProperty(t *testing.T) {
	for m := int64(-3000); m <= 3000; m += 7 {
		for scale := 0; scale <= 4; scale++ {
			d := New(m, scale)
			for places := 0; places <= scale; places++ {
				unit := new(big.Rat).SetFrac64(1, pow10[places])
				half := new(big.Rat).Quo(unit, big.NewRat(2, 1))
				for _, mode := range []Mode{HalfEven, HalfUp, Ceiling, Floor} {
					r := d.Round(places, mode)
					diff := new(big.Rat).Sub(r.Rat(), d.Rat())
					diff.Abs(diff)
					limit := half
					if mode == Ceiling || mode == Floor {
						limit = unit
					}
					if diff.Cmp(limit) > 0 || (limit == unit && diff.Cmp(unit) == 0) {
						t.Fatalf("Round(%s,%d,%v) = %s moves by %s", d, places, mode, r, diff.FloatString(6))
					}
				}
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "-0.85", "150.5", "1e3", "", ".", "999999999999999999", "0.000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		// Round trip: the printed text parses to an equal value.
		e, err := Parse(d.String())
		if err != nil || e.Cmp(d) != 0 {
			t.Fatalf("round trip %q → %s → %v, %v", s, d, e, err)
		}
		if d.Rat().Cmp(e.Rat()) != 0 {
			t.Fatalf("Rat mismatch for %q", s)
		}
		for p := 0; p <= MaxScale; p++ {
			_ = d.Round(p, HalfEven)
		}
	})
}
