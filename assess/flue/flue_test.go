package flue

import (
	"math/big"
	"testing"
)

// Formulas of reference §4 (HJ 75-2017, GB 13223-2011); expected values
// worked by hand from them.
func TestConversions(t *testing.T) {
	// 80 at 9 % O2 to 6 %: 80 × 15/12 = 100 exactly.
	c, err := ToReferenceO2(D("80"), D("9"), D("6"))
	if err != nil || c.Cmp(D("100")) != 0 {
		t.Fatalf("O2 conversion = %v, %v", c, err)
	}
	if _, err := ToReferenceO2(D("80"), D("21"), D("6")); err == nil {
		t.Fatal("O2 21 % accepted (division by zero)")
	}
	// Dry basis: 90 wet at 10 % moisture → 100 dry.
	if d, err := DryBasis(D("90"), D("0.1")); err != nil || d.Cmp(D("100")) != 0 {
		t.Fatalf("dry = %v, %v", d, err)
	}
	if _, err := DryBasis(D("90"), D("1")); err == nil {
		t.Fatal("moisture 1 accepted")
	}
	// Q_s 1,000,000 m³/h at 0 °C, 101325 Pa total, 10 % moisture → 900,000.
	q, err := StandardFlow(D("1000000"), D("0"), D("101325"), D("0"), D("0.1"))
	if err != nil || q.Cmp(D("900000")) != 0 {
		t.Fatalf("Q_sn = %v, %v", q, err)
	}
	// At 273 °C the volume halves: 450,000.
	q, _ = StandardFlow(D("1000000"), D("273"), D("101325"), D("0"), D("0.1"))
	if q.Cmp(D("450000")) != 0 {
		t.Fatalf("Q_sn at 273 °C = %s", q.FloatString(3))
	}
	if _, err := StandardFlow(D("1"), D("-300"), D("101325"), D("0"), D("0")); err == nil {
		t.Fatal("temperature below absolute zero accepted")
	}
	// G = 35 mg/m³ × 2,000,000 m³/h × 1e-6 = 70 kg/h.
	if g := EmissionRate(D("35"), D("2000000")); g.Cmp(D("70")) != 0 {
		t.Fatalf("G = %s", g.FloatString(3))
	}
}

func TestJudge(t *testing.T) {
	lim := GB13223CoalBoiler[SO2]
	j, err := Judge(lim, D("80"), D("9")) // converted 100 = limit: not exceeding
	if err != nil || j.Exceeds {
		t.Fatalf("on the limit: %+v %v", j, err)
	}
	j, _ = Judge(lim, D("80.1"), D("9")) // 100.125 > 100, multiple 0.00125
	if !j.Exceeds || j.Multiple.Cmp(D("0.00125")) != 0 {
		t.Fatalf("just above: %+v", j)
	}
	// Ultra-low NOx 50 at 6 %: measured 40 at 10 % O2 → 40 × 15/11 = 54.5… > 50.
	j, _ = Judge(UltraLowCoal[NOx], D("40"), D("10"))
	if !j.Exceeds || j.Converted.Cmp(big.NewRat(600, 11)) != 0 {
		t.Fatalf("ultra-low: %+v", j)
	}
	if _, err := Judge(lim, D("80"), nil); err == nil {
		t.Fatal("missing O2 accepted for a limit with reference O2")
	}
	noO2 := Limit{Standard: "x", Pollutant: PM, Value: D("20"), Averaging: "1h"}
	if j, err := Judge(noO2, D("20"), nil); err != nil || j.Exceeds {
		t.Fatalf("limit without O2: %+v %v", j, err)
	}
}

// Hourly validity from minutes: only N-flagged minutes count; ≥ 45 needed.
func TestHourFromMinutes(t *testing.T) {
	ms := make([]Minute, 60)
	for i := range ms {
		ms[i] = Minute{Value: big.NewRat(int64(i), 1), Flag: FlagNormal}
	}
	for i := 0; i < 15; i++ {
		ms[i].Flag = FlagCalibration
	}
	h := HourFromMinutes(ms)
	if !h.Valid || h.N != 45 || h.Mean.Cmp(big.NewRat(37, 1)) != 0 || h.Flags[FlagCalibration] != 15 {
		t.Fatalf("45 minutes: %+v", h) // mean of 15..59 = 37
	}
	ms[15].Flag = FlagMaintenance
	if h := HourFromMinutes(ms); h.Valid {
		t.Fatal("44 minutes must be invalid")
	}
}
