package bctest

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// The entity types below are rendered with encoding/json, in the shapes
// of BigCommerce's responses (a plausible subset of each resource's
// fields). V2 resources use v2Money (decimal strings, "12.5000") and
// v2Time (RFC 1123 dates); V3 resources use numbers and RFC 3339 dates.
// Unexported fields hold relations and never reach the JSON.

// storeData is one store's entities; simStore.mu guards it.
type storeData struct {
	hash    string
	storeID int
	next    map[string]int // next ID per kind, see newID

	info storeInfo

	orders      map[int]*order
	shipments   map[int]*shipment
	refunds     map[int]*refund
	products    map[int]*product
	variants    map[int]*variant // by variant ID
	skus        map[int]*variant // by legacy SKU ID
	options     map[int]*productOption
	modifiers   map[int]*productModifier
	categories  map[int]*category
	trees       map[int]*categoryTree
	brands      map[int]*brand
	customers   map[int]*customer
	custAddrs   map[int]*customerAddress
	subscribers map[int]*subscriber
	carts       map[string]*cart
	abandoned   map[string]string // abandoned-cart token → cart ID
	channels    map[int]*channel
	sites       map[int]*site
	priceLists  map[int]*priceList
	records     map[recordKey]*priceRecord
	plAssign    []*priceListAssignment
	locations   map[int]*location
	stock       map[stockKey]*stockLevel
	metafields  map[int]*metafield
	pages       map[int]*page
	scripts     map[string]*script
	redirects   map[int]*redirect
	themeUUID   string
	themeConfs  map[string]*themeConfig
	hooks       map[int]*hook

	companies    map[int]*company
	b2bUsers     map[int]*b2bUser
	companyAddrs map[int]*companyAddress
	superAdmins  map[int]*superAdmin
	quotes       map[int]*quote
}

// newID returns the next ID of kind and advances it.
func (d *storeData) newID(kind string) int {
	id := d.next[kind]
	d.next[kind] = id + 1
	return id
}

// unusedID returns an ID of kind that no entity has and newID will not
// return soon: for events about deleted entities.
func (d *storeData) unusedID(kind string) int { return d.next[kind] + 100_000 }

// sortedKeys returns m's keys in order; listings and random picks use it
// so that results do not depend on map iteration order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

type recordKey struct {
	list, variant int
	currency      string
}

type stockKey struct{ location, variant int }

// --- scalar encodings ---------------------------------------------------

// v2Money is an amount in cents, encoded as V2 does: "12.5000".
type v2Money int64

func (m v2Money) MarshalJSON() ([]byte, error) {
	b := []byte{'"'}
	v := int64(m)
	if v < 0 {
		b, v = append(b, '-'), -v
	}
	b = strconv.AppendInt(b, v/100, 10)
	b = append(b, '.', byte('0'+v%100/10), byte('0'+v%10), '0', '0', '"')
	return b, nil
}

// v3Money is an amount in cents, encoded as a JSON number: 12.5.
type v3Money int64

func (m v3Money) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(m)/100, 'f', -1, 64), nil
}

// v2Time encodes as V2 dates do, "Tue, 20 Nov 2012 00:00:00 +0000"; the
// zero time as "".
type v2Time time.Time

func (t v2Time) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte(`""`), nil
	}
	return strconv.AppendQuote(nil, time.Time(t).UTC().Format(time.RFC1123Z)), nil
}

// v3Time encodes as V3 dates do, "2018-05-07T20:14:17+00:00".
type v3Time time.Time

func (t v3Time) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, time.Time(t).UTC().Format("2006-01-02T15:04:05-07:00")), nil
}

// unixTime encodes as Unix seconds (hooks, B2B Edition).
type unixTime time.Time

func (t unixTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, time.Time(t).Unix(), 10), nil
}

// --- store ----------------------------------------------------------------

// storeInfo is GET /v2/store.
type storeInfo struct {
	ID                   string   `json:"id"`
	AccountUUID          string   `json:"account_uuid"`
	Domain               string   `json:"domain"`
	SecureURL            string   `json:"secure_url"`
	ControlPanelBaseURL  string   `json:"control_panel_base_url"`
	Status               string   `json:"status"`
	Name                 string   `json:"name"`
	FirstName            string   `json:"first_name"`
	LastName             string   `json:"last_name"`
	Address              string   `json:"address"`
	Country              string   `json:"country"`
	CountryCode          string   `json:"country_code"`
	Phone                string   `json:"phone"`
	AdminEmail           string   `json:"admin_email"`
	OrderEmail           string   `json:"order_email"`
	Timezone             timezone `json:"timezone"`
	Language             string   `json:"language"`
	Currency             string   `json:"currency"`
	CurrencySymbol       string   `json:"currency_symbol"`
	DecimalSeparator     string   `json:"decimal_separator"`
	ThousandsSeparator   string   `json:"thousands_separator"`
	DecimalPlaces        int      `json:"decimal_places"`
	WeightUnits          string   `json:"weight_units"`
	DimensionUnits       string   `json:"dimension_units"`
	PlanName             string   `json:"plan_name"`
	PlanLevel            string   `json:"plan_level"`
	PlanIsTrial          bool     `json:"plan_is_trial"`
	Industry             string   `json:"industry"`
	IsPriceEnteredWithTx bool     `json:"is_price_entered_with_tax"`
	StoreID              int      `json:"store_id"`
	DefaultSiteID        int      `json:"default_site_id"`
	DefaultChannelID     int      `json:"default_channel_id"`
}

type timezone struct {
	Name       string `json:"name"`
	RawOffset  int    `json:"raw_offset"`
	DSTOffset  int    `json:"dst_offset"`
	DateFormat struct {
		Display  string `json:"display"`
		Export   string `json:"export"`
		Extended string `json:"extended_display"`
	} `json:"date_format"`
}
