package bctest

// Channels, sites, storefront content, webhooks, price lists, inventory,
// metafields and B2B Edition entities.

// --- channels, sites, content ---------------------------------------------

type channel struct {
	ID               int    `json:"id"`
	Name             string `json:"name"`
	ExternalID       string `json:"external_id"`
	Type             string `json:"type"`
	Platform         string `json:"platform"`
	IsListableFromUI bool   `json:"is_listable_from_ui"`
	IsVisible        bool   `json:"is_visible"`
	Status           string `json:"status"`
	IsEnabled        bool   `json:"is_enabled"`
	DateCreated      v3Time `json:"date_created"`
	DateModified     v3Time `json:"date_modified"`
	IconURL          string `json:"icon_url"`

	currencies []string
	site       int // 0 for channels without a storefront site
}

type site struct {
	ID                 int       `json:"id"`
	URL                string    `json:"url"`
	ChannelID          int       `json:"channel_id"`
	CreatedAt          v3Time    `json:"created_at"`
	UpdatedAt          v3Time    `json:"updated_at"`
	SSLStatus          string    `json:"ssl_status"`
	URLs               []siteURL `json:"urls"`
	IsCheckoutURLCusto bool      `json:"is_checkout_url_customized"`
}

type siteURL struct {
	URL       string `json:"url"`
	Type      string `json:"type"`
	CreatedAt v3Time `json:"created_at"`
	UpdatedAt v3Time `json:"updated_at"`
}

type page struct {
	ID              int    `json:"id"`
	ChannelID       int    `json:"channel_id"`
	Name            string `json:"name"`
	IsVisible       bool   `json:"is_visible"`
	ParentID        int    `json:"parent_id"`
	SortOrder       int    `json:"sort_order"`
	Type            string `json:"type"`
	IsHomepage      bool   `json:"is_homepage"`
	IsCustomersOnly bool   `json:"is_customers_only"`
	SearchKeywords  string `json:"search_keywords"`
	MetaKeywords    string `json:"meta_keywords"`
	MetaDescription string `json:"meta_description"`
	MetaTitle       string `json:"meta_title"`
	Body            string `json:"body"`
	URL             string `json:"url"`
}

type script struct {
	UUID            string `json:"uuid"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	HTML            string `json:"html"`
	Src             string `json:"src"`
	AutoUninstall   bool   `json:"auto_uninstall"`
	LoadMethod      string `json:"load_method"`
	Location        string `json:"location"`
	Visibility      string `json:"visibility"`
	Kind            string `json:"kind"`
	APIClientID     string `json:"api_client_id"`
	ConsentCategory string `json:"consent_category"`
	Enabled         bool   `json:"enabled"`
	ChannelID       int    `json:"channel_id"`
	DateCreated     v3Time `json:"date_created"`
	DateModified    v3Time `json:"date_modified"`
}

type redirect struct {
	ID       int            `json:"id"`
	SiteID   int            `json:"site_id"`
	FromPath string         `json:"from_path"`
	To       map[string]any `json:"to"`
	ToURL    string         `json:"to_url,omitempty"`
}

type themeConfig struct {
	UUID          string         `json:"uuid"`
	ChannelID     int            `json:"channel_id"`
	ThemeUUID     string         `json:"theme_uuid"`
	VariationUUID string         `json:"variation_uuid"`
	VersionUUID   string         `json:"version_uuid"`
	Settings      map[string]any `json:"settings"`
	DateCreated   v3Time         `json:"date_created"`
}

type hook struct {
	ID          int               `json:"id"`
	ClientID    string            `json:"client_id"`
	StoreHash   string            `json:"store_hash"`
	Scope       string            `json:"scope"`
	Destination string            `json:"destination"`
	IsActive    bool              `json:"is_active"`
	Headers     map[string]string `json:"headers"`
	CreatedAt   unixTime          `json:"created_at"`
	UpdatedAt   unixTime          `json:"updated_at"`
}

// --- price lists, inventory, metafields -------------------------------------

type priceList struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	DateCreated  v3Time `json:"date_created"`
	DateModified v3Time `json:"date_modified"`
	Active       bool   `json:"active"`
}

type priceRecord struct {
	PriceListID      int      `json:"price_list_id"`
	VariantID        int      `json:"variant_id"`
	Price            v3Money  `json:"price"`
	SalePrice        *v3Money `json:"sale_price"`
	RetailPrice      *v3Money `json:"retail_price"`
	MapPrice         *v3Money `json:"map_price"`
	CalculatedPrice  v3Money  `json:"calculated_price"`
	DateCreated      v3Time   `json:"date_created"`
	DateModified     v3Time   `json:"date_modified"`
	Currency         string   `json:"currency"`
	ProductID        int      `json:"product_id"`
	SKU              string   `json:"sku"`
	BulkPricingTiers []any    `json:"bulk_pricing_tiers"`
}

type priceListAssignment struct {
	ID              int `json:"id"`
	PriceListID     int `json:"price_list_id"`
	CustomerGroupID int `json:"customer_group_id"`
	ChannelID       int `json:"channel_id"`
}

type location struct {
	ID                      int             `json:"id"`
	Code                    string          `json:"code"`
	Label                   string          `json:"label"`
	Description             string          `json:"description"`
	ManagedByExternalSource bool            `json:"managed_by_external_source"`
	TypeID                  string          `json:"type_id"`
	Enabled                 bool            `json:"enabled"`
	TimeZone                string          `json:"time_zone"`
	Address                 locationAddress `json:"address"`
	StorefrontVisibility    bool            `json:"storefront_visibility"`
	SpecialHours            []any           `json:"special_hours"`
}

type locationAddress struct {
	Address1    string `json:"address1"`
	Address2    string `json:"address2"`
	City        string `json:"city"`
	State       string `json:"state"`
	Zip         string `json:"zip"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	CountryCode string `json:"country_code"`
	Geo         struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
	} `json:"geo_coordinates"`
}

type stockLevel struct {
	OnHand       int
	SafetyStock  int
	WarningLevel int
	BinPicking   string
}

type metafield struct {
	ID            int    `json:"id"`
	Key           string `json:"key"`
	Value         string `json:"value"`
	Namespace     string `json:"namespace"`
	PermissionSet string `json:"permission_set"`
	ResourceType  string `json:"resource_type"`
	// ResourceID is a number, or the cart UUID for cart metafields.
	ResourceID    any    `json:"resource_id"`
	Description   string `json:"description"`
	DateCreated   v3Time `json:"date_created"`
	DateModified  v3Time `json:"date_modified"`
	OwnerClientID string `json:"owner_client_id"`
}

// --- B2B Edition ----------------------------------------------------------

type company struct {
	CompanyID     int      `json:"companyId"`
	CompanyName   string   `json:"companyName"`
	CompanyStatus int      `json:"companyStatus"`
	BCGroupID     int      `json:"bcGroupId"`
	CompanyEmail  string   `json:"companyEmail"`
	CompanyPhone  string   `json:"companyPhone"`
	AddressLine1  string   `json:"addressLine1"`
	City          string   `json:"city"`
	State         string   `json:"state"`
	Country       string   `json:"country"`
	ZipCode       string   `json:"zipCode"`
	ChannelIDs    []int    `json:"channelIds"`
	ExtraFields   []any    `json:"extraFields"`
	CreatedAt     unixTime `json:"createdAt"`
	UpdatedAt     unixTime `json:"updatedAt"`

	admins []int
}

type b2bUser struct {
	ID          int      `json:"id"`
	CompanyID   int      `json:"companyId"`
	CustomerID  int      `json:"customerId"`
	FirstName   string   `json:"firstName"`
	LastName    string   `json:"lastName"`
	Email       string   `json:"email"`
	PhoneNumber string   `json:"phoneNumber"`
	Role        int      `json:"role"`
	UUID        string   `json:"uuid"`
	ChannelIDs  []int    `json:"channelIds"`
	CreatedAt   unixTime `json:"createdAt"`
	UpdatedAt   unixTime `json:"updatedAt"`
}

type companyAddress struct {
	AddressID         int      `json:"addressId"`
	CompanyID         int      `json:"companyId"`
	FirstName         string   `json:"firstName"`
	LastName          string   `json:"lastName"`
	AddressLine1      string   `json:"addressLine1"`
	AddressLine2      string   `json:"addressLine2"`
	City              string   `json:"city"`
	StateName         string   `json:"stateName"`
	CountryName       string   `json:"countryName"`
	CountryCode       string   `json:"countryCode"`
	ZipCode           string   `json:"zipCode"`
	PhoneNumber       string   `json:"phoneNumber"`
	IsBilling         bool     `json:"isBilling"`
	IsShipping        bool     `json:"isShipping"`
	IsDefaultBilling  bool     `json:"isDefaultBilling"`
	IsDefaultShipping bool     `json:"isDefaultShipping"`
	CreatedAt         unixTime `json:"createdAt"`
	UpdatedAt         unixTime `json:"updatedAt"`
}

type superAdmin struct {
	ID          int      `json:"id"`
	FirstName   string   `json:"firstName"`
	LastName    string   `json:"lastName"`
	Email       string   `json:"email"`
	PhoneNumber string   `json:"phoneNumber"`
	CreatedAt   unixTime `json:"createdAt"`
	UpdatedAt   unixTime `json:"updatedAt"`
}

type quote struct {
	QuoteID     int            `json:"quoteId"`
	QuoteNumber string         `json:"quoteNumber"`
	UUID        string         `json:"uuid"`
	QuoteTitle  string         `json:"quoteTitle"`
	Status      int            `json:"status"`
	CompanyID   int            `json:"companyId"`
	ContactInfo map[string]any `json:"contactInfo"`
	Currency    map[string]any `json:"currency"`
	Subtotal    v3Money        `json:"subtotal"`
	GrandTotal  v3Money        `json:"grandTotal"`
	ProductList []quoteProduct `json:"productList"`
	ExpiredAt   unixTime       `json:"expiredAt"`
	CreatedAt   unixTime       `json:"createdAt"`
	UpdatedAt   unixTime       `json:"updatedAt"`
}

type quoteProduct struct {
	ProductID    int     `json:"productId"`
	VariantID    int     `json:"variantId"`
	SKU          string  `json:"sku"`
	ProductName  string  `json:"productName"`
	Quantity     int     `json:"quantity"`
	BasePrice    v3Money `json:"basePrice"`
	OfferedPrice v3Money `json:"offeredPrice"`
}
