package bctest

// registerRoutes lists every endpoint the simulator serves: each REST
// path the scope catalog's enrichment calls use (TestCatalogEnrichCoverage
// keeps the two in step), the batch list endpoints (id:in) for products,
// customers, categories and brands, and a few neighbours a client is
// likely to call. All are GET.
//
// Webhook management (REST POST/PUT/DELETE /v3/hooks, GET /v3/hooks and
// /v3/hooks/admin, and the GraphQL Admin webhook operations at POST
// /graphql) is served by serveWebhooks (webhooks_api.go), which ServeHTTP
// consults before these GET routes.
func (sim *Simulator) registerRoutes() {
	// Orders (V2), with their V3 transactions, refunds and metafields.
	sim.get("/v2/orders/{id}", getOrder)
	sim.get("/v2/orders/{id}/products", getOrderProducts)
	sim.get("/v2/orders/{id}/shipping_addresses", getOrderShippingAddresses)
	sim.get("/v2/orders/{id}/coupons", getOrderCoupons)
	sim.get("/v2/orders/{id}/shipments", getOrderShipments)
	sim.get("/v2/orders/{id}/shipments/{shipment_id}", getOrderShipment)
	sim.get("/v2/orders/{id}/messages", getOrderMessages)
	sim.get("/v2/order_statuses", getOrderStatuses)
	sim.get("/v3/orders/{id}/transactions", getOrderTransactions)
	sim.get("/v3/orders/{id}/payment_actions/refunds", getOrderRefunds)
	sim.get("/v3/orders/payment_actions/refunds", getRefunds)
	sim.get("/v3/orders/payment_actions/refunds/{refund_id}", getRefund)
	sim.get("/v3/orders/{id}/metafields", listMetafields("order"))
	sim.get("/v3/orders/{id}/metafields/{metafield_id}", getMetafield("order"))

	// Catalog.
	sim.get("/v3/catalog/products", getProducts)
	sim.get("/v3/catalog/products/{id}", getProduct)
	sim.get("/v3/catalog/products/{id}/variants", getProductVariants)
	sim.get("/v3/catalog/products/{id}/variants/{variant_id}", getProductVariant)
	sim.get("/v3/catalog/products/{id}/options/{option_id}", getProductOption)
	sim.get("/v3/catalog/products/{id}/modifiers/{modifier_id}", getProductModifier)
	sim.get("/v3/catalog/products/{id}/metafields", listMetafields("product"))
	sim.get("/v3/catalog/products/{id}/metafields/{metafield_id}", getMetafield("product"))
	sim.get("/v3/catalog/products/{id}/variants/{variant_id}/metafields", listMetafields("variant"))
	sim.get("/v3/catalog/products/{id}/variants/{variant_id}/metafields/{metafield_id}", getMetafield("variant"))
	sim.get("/v3/catalog/products/channel-assignments", getChannelAssignments)
	sim.get("/v3/catalog/products/category-assignments", getCategoryAssignments)
	sim.get("/v3/catalog/variants", getVariants)
	sim.get("/v3/catalog/categories", getCategories)
	sim.get("/v3/catalog/categories/{id}", getCategory)
	sim.get("/v3/catalog/categories/{id}/metafields", listMetafields("category"))
	sim.get("/v3/catalog/categories/{id}/metafields/{metafield_id}", getMetafield("category"))
	sim.get("/v3/catalog/trees", getTrees)
	sim.get("/v3/catalog/trees/categories", getTreeCategories)
	sim.get("/v3/catalog/trees/{tree_id}/categories", getTreeNodes)
	sim.get("/v3/catalog/brands", getBrands)
	sim.get("/v3/catalog/brands/{id}", getBrand)
	sim.get("/v3/catalog/brands/{id}/metafields", listMetafields("brand"))
	sim.get("/v3/catalog/brands/{id}/metafields/{metafield_id}", getMetafield("brand"))

	// Customers and subscribers.
	sim.get("/v3/customers", getCustomers)
	sim.get("/v3/customers/addresses", getCustomerAddresses)
	sim.get("/v3/customers/subscribers/{id}", getSubscriber)
	sim.get("/v3/customers/{id}/stored-instruments", getStoredInstruments)
	sim.get("/v3/customers/{id}/metafields", listMetafields("customer"))
	sim.get("/v3/customers/{id}/metafields/{metafield_id}", getMetafield("customer"))
	sim.get("/v3/customers/settings/channels/{channel_id}", getCustomerSettings)
	sim.get("/v2/customers/{id}", getV2Customer)
	sim.get("/v2/customers/{id}/addresses/{address_id}", getV2CustomerAddress)

	// Carts.
	sim.get("/v3/carts/{id}", getCart)
	sim.get("/v3/carts/{id}/metafields", listMetafields("cart"))
	sim.get("/v3/carts/{id}/metafields/{metafield_id}", getMetafield("cart"))
	sim.get("/v3/carts/settings/channels/{channel_id}", getCartSettings)
	sim.get("/v3/abandoned-carts/{token}", getAbandonedCart)
	sim.get("/v3/abandoned-carts/settings/channels/{channel_id}", getAbandonedCartSettings)

	// Channels, sites and storefront content.
	sim.get("/v3/channels", getChannels)
	sim.get("/v3/channels/{id}", getChannel)
	sim.get("/v3/channels/{id}/site", getChannelSite)
	sim.get("/v3/channels/{id}/active-theme", getActiveTheme)
	sim.get("/v3/channels/{id}/currency-assignments", getCurrencyAssignments)
	sim.get("/v3/channels/{id}/metafields", listMetafields("channel"))
	sim.get("/v3/channels/{id}/metafields/{metafield_id}", getMetafield("channel"))
	sim.get("/v3/sites/{id}", getSite)
	sim.get("/v3/sites/{id}/routes", getSiteRoutes)
	sim.get("/v3/content/pages/{id}", getPage)
	sim.get("/v3/content/scripts/{uuid}", getScript)
	sim.get("/v3/storefront/redirects", getRedirects)
	sim.get("/v3/themes/{uuid}/configurations", getThemeConfigurations)
	sim.get("/v3/marketing/email-templates/{type_id}", getEmailTemplate)
	for _, s := range channelSettings {
		sim.get(s.path, getSetting(s))
	}

	// Price lists.
	sim.get("/v3/pricelists", getPriceLists)
	sim.get("/v3/pricelists/assignments", getPriceListAssignments)
	sim.get("/v3/pricelists/{id}", getPriceList)
	sim.get("/v3/pricelists/{id}/records/{variant_id}/{currency}", getPriceRecord)

	// Inventory and locations.
	sim.get("/v3/inventory/items", getInventoryItems)
	sim.get("/v3/inventory/locations", getLocations)
	sim.get("/v3/inventory/locations/{id}/items", getLocationItems)
	sim.get("/v3/inventory/locations/{id}/metafields", listMetafields("location"))
	sim.get("/v3/inventory/locations/{id}/metafields/{metafield_id}", getMetafield("location"))

	// Store and webhooks.
	sim.get("/v2/store", getStoreInfo)
	sim.get("/v3/store/metafields/{metafield_id}", getMetafield("store"))
	sim.get("/v3/hooks/{id}", getHook)

	// B2B Edition, under /api/v3/io (store in X-Store-Hash).
	sim.getB2B("/companies/{id}", getCompany)
	sim.getB2B("/companies/{id}/super-admins", getCompanySuperAdmins)
	sim.getB2B("/users/{id}", getB2BUser)
	sim.getB2B("/users/customer/{customer_id}", getB2BUserByCustomer)
	sim.getB2B("/addresses/{id}", getCompanyAddress)
	sim.getB2B("/super-admins/info/{id}", getSuperAdmin)
	sim.getB2B("/super-admins/{id}/companies", getSuperAdminCompanies)
	sim.getB2B("/rfq/{id}", getQuote)
}
