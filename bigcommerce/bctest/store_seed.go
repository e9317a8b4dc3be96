package bctest

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// seedEpoch is the "now" of seeded data: entities are dated in the months
// before it, so a store's data depends only on the seed and its hash.
var seedEpoch = time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)

// builder makes entities for one store; seeding and changes share it.
// The caller holds the store's lock.
type builder struct {
	d   *storeData
	rng *rand.Rand
}

// seedStore returns the seeded entities of store c.
func seedStore(c StoreConfig, seed int64) *storeData {
	rng := rand.New(rand.NewPCG(uint64(seed), hashSeed(c.Hash, 0)))
	id, _ := strconv.Atoi(c.ID)
	d := &storeData{
		hash: c.Hash, storeID: id,
		next: map[string]int{
			"order": 100 + rng.IntN(9_000), "order_product": 1 + rng.IntN(90_000),
			"order_address": 1 + rng.IntN(9_000), "coupon": 1 + rng.IntN(60),
			"order_coupon": 1 + rng.IntN(900), "shipment": 1 + rng.IntN(4_000),
			"message": 1 + rng.IntN(2_000), "transaction": 1 + rng.IntN(90_000),
			"refund": 1 + rng.IntN(900), "refund_payment": 1 + rng.IntN(900), "product": 77 + rng.IntN(500),
			"variant": 300 + rng.IntN(2_000), "sku": 500 + rng.IntN(2_000),
			"option": 100 + rng.IntN(300), "option_value": 60 + rng.IntN(400),
			"modifier": 400 + rng.IntN(300), "image": 200 + rng.IntN(900),
			"custom_field": 1 + rng.IntN(300), "bulk_rule": 1 + rng.IntN(100),
			"category": 18 + rng.IntN(60), "tree": 1, "brand": 30 + rng.IntN(40),
			"customer": 1 + rng.IntN(3_000), "customer_address": 1 + rng.IntN(4_000),
			"subscriber": 1 + rng.IntN(3_000), "channel": 1, "site": 1000,
			"price_list": 1, "assignment": 1, "location": 1,
			"metafield": 1 + rng.IntN(3_000), "page": 1 + rng.IntN(20),
			"redirect": 1 + rng.IntN(200), "hook": 880_000 + rng.IntN(200),
			"company": 1 + rng.IntN(900), "b2b_user": 1_000 + rng.IntN(9_000),
			"company_address": 1 + rng.IntN(900), "super_admin": 1 + rng.IntN(300),
			"quote": 1 + rng.IntN(900),
		},
		orders: map[int]*order{}, shipments: map[int]*shipment{}, refunds: map[int]*refund{},
		products: map[int]*product{}, variants: map[int]*variant{}, skus: map[int]*variant{},
		options: map[int]*productOption{}, modifiers: map[int]*productModifier{},
		categories: map[int]*category{}, trees: map[int]*categoryTree{}, brands: map[int]*brand{},
		customers: map[int]*customer{}, custAddrs: map[int]*customerAddress{},
		subscribers: map[int]*subscriber{}, carts: map[string]*cart{}, abandoned: map[string]string{},
		channels: map[int]*channel{}, sites: map[int]*site{}, priceLists: map[int]*priceList{},
		records: map[recordKey]*priceRecord{}, locations: map[int]*location{},
		stock: map[stockKey]*stockLevel{}, metafields: map[int]*metafield{},
		pages: map[int]*page{}, scripts: map[string]*script{}, redirects: map[int]*redirect{},
		themeConfs: map[string]*themeConfig{}, hooks: map[int]*hook{},
		companies: map[int]*company{}, b2bUsers: map[int]*b2bUser{},
		companyAddrs: map[int]*companyAddress{}, superAdmins: map[int]*superAdmin{},
		quotes: map[int]*quote{},
	}
	b := &builder{d: d, rng: rng}
	n := func(k int) int { return k * c.Scale }

	b.storeInfo()
	b.channelsAndSites()
	b.categories(n(12))
	for range 6 {
		b.newBrand()
	}
	for range 3 {
		b.newLocation()
	}
	for range n(40) {
		b.newProduct(b.past(200))
	}
	b.priceLists()
	for range n(30) {
		b.newCustomer(b.past(300))
	}
	for range n(20) {
		b.newSubscriber(b.past(200))
	}
	for i := range n(60) {
		o := b.newOrder(b.pick(sortedKeys(d.customers)), b.past(120), 1+b.rng.IntN(3))
		b.seedOrderHistory(o, i == 0)
	}
	for i := range n(10) {
		c := b.newCart(b.past(2), 1+b.rng.IntN(3))
		if i%3 == 0 {
			d.abandoned[b.hex(16)] = c.ID
		}
	}
	b.content()
	b.seedMetafields()
	b.b2b()
	return d
}

// past returns a seeded time up to days before seedEpoch.
func (b *builder) past(days int) time.Time {
	return seedEpoch.Add(-time.Duration(b.rng.Int64N(int64(days) * int64(24*time.Hour)))).Truncate(time.Second)
}

func (b *builder) pick(ids []int) int {
	if len(ids) == 0 {
		return 0
	}
	return ids[b.rng.IntN(len(ids))]
}

func (b *builder) hex(n int) string {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(b.rng.Uint32())
	}
	return hex.EncodeToString(p)
}

// uuid returns a random version-4 UUID, as carts, line items, scripts and
// themes use.
func (b *builder) uuid() string {
	var u [16]byte
	for i := range u {
		u[i] = byte(b.rng.Uint32())
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (b *builder) of(list []string) string { return list[b.rng.IntN(len(list))] }

// money returns a price between lo and hi dollars, in cents, ending in
// .00, .50, .95 or .99.
func (b *builder) money(lo, hi int) int64 {
	return int64(lo+b.rng.IntN(hi-lo+1))*100 + []int64{0, 50, 95, 99}[b.rng.IntN(4)]
}

var (
	firstNames = []string{"Ava", "Liam", "Noah", "Emma", "Mia", "Lucas", "Zoe", "Ethan", "Aria", "Omar", "Priya", "Mateo", "Chloe", "Kenji", "Sofia", "Jonas"}
	lastNames  = []string{"Smith", "Garcia", "Chen", "Patel", "Müller", "Okafor", "Rossi", "Nguyen", "Kowalski", "Silva", "Brown", "Haddad", "Tanaka", "Novak"}
	adjectives = []string{"Classic", "Organic", "Vintage", "Ultra", "Everyday", "Premium", "Rugged", "Slim", "Cozy", "Bold", "Smart", "Eco"}
	nouns      = []string{"Tee", "Hoodie", "Backpack", "Water Bottle", "Mug", "Sneakers", "Desk Lamp", "Notebook", "Beanie", "Candle", "Headphones", "Yoga Mat", "Throw Pillow", "Sunglasses"}
	catNames   = []string{"Apparel", "Home", "Accessories", "Outdoor", "Kitchen", "Office", "Shoes", "Bags", "Sale", "New Arrivals", "Gifts", "Audio", "Fitness", "Decor"}
	brandNames = []string{"Northwind", "Acme Goods", "Bluebird", "Trailhead", "Common Thread", "Lumen & Co", "Oak Street"}
	cities     = []struct{ city, state, zip, country, iso2 string }{
		{"Austin", "Texas", "78701", "United States", "US"}, {"Portland", "Oregon", "97205", "United States", "US"},
		{"Chicago", "Illinois", "60601", "United States", "US"}, {"Toronto", "Ontario", "M5V 2T6", "Canada", "CA"},
		{"Manchester", "Greater Manchester", "M1 1AE", "United Kingdom", "GB"}, {"Lyon", "Auvergne-Rhône-Alpes", "69002", "France", "FR"},
	}
	streets  = []string{"Main St", "Oak Ave", "Market St", "Elm St", "King St W", "Rue de la République", "High St"}
	sizes    = []string{"S", "M", "L", "XL"}
	colors   = []string{"Black", "Navy", "Sand", "Forest", "Red"}
	carriers = []struct{ provider, carrier, method string }{
		{"ups", "ups", "UPS Ground"}, {"usps", "usps", "USPS Priority Mail"}, {"fedex", "fedex", "FedEx Home Delivery"}, {"", "", "Free Shipping"},
	}
)

var orderStatuses = []string{
	0: "Incomplete", 1: "Pending", 2: "Shipped", 3: "Partially Shipped", 4: "Refunded",
	5: "Cancelled", 6: "Declined", 7: "Awaiting Payment", 8: "Awaiting Pickup", 9: "Awaiting Shipment",
	10: "Completed", 11: "Awaiting Fulfillment", 12: "Manual Verification Required", 13: "Disputed",
	14: "Partially Refunded",
}

func (b *builder) storeInfo() {
	d := b.d
	name := b.of(adjectives) + " " + b.of(nouns) + " Co."
	city := cities[b.rng.IntN(len(cities))]
	d.info = storeInfo{
		ID: d.hash, AccountUUID: b.uuid(), Domain: "store-" + d.hash + ".mybigcommerce.com",
		SecureURL: "https://store-" + d.hash + ".mybigcommerce.com", ControlPanelBaseURL: "https://store-" + d.hash + ".mybigcommerce.com",
		Status: "live", Name: name, FirstName: b.of(firstNames), LastName: b.of(lastNames),
		Address: fmt.Sprintf("%d %s, %s", 10+b.rng.IntN(900), b.of(streets), city.city), Country: city.country, CountryCode: city.iso2,
		Phone: b.phone(), AdminEmail: "admin@" + d.hash + ".example.com", OrderEmail: "orders@" + d.hash + ".example.com",
		Language: "en", Currency: "USD", CurrencySymbol: "$", DecimalSeparator: ".", ThousandsSeparator: ",",
		DecimalPlaces: 2, WeightUnits: "LBS", DimensionUnits: "Inches", PlanName: "Standard", PlanLevel: "Standard",
		Industry: "Apparel & Clothing", StoreID: d.storeID, DefaultSiteID: 1000, DefaultChannelID: 1,
	}
	d.info.Timezone.Name = "America/Chicago"
	d.info.Timezone.RawOffset = -21600
	d.info.Timezone.DateFormat.Display = "M jS Y"
	d.info.Timezone.DateFormat.Export = "M jS Y"
	d.info.Timezone.DateFormat.Extended = "M jS Y @ g:i A"
}

func (b *builder) phone() string { return fmt.Sprintf("+1 512-555-%04d", b.rng.IntN(10_000)) }

func (b *builder) channelsAndSites() {
	d := b.d
	t := b.past(700)
	for _, c := range []channel{
		{Name: d.info.Name, Type: "storefront", Platform: "bigcommerce", currencies: []string{"USD", "EUR", "GBP", "CAD"}},
		{Name: "Wholesale", Type: "storefront", Platform: "bigcommerce", currencies: []string{"USD"}},
		{Name: "Amazon US", Type: "marketplace", Platform: "amazon", currencies: []string{"USD"}},
	} {
		ch := c
		ch.ID = d.newID("channel")
		ch.IsListableFromUI, ch.IsVisible, ch.IsEnabled, ch.Status = true, true, true, "active"
		ch.DateCreated, ch.DateModified = v3Time(t), v3Time(t)
		if ch.Type == "storefront" {
			s := &site{ID: d.newID("site"), ChannelID: ch.ID, CreatedAt: v3Time(t), UpdatedAt: v3Time(t), SSLStatus: "dedicated"}
			s.URL = "https://store-" + d.hash + ".mybigcommerce.com"
			if ch.ID > 1 {
				s.URL = fmt.Sprintf("https://b2b-%s.example.com", d.hash)
			}
			s.URLs = []siteURL{{URL: s.URL, Type: "primary", CreatedAt: v3Time(t), UpdatedAt: v3Time(t)}}
			d.sites[s.ID] = s
			ch.site = s.ID
		} else {
			ch.ExternalID = "A1" + strings.ToUpper(b.hex(6))
			ch.IconURL = "https://storage.googleapis.com/bigcommerce-production-dev-center/images/amazon-icon.svg"
		}
		d.channels[ch.ID] = &ch
	}
}
