package bctest

import (
	"fmt"
	"slices"
)

// B2B Edition API (https://api-b2b.bigcommerce.com/api/v3/io): responses
// are {"code":200,"data":…,"meta":{"message":"SUCCESS"}}, errors
// {"code":404,"data":{},"meta":{"message":…}}. The store is named by the
// X-Store-Hash header; X-Auth-Token is the store's API token.

func (c *call) b2bID(kind string, exists func(int) bool) (int, bool) {
	id, ok := c.intParam("id")
	if !ok {
		return 0, false
	}
	if !exists(id) {
		c.notFound(fmt.Sprintf("%s %d not found", kind, id))
		return 0, false
	}
	return id, true
}

func getCompany(c *call) {
	if id, ok := c.b2bID("Company", func(id int) bool { return c.d.companies[id] != nil }); ok {
		c.b2b(c.d.companies[id])
	}
}

func getCompanySuperAdmins(c *call) {
	id, ok := c.b2bID("Company", func(id int) bool { return c.d.companies[id] != nil })
	if !ok {
		return
	}
	out := []*superAdmin{}
	for _, a := range c.d.companies[id].admins {
		if sa := c.d.superAdmins[a]; sa != nil {
			out = append(out, sa)
		}
	}
	listB2B(c, out)
}

func getB2BUser(c *call) {
	if id, ok := c.b2bID("User", func(id int) bool { return c.d.b2bUsers[id] != nil }); ok {
		c.b2b(c.d.b2bUsers[id])
	}
}

func getB2BUserByCustomer(c *call) {
	id, ok := c.intParam("customer_id")
	if !ok {
		return
	}
	for _, uid := range sortedKeys(c.d.b2bUsers) {
		if u := c.d.b2bUsers[uid]; u.CustomerID == id {
			c.b2b(u)
			return
		}
	}
	c.notFound(fmt.Sprintf("No user for customer %d", id))
}

func getCompanyAddress(c *call) {
	if id, ok := c.b2bID("Address", func(id int) bool { return c.d.companyAddrs[id] != nil }); ok {
		c.b2b(c.d.companyAddrs[id])
	}
}

func getSuperAdmin(c *call) {
	if id, ok := c.b2bID("Super admin", func(id int) bool { return c.d.superAdmins[id] != nil }); ok {
		c.b2b(c.d.superAdmins[id])
	}
}

func getSuperAdminCompanies(c *call) {
	id, ok := c.b2bID("Super admin", func(id int) bool { return c.d.superAdmins[id] != nil })
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, cid := range sortedKeys(c.d.companies) {
		co := c.d.companies[cid]
		if slices.Contains(co.admins, id) {
			out = append(out, map[string]any{"companyId": co.CompanyID, "companyName": co.CompanyName, "companyEmail": co.CompanyEmail})
		}
	}
	listB2B(c, out)
}

func getQuote(c *call) {
	if id, ok := c.b2bID("Quote", func(id int) bool { return c.d.quotes[id] != nil }); ok {
		c.b2b(c.d.quotes[id])
	}
}
