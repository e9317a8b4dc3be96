package bctest

import (
	"fmt"
	"strconv"
)

// getCustomers is /v3/customers, the only V3 way to read a customer:
// ?id:in=… (or email:in=…), include=addresses,storecredit,attributes,formfields.
func getCustomers(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.customers))
	if !ok {
		return
	}
	emails, byEmail := c.strs("email:in")
	inc := c.includes()
	out := []map[string]any{}
	for _, id := range ids {
		cu := c.d.customers[id]
		if byEmail && !emails[cu.Email] {
			continue
		}
		m := toMap(cu)
		if inc["addresses"] {
			m["addresses"] = c.d.addressesOf(cu.ID)
		}
		if inc["storecredit"] {
			m["store_credit_amounts"] = []map[string]any{{"amount": cu.storeCredit}}
		}
		if inc["attributes"] {
			m["attributes"] = []any{}
		}
		if inc["formfields"] {
			m["form_fields"] = []any{}
		}
		out = append(out, m)
	}
	listV3(c, out)
}

func (d *storeData) addressesOf(customerID int) []*customerAddress {
	out := []*customerAddress{}
	for _, id := range sortedKeys(d.custAddrs) {
		if a := d.custAddrs[id]; a.CustomerID == customerID {
			out = append(out, a)
		}
	}
	return out
}

func getCustomerAddresses(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.custAddrs))
	if !ok {
		return
	}
	custs, byCust, ok := c.ints("customer_id:in")
	if !ok {
		return
	}
	out := []*customerAddress{}
	for _, id := range ids {
		if a := c.d.custAddrs[id]; !byCust || custs[a.CustomerID] {
			out = append(out, a)
		}
	}
	listV3(c, out)
}

func getSubscriber(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	if s := c.d.subscribers[id]; s != nil {
		c.one(s)
		return
	}
	c.notFound(fmt.Sprintf("Subscriber %d not found", id))
}

func (c *call) customer() (*customer, bool) {
	id, ok := c.intParam("id")
	if !ok {
		return nil, false
	}
	cu := c.d.customers[id]
	if cu == nil {
		c.notFound(fmt.Sprintf("Customer %d not found", id))
		return nil, false
	}
	return cu, true
}

// getStoredInstruments answers a bare array (this endpoint has no
// envelope), empty for customers without a saved card.
func getStoredInstruments(c *call) {
	cu, ok := c.customer()
	if !ok {
		return
	}
	out := []map[string]any{}
	if cu.hasCard {
		addrs := c.d.addressesOf(cu.ID)
		billing := map[string]any{}
		if len(addrs) > 0 {
			a := addrs[0]
			billing = map[string]any{"first_name": a.FirstName, "last_name": a.LastName, "address1": a.Address1,
				"city": a.City, "postal_code": a.PostalCode, "country_code": a.CountryCode, "state_or_province": a.StateOrProvince}
		}
		out = append(out, map[string]any{"type": "stored_card", "token": fmt.Sprintf("%064x", cu.ID*7919),
			"is_default": true, "brand": "visa", "expiry_month": 1 + cu.ID%12, "expiry_year": 2027 + cu.ID%4,
			"issuer_identification_number": "411111", "last_4": fmt.Sprintf("%04d", cu.ID%10_000), "billing_address": billing})
	}
	c.v2(out)
}

func getCustomerSettings(c *call) {
	if _, ok := c.channelParam("channel_id"); !ok {
		return
	}
	c.one(map[string]any{
		"privacy_settings":        map[string]any{"ask_shopper_for_tracking_consent": true, "policy_url": "/privacy-policy/"},
		"customer_group_settings": map[string]any{"guest_customer_group_id": 0, "default_customer_group_id": 0},
		"allow_global_logins":     true,
	})
}

// getV2Customer is the legacy V2 customer.
func getV2Customer(c *call) {
	cu, ok := c.customer()
	if !ok {
		return
	}
	c.v2(map[string]any{"id": cu.ID, "company": cu.Company, "first_name": cu.FirstName, "last_name": cu.LastName,
		"email": cu.Email, "phone": cu.Phone, "date_created": v2Time(cu.DateCreated), "date_modified": v2Time(cu.DateModified),
		"store_credit": v2Money(cu.storeCredit), "registration_ip_address": cu.RegistrationIPAddress,
		"customer_group_id": cu.CustomerGroupID, "notes": cu.Notes, "tax_exempt_category": cu.TaxExemptCategory,
		"reset_pass_on_login": false, "accepts_marketing": cu.AcceptsMarketing,
		"addresses": v2Resource{URL: "https://api.bigcommerce.com/stores/" + c.d.hash + "/v2/customers/" + strconv.Itoa(cu.ID) + "/addresses",
			Resource: "/customers/" + strconv.Itoa(cu.ID) + "/addresses"}})
}

// getV2CustomerAddress is the legacy V2 address, in V2's field names.
func getV2CustomerAddress(c *call) {
	cu, ok := c.customer()
	if !ok {
		return
	}
	id, ok := c.intParam("address_id")
	if !ok {
		return
	}
	a := c.d.custAddrs[id]
	if a == nil || a.CustomerID != cu.ID {
		c.notFound(fmt.Sprintf("Address %d not found", id))
		return
	}
	c.v2(map[string]any{"id": a.ID, "customer_id": a.CustomerID, "first_name": a.FirstName, "last_name": a.LastName,
		"company": a.Company, "street_1": a.Address1, "street_2": a.Address2, "city": a.City, "state": a.StateOrProvince,
		"zip": a.PostalCode, "country": a.Country, "country_iso2": a.CountryCode, "phone": a.Phone, "address_type": a.AddressType})
}

// --- carts ----------------------------------------------------------------

// getCart answers the cart; line-item options appear only with
// include=line_items.physical_items.options. Carts are gone (404) once
// converted or emptied.
func getCart(c *call) {
	cr := c.d.carts[c.param("id")]
	if cr == nil {
		c.notFound("Cart not found")
		return
	}
	if !c.includes()["line_items.physical_items.options"] {
		cp := *cr
		cp.LineItems.PhysicalItems = make([]*lineItem, len(cr.LineItems.PhysicalItems))
		for i, li := range cr.LineItems.PhysicalItems {
			l := *li
			l.Options = nil
			cp.LineItems.PhysicalItems[i] = &l
		}
		cr = &cp
	}
	c.one(cr)
}

func getCartSettings(c *call) {
	if _, ok := c.channelParam("channel_id"); ok {
		c.one(map[string]any{"allow_purchasing": true})
	}
}

// getAbandonedCart resolves an abandoned-cart token to its cart.
func getAbandonedCart(c *call) {
	id, ok := c.d.abandoned[c.param("token")]
	if !ok || c.d.carts[id] == nil {
		c.notFound("Abandoned cart not found")
		return
	}
	c.one(map[string]any{"cart_id": id})
}

func getAbandonedCartSettings(c *call) {
	if _, ok := c.channelParam("channel_id"); ok {
		c.one(map[string]any{"enable_notifications": true, "send_notifications_to_customers": true,
			"first_email_delay_hours": 1, "coupon_code_enabled": false, "apply_coupon_to_cart": false})
	}
}
