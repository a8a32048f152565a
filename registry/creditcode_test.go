package registry

import (
	"errors"
	"strings"
	"testing"
)

// Codes published on the national enterprise credit information system
// and in the companies' own filings; their 18th characters were assigned
// by the issuing authority, so they are an independent check of the
// GB 32100-2015 5.2 computation.
var publishedCreditCodes = []string{
	"91350100M000100Y43", // the example code widely cited with GB 32100-2015
	"914403001922038216", // Huawei Technologies Co., Ltd.
	"9144030071526726XG", // Tencent (Shenzhen)
	"91330100799655058B", // Alibaba (China) Co., Ltd.
}

func TestCreditCodePublished(t *testing.T) {
	for _, c := range publishedCreditCodes {
		if err := ValidateCreditCode(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}

func TestCreditCodeEverySingleSubstitutionFails(t *testing.T) {
	// A mod-31 check with weights coprime to 31 detects every single
	// character substitution (GB 32100-2015 5.2 rationale), so changing any
	// one character of a valid code to any other character of the alphabet
	// must fail.
	base := publishedCreditCodes[0]
	for i := 0; i < 18; i++ {
		for _, r := range creditCodeAlphabet {
			if byte(r) == base[i] {
				continue
			}
			c := base[:i] + string(r) + base[i+1:]
			if err := ValidateCreditCode(c); err == nil {
				t.Fatalf("%s (position %d changed) passed", c, i+1)
			}
		}
	}
}

func TestCreditCodeErrors(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"", "0 characters"},
		{"91350100M000100Y4", "17 characters"},
		{"91350100M000100Y44", "check character is '4', want '3'"},
		{"91350100I000100Y43", `character 9 'I'`},
		{"91350100m000100Y43", `character 9 'm'`},
	} {
		err := ValidateCreditCode(tc.code)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err = %v, want one containing %q and wrapping ErrInvalid", tc.code, err, tc.want)
		}
	}
}

func FuzzCreditCode(f *testing.F) {
	for _, c := range publishedCreditCodes {
		f.Add(c)
	}
	f.Add("")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		err := ValidateCreditCode(s)
		if err == nil {
			// Whatever passes must be 18 characters of the alphabet whose
			// last is what CreditCodeCheck computes.
			if len(s) != 18 || strings.Trim(s, creditCodeAlphabet) != "" {
				t.Fatalf("%q passed", s)
			}
			if c, _ := CreditCodeCheck(s[:17]); c != s[17] {
				t.Fatalf("%q passed with check %q", s, c)
			}
		}
	})
}
