package registry

import "strings"

// creditCodeAlphabet is the character set of the unified social credit
// code, GB 32100-2015 clause 4 and table 1: the digits and the capital
// letters without I, O, Z, S and V, 31 characters whose positions are their
// values.
const creditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// CreditCodeCheck returns the check character (position 18) for the first
// 17 characters of a unified social credit code, by GB 32100-2015 clause
// 5.2: C18 = 31 − MOD(Σ Ci·Wi, 31) with Wi = 3^(i−1) mod 31, where a result
// of 31 is written 0.
func CreditCodeCheck(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, invalid("credit_code", "want 17 characters before the check character, got %d", len(first17))
	}
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditCodeAlphabet, first17[i])
		if v < 0 {
			return 0, invalid("credit_code", "character %d %q is not in the GB 32100-2015 character set", i+1, first17[i])
		}
		sum += v * w
		w = w * 3 % 31
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return creditCodeAlphabet[c], nil
}

// ValidateCreditCode checks a unified social credit code's length,
// character set and check character (GB 32100-2015). Lower-case letters
// are refused rather than folded, so a stored code is always canonical.
func ValidateCreditCode(code string) error {
	if len(code) != 18 {
		return invalid("credit_code", "%q has %d characters, want 18 (GB 32100-2015)", code, len(code))
	}
	want, err := CreditCodeCheck(code[:17])
	if err != nil {
		return err
	}
	if code[17] != want {
		return invalid("credit_code", "%q: check character is %q, want %q (GB 32100-2015 5.2)", code, code[17], want)
	}
	return nil
}
