package postgres

import (
	"testing"

	"ecowatch/store/storetest"
)

func TestAccountsConformance(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) storetest.AccountStore { return openTemp(t) })
}
