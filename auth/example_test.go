package auth_test

import (
	"fmt"

	"ecowatch/auth"
)

// A city officer of 长沙 (430100) sees 芙蓉区 (430102) but not 株洲
// (430200); an enterprise user sees only its own enterprise.
func ExamplePrincipal_CanSeeRegion() {
	officer := auth.Principal{Role: auth.City, Region: "430100"}
	fmt.Println(officer.CanSeeRegion("430102"), officer.CanSeeRegion("430200"))
	ent := auth.Principal{Role: auth.Enterprise, Enterprise: "91430100MA4L0000X1"}
	fmt.Println(ent.CanSeeEnterprise("91430100MA4L0000X1", "430102"), ent.CanSeeRegion("430102"))
	// Output:
	// true false
	// true false
}

func ExampleCheckPasswordRules() {
	fmt.Println(auth.CheckPasswordRules("changsha", "changsha2020"))
	fmt.Println(auth.CheckPasswordRules("changsha", "Xiangjiang-2020"))
	// Output:
	// invalid: password: use at least three of upper case, lower case, digits and other characters
	// <nil>
}
