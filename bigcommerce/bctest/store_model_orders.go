package bctest

// Orders (V2) with their lines, shipping addresses, coupons, shipments
// and messages, and their V3 transactions and refunds.

// --- orders (V2, transactions and refunds V3) -----------------------------

type order struct {
	ID                 int        `json:"id"`
	CustomerID         int        `json:"customer_id"`
	DateCreated        v2Time     `json:"date_created"`
	DateModified       v2Time     `json:"date_modified"`
	DateShipped        v2Time     `json:"date_shipped"`
	StatusID           int        `json:"status_id"`
	Status             string     `json:"status"`
	SubtotalExTax      v2Money    `json:"subtotal_ex_tax"`
	SubtotalIncTax     v2Money    `json:"subtotal_inc_tax"`
	SubtotalTax        v2Money    `json:"subtotal_tax"`
	BaseShippingCost   v2Money    `json:"base_shipping_cost"`
	ShippingCostExTax  v2Money    `json:"shipping_cost_ex_tax"`
	ShippingCostIncTax v2Money    `json:"shipping_cost_inc_tax"`
	TotalExTax         v2Money    `json:"total_ex_tax"`
	TotalIncTax        v2Money    `json:"total_inc_tax"`
	TotalTax           v2Money    `json:"total_tax"`
	CouponDiscount     v2Money    `json:"coupon_discount"`
	ItemsTotal         int        `json:"items_total"`
	ItemsShipped       int        `json:"items_shipped"`
	PaymentMethod      string     `json:"payment_method"`
	PaymentStatus      string     `json:"payment_status"`
	RefundedAmount     v2Money    `json:"refunded_amount"`
	CurrencyCode       string     `json:"currency_code"`
	ChannelID          int        `json:"channel_id"`
	IsDeleted          bool       `json:"is_deleted"`
	CartID             string     `json:"cart_id"`
	OrderSource        string     `json:"order_source"`
	CustomerMessage    string     `json:"customer_message"`
	StaffNotes         string     `json:"staff_notes"`
	IPAddress          string     `json:"ip_address"`
	BillingAddress     v2Address  `json:"billing_address"`
	Products           v2Resource `json:"products"`
	ShippingAddresses  v2Resource `json:"shipping_addresses"`
	Coupons            v2Resource `json:"coupons"`

	items     []*orderProduct
	shipTo    []*orderAddress
	coupons   []*orderCoupon
	shipments []*shipment
	messages  []*orderMessage
	txns      []*transaction
	refunds   []*refund
}

// v2Resource is how V2 links an order's sub-resources.
type v2Resource struct {
	URL      string `json:"url"`
	Resource string `json:"resource"`
}

type v2Address struct {
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	Company     string `json:"company"`
	Street1     string `json:"street_1"`
	Street2     string `json:"street_2"`
	City        string `json:"city"`
	State       string `json:"state"`
	Zip         string `json:"zip"`
	Country     string `json:"country"`
	CountryISO2 string `json:"country_iso2"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
}

type orderProduct struct {
	ID               int     `json:"id"`
	OrderID          int     `json:"order_id"`
	ProductID        int     `json:"product_id"`
	VariantID        int     `json:"variant_id"`
	OrderAddressID   int     `json:"order_address_id"`
	Name             string  `json:"name"`
	SKU              string  `json:"sku"`
	Type             string  `json:"type"`
	BasePrice        v2Money `json:"base_price"`
	PriceExTax       v2Money `json:"price_ex_tax"`
	PriceIncTax      v2Money `json:"price_inc_tax"`
	PriceTax         v2Money `json:"price_tax"`
	TotalExTax       v2Money `json:"total_ex_tax"`
	TotalIncTax      v2Money `json:"total_inc_tax"`
	TotalTax         v2Money `json:"total_tax"`
	Quantity         int     `json:"quantity"`
	QuantityShipped  int     `json:"quantity_shipped"`
	QuantityRefunded int     `json:"quantity_refunded"`
	IsRefunded       bool    `json:"is_refunded"`
	ProductOptions   []any   `json:"product_options"`
}

type orderAddress struct {
	ID               int     `json:"id"`
	OrderID          int     `json:"order_id"`
	v2Address                // embedded: first_name … email
	ItemsTotal       int     `json:"items_total"`
	ItemsShipped     int     `json:"items_shipped"`
	ShippingMethod   string  `json:"shipping_method"`
	BaseCost         v2Money `json:"base_cost"`
	CostExTax        v2Money `json:"cost_ex_tax"`
	CostIncTax       v2Money `json:"cost_inc_tax"`
	CostTax          v2Money `json:"cost_tax"`
	ShippingZoneID   int     `json:"shipping_zone_id"`
	ShippingZoneName string  `json:"shipping_zone_name"`
}

type orderCoupon struct {
	ID       int     `json:"id"`
	CouponID int     `json:"coupon_id"`
	OrderID  int     `json:"order_id"`
	Code     string  `json:"code"`
	Amount   v2Money `json:"amount"`
	Type     int     `json:"type"`
	Discount v2Money `json:"discount"`
}

type shipment struct {
	ID               int            `json:"id"`
	OrderID          int            `json:"order_id"`
	CustomerID       int            `json:"customer_id"`
	OrderAddressID   int            `json:"order_address_id"`
	DateCreated      v2Time         `json:"date_created"`
	TrackingNumber   string         `json:"tracking_number"`
	ShippingMethod   string         `json:"shipping_method"`
	ShippingProvider string         `json:"shipping_provider"`
	TrackingCarrier  string         `json:"tracking_carrier"`
	TrackingLink     string         `json:"tracking_link"`
	Comments         string         `json:"comments"`
	BillingAddress   v2Address      `json:"billing_address"`
	ShippingAddress  v2Address      `json:"shipping_address"`
	Items            []shipmentItem `json:"items"`
}

type shipmentItem struct {
	OrderProductID int `json:"order_product_id"`
	ProductID      int `json:"product_id"`
	Quantity       int `json:"quantity"`
}

type orderMessage struct {
	ID          int    `json:"id"`
	OrderID     int    `json:"order_id"`
	StaffID     int    `json:"staff_id"`
	CustomerID  int    `json:"customer_id"`
	Type        string `json:"type"`
	Subject     string `json:"subject"`
	Message     string `json:"message"`
	Status      string `json:"status"`
	IsFlagged   bool   `json:"is_flagged"`
	DateCreated v2Time `json:"date_created"`
}

type transaction struct {
	ID                   int        `json:"id"`
	OrderID              string     `json:"order_id"`
	Event                string     `json:"event"`
	Method               string     `json:"method"`
	Amount               v3Money    `json:"amount"`
	Currency             string     `json:"currency"`
	Gateway              string     `json:"gateway"`
	GatewayTransactionID string     `json:"gateway_transaction_id"`
	DateCreated          v3Time     `json:"date_created"`
	Test                 bool       `json:"test"`
	Status               string     `json:"status"`
	FraudReview          bool       `json:"fraud_review"`
	ReferenceTxnID       *int       `json:"reference_transaction_id"`
	Offline              any        `json:"offline"`
	Custom               any        `json:"custom"`
	PaymentMethodID      string     `json:"payment_method_id"`
	AVSResult            codeResult `json:"avs_result"`
	CVVResult            codeResult `json:"cvv_result"`
	CreditCard           creditCard `json:"credit_card"`
}

type codeResult struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type creditCard struct {
	CardType        string `json:"card_type"`
	CardIIN         string `json:"card_iin"`
	CardLast4       string `json:"card_last4"`
	CardExpiryMonth int    `json:"card_expiry_month"`
	CardExpiryYear  int    `json:"card_expiry_year"`
}

type refund struct {
	ID                 int             `json:"id"`
	OrderID            int             `json:"order_id"`
	UserID             int             `json:"user_id"`
	Created            v3Time          `json:"created"`
	Reason             string          `json:"reason"`
	TotalAmount        v3Money         `json:"total_amount"`
	TotalTax           v3Money         `json:"total_tax"`
	UsesMerchantValues bool            `json:"uses_merchant_override_values"`
	Payments           []refundPayment `json:"payments"`
	Items              []refundItem    `json:"items"`
}

type refundPayment struct {
	ID              int     `json:"id"`
	ProviderID      string  `json:"provider_id"`
	Amount          v3Money `json:"amount"`
	Offline         bool    `json:"offline"`
	IsDeclined      bool    `json:"is_declined"`
	DeclinedMessage string  `json:"declined_message"`
}

type refundItem struct {
	ItemType        string  `json:"item_type"`
	ItemID          int     `json:"item_id"`
	Quantity        int     `json:"quantity"`
	RequestedAmount v3Money `json:"requested_amount"`
	Reason          string  `json:"reason"`
}
