package bctest

// Catalog (V3), customers and carts.

// --- catalog (V3) ---------------------------------------------------------

type product struct {
	ID                    int       `json:"id"`
	Name                  string    `json:"name"`
	Type                  string    `json:"type"`
	SKU                   string    `json:"sku"`
	Description           string    `json:"description"`
	Weight                float64   `json:"weight"`
	Width                 float64   `json:"width"`
	Depth                 float64   `json:"depth"`
	Height                float64   `json:"height"`
	Price                 v3Money   `json:"price"`
	CostPrice             v3Money   `json:"cost_price"`
	RetailPrice           v3Money   `json:"retail_price"`
	SalePrice             v3Money   `json:"sale_price"`
	MapPrice              v3Money   `json:"map_price"`
	CalculatedPrice       v3Money   `json:"calculated_price"`
	TaxClassID            int       `json:"tax_class_id"`
	Categories            []int     `json:"categories"`
	BrandID               int       `json:"brand_id"`
	InventoryLevel        int       `json:"inventory_level"`
	InventoryWarningLevel int       `json:"inventory_warning_level"`
	InventoryTracking     string    `json:"inventory_tracking"`
	TotalSold             int       `json:"total_sold"`
	IsVisible             bool      `json:"is_visible"`
	IsFeatured            bool      `json:"is_featured"`
	Availability          string    `json:"availability"`
	Condition             string    `json:"condition"`
	UPC                   string    `json:"upc"`
	MPN                   string    `json:"mpn"`
	GTIN                  string    `json:"gtin"`
	SearchKeywords        string    `json:"search_keywords"`
	PageTitle             string    `json:"page_title"`
	MetaDescription       string    `json:"meta_description"`
	CustomURL             customURL `json:"custom_url"`
	BaseVariantID         *int      `json:"base_variant_id"`
	DateCreated           v3Time    `json:"date_created"`
	DateModified          v3Time    `json:"date_modified"`

	variants     []*variant
	images       []productImage
	customFields []customField
	options      []*productOption
	modifiers    []*productModifier
	bulkRules    []bulkRule
	channels     []int
}

type customURL struct {
	URL          string `json:"url"`
	IsCustomized bool   `json:"is_customized"`
}

type variant struct {
	ID                    int           `json:"id"`
	ProductID             int           `json:"product_id"`
	SKU                   string        `json:"sku"`
	SKUID                 *int          `json:"sku_id"`
	Price                 *v3Money      `json:"price"`
	CalculatedPrice       v3Money       `json:"calculated_price"`
	SalePrice             *v3Money      `json:"sale_price"`
	RetailPrice           *v3Money      `json:"retail_price"`
	MapPrice              *v3Money      `json:"map_price"`
	CostPrice             v3Money       `json:"cost_price"`
	Weight                *float64      `json:"weight"`
	IsFreeShipping        bool          `json:"is_free_shipping"`
	PurchasingDisabled    bool          `json:"purchasing_disabled"`
	ImageURL              string        `json:"image_url"`
	UPC                   string        `json:"upc"`
	MPN                   string        `json:"mpn"`
	GTIN                  string        `json:"gtin"`
	InventoryLevel        int           `json:"inventory_level"`
	InventoryWarningLevel int           `json:"inventory_warning_level"`
	BinPickingNumber      string        `json:"bin_picking_number"`
	OptionValues          []optionValue `json:"option_values"`
}

type optionValue struct {
	ID                int    `json:"id"`
	Label             string `json:"label"`
	OptionID          int    `json:"option_id"`
	OptionDisplayName string `json:"option_display_name"`
}

type productImage struct {
	ID           int    `json:"id"`
	ProductID    int    `json:"product_id"`
	IsThumbnail  bool   `json:"is_thumbnail"`
	SortOrder    int    `json:"sort_order"`
	Description  string `json:"description"`
	ImageFile    string `json:"image_file"`
	URLZoom      string `json:"url_zoom"`
	URLStandard  string `json:"url_standard"`
	URLThumbnail string `json:"url_thumbnail"`
	URLTiny      string `json:"url_tiny"`
	DateModified v3Time `json:"date_modified"`
}

type customField struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

type productOption struct {
	ID           int                  `json:"id"`
	ProductID    int                  `json:"product_id"`
	DisplayName  string               `json:"display_name"`
	Type         string               `json:"type"`
	SortOrder    int                  `json:"sort_order"`
	Config       map[string]any       `json:"config"`
	OptionValues []productOptionValue `json:"option_values"`
}

type productOptionValue struct {
	ID        int    `json:"id"`
	Label     string `json:"label"`
	SortOrder int    `json:"sort_order"`
	ValueData any    `json:"value_data"`
	IsDefault bool   `json:"is_default"`
}

type productModifier struct {
	ID           int                  `json:"id"`
	ProductID    int                  `json:"product_id"`
	Name         string               `json:"name"`
	DisplayName  string               `json:"display_name"`
	Type         string               `json:"type"`
	Required     bool                 `json:"required"`
	SortOrder    int                  `json:"sort_order"`
	Config       map[string]any       `json:"config"`
	OptionValues []productOptionValue `json:"option_values"`
}

type bulkRule struct {
	ID          int    `json:"id"`
	QuantityMin int    `json:"quantity_min"`
	QuantityMax int    `json:"quantity_max"`
	Type        string `json:"type"`
	Amount      int    `json:"amount"`
}

// category is the (deprecated) /v3/catalog/categories shape; treeCategory
// renders the category-trees shape.
type category struct {
	ID                 int       `json:"id"`
	ParentID           int       `json:"parent_id"`
	Name               string    `json:"name"`
	Description        string    `json:"description"`
	Views              int       `json:"views"`
	SortOrder          int       `json:"sort_order"`
	PageTitle          string    `json:"page_title"`
	SearchKeywords     string    `json:"search_keywords"`
	MetaKeywords       []string  `json:"meta_keywords"`
	MetaDescription    string    `json:"meta_description"`
	LayoutFile         string    `json:"layout_file"`
	IsVisible          bool      `json:"is_visible"`
	DefaultProductSort string    `json:"default_product_sort"`
	ImageURL           string    `json:"image_url"`
	CustomURL          customURL `json:"custom_url"`

	tree int
}

type treeCategory struct {
	CategoryID         int      `json:"category_id"`
	ParentID           int      `json:"parent_id"`
	TreeID             int      `json:"tree_id"`
	Name               string   `json:"name"`
	Description        string   `json:"description"`
	Views              int      `json:"views"`
	SortOrder          int      `json:"sort_order"`
	PageTitle          string   `json:"page_title"`
	SearchKeywords     string   `json:"search_keywords"`
	MetaKeywords       []string `json:"meta_keywords"`
	MetaDescription    string   `json:"meta_description"`
	LayoutFile         string   `json:"layout_file"`
	ImageURL           string   `json:"image_url"`
	IsVisible          bool     `json:"is_visible"`
	DefaultProductSort string   `json:"default_product_sort"`
	URL                struct {
		Path         string `json:"path"`
		IsCustomized bool   `json:"is_customized"`
	} `json:"url"`
}

type categoryTree struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	Channels []int  `json:"channels"`
}

type brand struct {
	ID              int       `json:"id"`
	Name            string    `json:"name"`
	PageTitle       string    `json:"page_title"`
	MetaKeywords    []string  `json:"meta_keywords"`
	MetaDescription string    `json:"meta_description"`
	ImageURL        string    `json:"image_url"`
	SearchKeywords  string    `json:"search_keywords"`
	CustomURL       customURL `json:"custom_url"`
}

// --- customers ------------------------------------------------------------

type customer struct {
	ID                    int    `json:"id"`
	Authentication        auth   `json:"authentication"`
	Company               string `json:"company"`
	CustomerGroupID       int    `json:"customer_group_id"`
	Email                 string `json:"email"`
	FirstName             string `json:"first_name"`
	LastName              string `json:"last_name"`
	Notes                 string `json:"notes"`
	Phone                 string `json:"phone"`
	RegistrationIPAddress string `json:"registration_ip_address"`
	TaxExemptCategory     string `json:"tax_exempt_category"`
	DateCreated           v3Time `json:"date_created"`
	DateModified          v3Time `json:"date_modified"`
	AcceptsMarketing      bool   `json:"accepts_product_review_abandoned_cart_emails"`
	OriginChannelID       int    `json:"origin_channel_id"`
	ChannelIDs            []int  `json:"channel_ids"`
	AddressCount          int    `json:"address_count"`
	AttributeCount        int    `json:"attribute_count"`

	storeCredit v3Money
	hasCard     bool
}

type auth struct {
	ForcePasswordReset bool `json:"force_password_reset"`
}

type customerAddress struct {
	ID              int    `json:"id"`
	CustomerID      int    `json:"customer_id"`
	FirstName       string `json:"first_name"`
	LastName        string `json:"last_name"`
	Company         string `json:"company"`
	Address1        string `json:"address1"`
	Address2        string `json:"address2"`
	City            string `json:"city"`
	StateOrProvince string `json:"state_or_province"`
	PostalCode      string `json:"postal_code"`
	Country         string `json:"country"`
	CountryCode     string `json:"country_code"`
	Phone           string `json:"phone"`
	AddressType     string `json:"address_type"`
}

type subscriber struct {
	ID           int    `json:"id"`
	Email        string `json:"email"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Source       string `json:"source"`
	OrderID      *int   `json:"order_id"`
	ChannelID    int    `json:"channel_id"`
	DateCreated  v3Time `json:"date_created"`
	DateModified v3Time `json:"date_modified"`
	Consents     []any  `json:"consents"`
}

// --- carts ----------------------------------------------------------------

type cart struct {
	ID             string    `json:"id"`
	CustomerID     int       `json:"customer_id"`
	ChannelID      int       `json:"channel_id"`
	Email          string    `json:"email"`
	Currency       currency  `json:"currency"`
	TaxIncluded    bool      `json:"tax_included"`
	BaseAmount     v3Money   `json:"base_amount"`
	DiscountAmount v3Money   `json:"discount_amount"`
	CartAmount     v3Money   `json:"cart_amount"`
	Coupons        []any     `json:"coupons"`
	Discounts      []any     `json:"discounts"`
	LineItems      lineItems `json:"line_items"`
	CreatedTime    v3Time    `json:"created_time"`
	UpdatedTime    v3Time    `json:"updated_time"`
	Locale         string    `json:"locale"`
}

type currency struct {
	Code string `json:"code"`
}

type lineItems struct {
	PhysicalItems    []*lineItem `json:"physical_items"`
	DigitalItems     []*lineItem `json:"digital_items"`
	GiftCertificates []any       `json:"gift_certificates"`
	CustomItems      []any       `json:"custom_items"`
}

type lineItem struct {
	ID                string       `json:"id"`
	ParentID          *string      `json:"parent_id"`
	VariantID         int          `json:"variant_id"`
	ProductID         int          `json:"product_id"`
	SKU               string       `json:"sku"`
	Name              string       `json:"name"`
	URL               string       `json:"url"`
	Quantity          int          `json:"quantity"`
	IsTaxable         bool         `json:"is_taxable"`
	ImageURL          string       `json:"image_url"`
	Discounts         []any        `json:"discounts"`
	Coupons           []any        `json:"coupons"`
	DiscountAmount    v3Money      `json:"discount_amount"`
	CouponAmount      v3Money      `json:"coupon_amount"`
	OriginalPrice     v3Money      `json:"original_price"`
	ListPrice         v3Money      `json:"list_price"`
	SalePrice         v3Money      `json:"sale_price"`
	ExtendedListPrice v3Money      `json:"extended_list_price"`
	ExtendedSalePrice v3Money      `json:"extended_sale_price"`
	IsRequireShipping bool         `json:"is_require_shipping"`
	IsMutable         bool         `json:"is_mutable"`
	Options           []lineOption `json:"options,omitempty"`
}

type lineOption struct {
	Name    string `json:"name"`
	NameID  int    `json:"nameId"`
	Value   string `json:"value"`
	ValueID int    `json:"valueId"`
}
