package bctest

// Seeding and creation of customers, subscribers, orders (with their
// payments, shipments, messages and refunds) and carts.

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func (b *builder) newCustomer(t time.Time) *customer {
	d := b.d
	first, last := b.of(firstNames), b.of(lastNames)
	c := &customer{ID: d.newID("customer"), FirstName: first, LastName: last,
		Email: strings.ToLower(fmt.Sprintf("%s.%s%d@example.com", first, asciiOnly(last), d.next["customer"])),
		Phone: b.phone(), CustomerGroupID: b.rng.IntN(3), RegistrationIPAddress: fmt.Sprintf("203.0.113.%d", b.rng.IntN(255)),
		DateCreated: v3Time(t), DateModified: v3Time(t), AcceptsMarketing: b.rng.IntN(2) == 0,
		OriginChannelID: 1, ChannelIDs: []int{1}, hasCard: b.rng.IntN(3) > 0}
	if b.rng.IntN(4) == 0 {
		c.Company = b.of(lastNames) + " " + b.of([]string{"LLC", "Ltd", "GmbH", "Inc."})
	}
	if b.rng.IntN(5) == 0 {
		c.storeCredit = v3Money(b.money(5, 50))
	}
	for range 1 + b.rng.IntN(2) {
		b.newCustomerAddress(c)
	}
	d.customers[c.ID] = c
	return c
}

func (b *builder) newCustomerAddress(c *customer) *customerAddress {
	d := b.d
	city := cities[b.rng.IntN(len(cities))]
	a := &customerAddress{ID: d.newID("customer_address"), CustomerID: c.ID, FirstName: c.FirstName, LastName: c.LastName,
		Company: c.Company, Address1: fmt.Sprintf("%d %s", 1+b.rng.IntN(2000), b.of(streets)), City: city.city,
		StateOrProvince: city.state, PostalCode: city.zip, Country: city.country, CountryCode: city.iso2,
		Phone: c.Phone, AddressType: "residential"}
	if c.Company != "" {
		a.AddressType = "commercial"
	}
	d.custAddrs[a.ID] = a
	c.AddressCount++
	return a
}

func (b *builder) newSubscriber(t time.Time) *subscriber {
	d := b.d
	first, last := b.of(firstNames), b.of(lastNames)
	s := &subscriber{ID: d.newID("subscriber"), FirstName: first, LastName: last,
		Email:  strings.ToLower(fmt.Sprintf("%s%d@example.net", first, d.next["subscriber"])),
		Source: b.of([]string{"storefront", "order", "custom"}), ChannelID: 1, DateCreated: v3Time(t), DateModified: v3Time(t),
		Consents: []any{}}
	d.subscribers[s.ID] = s
	return s
}

// newOrder places an order for customerID (0: a guest) with n lines,
// status Awaiting Fulfillment, paid by card.
func (b *builder) newOrder(customerID int, t time.Time, n int) *order {
	d := b.d
	o := &order{ID: d.newID("order"), CustomerID: customerID, DateCreated: v2Time(t), DateModified: v2Time(t),
		PaymentMethod: "Credit Card", PaymentStatus: "captured", CurrencyCode: "USD", ChannelID: 1,
		CartID: b.uuid(), OrderSource: "www", IPAddress: fmt.Sprintf("198.51.100.%d", b.rng.IntN(255))}
	o.Products = v2Resource{URL: fmt.Sprintf("https://api.bigcommerce.com/stores/%s/v2/orders/%d/products", d.hash, o.ID), Resource: fmt.Sprintf("/orders/%d/products", o.ID)}
	o.ShippingAddresses = v2Resource{URL: fmt.Sprintf("https://api.bigcommerce.com/stores/%s/v2/orders/%d/shipping_addresses", d.hash, o.ID), Resource: fmt.Sprintf("/orders/%d/shipping_addresses", o.ID)}
	o.Coupons = v2Resource{URL: fmt.Sprintf("https://api.bigcommerce.com/stores/%s/v2/orders/%d/coupons", d.hash, o.ID), Resource: fmt.Sprintf("/orders/%d/coupons", o.ID)}
	first, last, email, phone := "Guest", b.of(lastNames), "guest"+strconv.Itoa(o.ID)+"@example.org", b.phone()
	city := cities[b.rng.IntN(len(cities))]
	street := fmt.Sprintf("%d %s", 1+b.rng.IntN(2000), b.of(streets))
	if c := d.customers[customerID]; c != nil {
		first, last, email, phone = c.FirstName, c.LastName, c.Email, c.Phone
		for _, aid := range sortedKeys(d.custAddrs) {
			if a := d.custAddrs[aid]; a.CustomerID == c.ID {
				street = a.Address1
				break
			}
		}
	}
	o.BillingAddress = v2Address{FirstName: first, LastName: last, Street1: street, City: city.city, State: city.state,
		Zip: city.zip, Country: city.country, CountryISO2: city.iso2, Phone: phone, Email: email}
	c := carriers[b.rng.IntN(len(carriers))]
	ship := v2Money(0)
	if c.provider != "" {
		ship = v2Money(b.money(5, 15))
	}
	addr := &orderAddress{ID: d.newID("order_address"), OrderID: o.ID, v2Address: o.BillingAddress, ShippingMethod: c.method,
		BaseCost: ship, CostExTax: ship, CostIncTax: ship, ShippingZoneID: 1, ShippingZoneName: city.country}
	o.shipTo = append(o.shipTo, addr)
	o.BaseShippingCost, o.ShippingCostExTax, o.ShippingCostIncTax = ship, ship, ship
	pids := sortedKeys(d.products)
	for range n {
		p := d.products[b.pick(pids)]
		if p == nil {
			break
		}
		b.addOrderLine(o, p.variants[b.rng.IntN(len(p.variants))], 1+b.rng.IntN(3))
	}
	o.setStatus(11)
	d.orders[o.ID] = o
	return o
}

// addOrderLine adds q of variant v to o.
func (b *builder) addOrderLine(o *order, v *variant, q int) *orderProduct {
	d := b.d
	p := d.products[v.ProductID]
	price := v2Money(p.Price)
	if v.Price != nil {
		price = v2Money(*v.Price)
	}
	op := &orderProduct{ID: d.newID("order_product"), OrderID: o.ID, ProductID: p.ID, VariantID: v.ID,
		OrderAddressID: o.shipTo[0].ID, Name: p.Name, SKU: v.SKU, Type: "physical", BasePrice: price, PriceExTax: price,
		PriceIncTax: price, TotalExTax: price * v2Money(q), TotalIncTax: price * v2Money(q), Quantity: q, ProductOptions: []any{}}
	o.items = append(o.items, op)
	p.TotalSold += q
	o.recalc()
	return op
}

// recalc recomputes an order's totals from its lines.
func (o *order) recalc() {
	var sub v2Money
	items := 0
	for _, it := range o.items {
		sub += it.TotalExTax
		items += it.Quantity
	}
	for _, a := range o.shipTo {
		a.ItemsTotal = items
	}
	o.SubtotalExTax, o.SubtotalIncTax = sub, sub
	o.ItemsTotal = items
	tax := (sub - o.CouponDiscount) * 8 / 100
	o.TotalTax, o.SubtotalTax = tax, tax
	o.TotalExTax = sub - o.CouponDiscount + o.ShippingCostExTax
	o.TotalIncTax = o.TotalExTax + tax
}

func (o *order) setStatus(id int) {
	o.StatusID, o.Status = id, orderStatuses[id]
}

// seedOrderHistory moves a seeded order along: payment, coupons,
// shipment, messages, refunds. rich gives it every sub-resource, so that
// at least one order exercises each order enrichment call.
func (b *builder) seedOrderHistory(o *order, rich bool) {
	t := time.Time(o.DateCreated)
	if rich || b.rng.IntN(10) < 3 {
		b.addCoupon(o)
	}
	if !rich && b.rng.IntN(10) == 0 {
		o.setStatus(7) // awaiting payment: no transaction yet
		o.PaymentStatus = "pending"
		return
	}
	b.addTransaction(o, "purchase", o.TotalIncTax, t.Add(time.Minute))
	roll := b.rng.IntN(10)
	if rich || roll < 6 {
		b.addShipment(o, t.Add(time.Duration(1+b.rng.IntN(72))*time.Hour))
	}
	if rich || roll < 3 {
		o.setStatus(10)
	}
	if rich || b.rng.IntN(5) == 0 {
		b.addMessage(o, t.Add(2*time.Hour))
	}
	if rich || b.rng.IntN(12) == 0 {
		b.addRefund(o, t.Add(96*time.Hour))
	}
	if !rich && b.rng.IntN(25) == 0 {
		o.setStatus(5)
	}
}

func (b *builder) addCoupon(o *order) *orderCoupon {
	d := b.d
	off := o.SubtotalExTax / 10
	c := &orderCoupon{ID: d.newID("order_coupon"), CouponID: 1 + b.rng.IntN(d.next["coupon"]), OrderID: o.ID,
		Code:   strings.ToUpper(b.of([]string{"welcome", "spring", "vip", "freeship"})) + strconv.Itoa(10+b.rng.IntN(20)),
		Amount: 10, Type: 1, Discount: off}
	o.coupons = append(o.coupons, c)
	o.CouponDiscount += off
	o.recalc()
	return c
}

func (b *builder) addTransaction(o *order, event string, amount v2Money, t time.Time) *transaction {
	d := b.d
	x := &transaction{ID: d.newID("transaction"), OrderID: strconv.Itoa(o.ID), Event: event, Method: "credit_card",
		Amount: v3Money(amount), Currency: o.CurrencyCode, Gateway: "stripe", GatewayTransactionID: "ch_" + b.hex(12),
		DateCreated: v3Time(t), Status: "ok", PaymentMethodID: "stripe.card",
		AVSResult:  codeResult{Code: "Y", Message: "Street address and 5-digit postal code match"},
		CVVResult:  codeResult{Code: "M", Message: "CVV2 match"},
		CreditCard: creditCard{CardType: b.of([]string{"visa", "mastercard", "amex"}), CardIIN: "411111", CardLast4: fmt.Sprintf("%04d", b.rng.IntN(10_000)), CardExpiryMonth: 1 + b.rng.IntN(12), CardExpiryYear: 2027 + b.rng.IntN(4)}}
	o.txns = append(o.txns, x)
	return x
}

// addShipment ships every line of o.
func (b *builder) addShipment(o *order, t time.Time) *shipment {
	d := b.d
	c := carriers[b.rng.IntN(len(carriers)-1)]
	s := &shipment{ID: d.newID("shipment"), OrderID: o.ID, CustomerID: o.CustomerID, OrderAddressID: o.shipTo[0].ID,
		DateCreated: v2Time(t), TrackingNumber: "1Z" + strings.ToUpper(b.hex(8)), ShippingMethod: c.method,
		ShippingProvider: c.provider, TrackingCarrier: c.carrier, BillingAddress: o.BillingAddress, ShippingAddress: o.shipTo[0].v2Address}
	for _, it := range o.items {
		s.Items = append(s.Items, shipmentItem{OrderProductID: it.ID, ProductID: it.ProductID, Quantity: it.Quantity - it.QuantityShipped})
		it.QuantityShipped = it.Quantity
	}
	o.shipments = append(o.shipments, s)
	o.ItemsShipped = o.ItemsTotal
	o.shipTo[0].ItemsShipped = o.ItemsTotal
	o.DateShipped, o.DateModified = v2Time(t), v2Time(t)
	o.setStatus(2)
	d.shipments[s.ID] = s
	return s
}

func (b *builder) addMessage(o *order, t time.Time) *orderMessage {
	m := &orderMessage{ID: b.d.newID("message"), OrderID: o.ID, CustomerID: o.CustomerID, Type: "customer",
		Subject: "Question about my order", Message: b.of([]string{"Can you ship this before Friday?", "Please leave the parcel at the back door.", "Is gift wrapping available?"}),
		Status: "unread", DateCreated: v2Time(t)}
	o.messages = append(o.messages, m)
	return m
}

// addRefund refunds the first line of o.
func (b *builder) addRefund(o *order, t time.Time) *refund {
	d := b.d
	it := o.items[0]
	amt := v3Money(it.PriceIncTax)
	r := &refund{ID: d.newID("refund"), OrderID: o.ID, UserID: 1, Created: v3Time(t), Reason: "Damaged in transit",
		TotalAmount: amt, Payments: []refundPayment{{ID: d.newID("refund_payment"), ProviderID: "stripe", Amount: amt}},
		Items: []refundItem{{ItemType: "PRODUCT", ItemID: it.ID, Quantity: 1, RequestedAmount: amt, Reason: "Damaged in transit"}}}
	o.refunds = append(o.refunds, r)
	it.QuantityRefunded++
	o.RefundedAmount += v2Money(amt)
	o.setStatus(14)
	o.PaymentStatus = "partially refunded"
	d.refunds[r.ID] = r
	b.addTransaction(o, "refund", v2Money(amt), t)
	return r
}

// newCart creates a cart of n lines on channel 1, for a customer most of
// the time.
func (b *builder) newCart(t time.Time, n int) *cart {
	d := b.d
	c := &cart{ID: b.uuid(), ChannelID: 1, Currency: currency{"USD"}, Coupons: []any{}, Discounts: []any{},
		CreatedTime: v3Time(t), UpdatedTime: v3Time(t), Locale: "en",
		LineItems: lineItems{PhysicalItems: []*lineItem{}, DigitalItems: []*lineItem{}, GiftCertificates: []any{}, CustomItems: []any{}}}
	if b.rng.IntN(3) > 0 {
		if cu := d.customers[b.pick(sortedKeys(d.customers))]; cu != nil {
			c.CustomerID, c.Email = cu.ID, cu.Email
		}
	}
	for range n {
		b.addLineItem(c)
	}
	d.carts[c.ID] = c
	return c
}

// addLineItem adds a random product to c (or bumps its quantity when the
// variant is already in the cart) and returns the line.
func (b *builder) addLineItem(c *cart) *lineItem {
	d := b.d
	p := d.products[b.pick(sortedKeys(d.products))]
	if p == nil {
		return nil
	}
	v := p.variants[b.rng.IntN(len(p.variants))]
	for _, li := range c.LineItems.PhysicalItems {
		if li.VariantID == v.ID {
			li.Quantity++
			c.recalc()
			return li
		}
	}
	price := p.Price
	li := &lineItem{ID: b.uuid(), VariantID: v.ID, ProductID: p.ID, SKU: v.SKU, Name: p.Name, Quantity: 1 + b.rng.IntN(2),
		URL: "https://store-" + d.hash + ".mybigcommerce.com" + p.CustomURL.URL, IsTaxable: true, Discounts: []any{}, Coupons: []any{},
		OriginalPrice: price, ListPrice: price, SalePrice: price, IsRequireShipping: true, IsMutable: true}
	if len(p.images) > 0 {
		li.ImageURL = p.images[0].URLThumbnail
	}
	for _, ov := range v.OptionValues {
		li.Options = append(li.Options, lineOption{Name: ov.OptionDisplayName, NameID: ov.OptionID, Value: ov.Label, ValueID: ov.ID})
	}
	c.LineItems.PhysicalItems = append(c.LineItems.PhysicalItems, li)
	c.recalc()
	return li
}

func (c *cart) recalc() {
	var sum v3Money
	for _, li := range c.LineItems.PhysicalItems {
		li.ExtendedListPrice = li.ListPrice * v3Money(li.Quantity)
		li.ExtendedSalePrice = li.SalePrice * v3Money(li.Quantity)
		sum += li.ExtendedSalePrice
	}
	c.BaseAmount, c.CartAmount = sum, sum-c.DiscountAmount
}
