package bctest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// channelParam returns the channel named by path parameter name, or by
// the channel_id query parameter when name is "?" (default 1, the default
// storefront); unknown channels are answered 404.
func (c *call) channelParam(name string) (*channel, bool) {
	s := c.param(name)
	if name == "?" {
		s = c.query().Get("channel_id")
		if s == "" {
			s = "1"
		}
	}
	id, err := strconv.Atoi(s)
	ch := c.d.channels[id]
	if err != nil || ch == nil {
		c.notFound(fmt.Sprintf("Channel %s not found", s))
		return nil, false
	}
	return ch, true
}

func getChannels(c *call) {
	out := []*channel{}
	for _, id := range sortedKeys(c.d.channels) {
		out = append(out, c.d.channels[id])
	}
	listV3(c, out)
}

func getChannel(c *call) {
	if ch, ok := c.channelParam("id"); ok {
		c.one(ch)
	}
}

func getChannelSite(c *call) {
	ch, ok := c.channelParam("id")
	if !ok {
		return
	}
	if s := c.d.sites[ch.site]; s != nil {
		c.one(s)
		return
	}
	c.notFound(fmt.Sprintf("Channel %d has no site", ch.ID))
}

func getActiveTheme(c *call) {
	ch, ok := c.channelParam("id")
	if !ok {
		return
	}
	for _, id := range sortedKeys(c.d.themeConfs) {
		if tc := c.d.themeConfs[id]; tc.ChannelID == ch.ID {
			c.one(map[string]any{"channel_id": ch.ID, "uuid": tc.ThemeUUID, "name": "Cornerstone",
				"variation_uuid": tc.VariationUUID, "version_uuid": tc.VersionUUID, "configuration_uuid": tc.UUID})
			return
		}
	}
	c.notFound(fmt.Sprintf("Channel %d has no active theme", ch.ID))
}

func getCurrencyAssignments(c *call) {
	if ch, ok := c.channelParam("id"); ok {
		c.one(map[string]any{"channel_id": ch.ID, "enabled_currencies": ch.currencies, "default_currency": ch.currencies[0]})
	}
}

func (c *call) site() (*site, bool) {
	id, ok := c.intParam("id")
	if !ok {
		return nil, false
	}
	s := c.d.sites[id]
	if s == nil {
		c.notFound(fmt.Sprintf("Site %d not found", id))
		return nil, false
	}
	return s, true
}

func getSite(c *call) {
	if s, ok := c.site(); ok {
		c.one(s)
	}
}

func getSiteRoutes(c *call) {
	if _, ok := c.site(); !ok {
		return
	}
	routes := []map[string]any{}
	for i, r := range [][2]string{{"product", "/{slug}/"}, {"category", "/{slug}/"}, {"brand", "/brands/{slug}/"},
		{"page", "/{slug}/"}, {"blog", "/blog/"}, {"home", "/"}, {"cart", "/cart.php"}, {"checkout", "/checkout"}} {
		routes = append(routes, map[string]any{"id": i + 1, "type": r[0], "matching": "*", "route": r[1]})
	}
	listV3(c, routes)
}

func getPage(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	if p := c.d.pages[id]; p != nil {
		c.one(p)
		return
	}
	c.notFound(fmt.Sprintf("Page %d not found", id))
}

func getScript(c *call) {
	if s := c.d.scripts[c.param("uuid")]; s != nil {
		c.one(s)
		return
	}
	c.notFound("Script not found")
}

// getRedirects is /v3/storefront/redirects?id:in=&site_id=&include=to_url.
func getRedirects(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.redirects))
	if !ok {
		return
	}
	sites, bySite, ok := c.ints("site_id")
	if !ok {
		return
	}
	withURL := c.includes()["to_url"]
	out := []redirect{}
	for _, id := range ids {
		r := *c.d.redirects[id]
		if bySite && !sites[r.SiteID] {
			continue
		}
		if withURL {
			r.ToURL = c.d.redirectURL(&r)
		}
		out = append(out, r)
	}
	listV3(c, out)
}

// redirectURL is a redirect's absolute target.
func (d *storeData) redirectURL(r *redirect) string {
	base := "https://store-" + d.hash + ".mybigcommerce.com"
	if s := d.sites[r.SiteID]; s != nil {
		base = s.URL
	}
	if u, ok := r.To["url"].(string); ok {
		return u
	}
	if id, ok := r.To["entity_id"].(int); ok {
		if p := d.products[id]; p != nil {
			return base + p.CustomURL.URL
		}
	}
	return base + "/"
}

func getThemeConfigurations(c *call) {
	if c.param("uuid") != c.d.themeUUID {
		c.notFound("Theme not found")
		return
	}
	uuids, byUUID := c.strs("uuid:in")
	channels, byChannel, ok := c.ints("channel_id:in")
	if !ok {
		return
	}
	out := []*themeConfig{}
	for _, id := range sortedKeys(c.d.themeConfs) {
		tc := c.d.themeConfs[id]
		if byUUID && !uuids[tc.UUID] || byChannel && !channels[tc.ChannelID] {
			continue
		}
		out = append(out, tc)
	}
	listV3(c, out)
}

// emailTemplates are the template kinds (type_id) BigCommerce has.
var emailTemplates = []string{
	"abandoned_cart_email", "account_details_changed_email", "combined_order_status_email", "createaccount_email",
	"createguestaccount_email", "giftcertificate_email", "invoice_email", "ordermessage_notification",
	"return_confirmation_email", "return_statuschange_email", "product_review_email", "account_reset_password_email",
}

func getEmailTemplate(c *call) {
	if _, ok := c.channelParam("?"); !ok {
		return
	}
	kind := c.param("type_id")
	if !slices.Contains(emailTemplates, kind) {
		c.notFound("Email template " + kind + " not found")
		return
	}
	title := strings.ReplaceAll(strings.TrimSuffix(kind, "_email"), "_", " ")
	c.one(map[string]any{"type_id": kind, "subject": "{{lang 'subject'}} " + title,
		"body": "<html><body>{{> email/" + kind + "}}</body></html>", "translations": []any{}})
}

// setting is one /v3/settings/… endpoint: per-channel (channel_id query
// parameter) and static.
type setting struct {
	path string
	data func(d *storeData, ch *channel) any
}

var channelSettings = []setting{
	{"/v3/settings/store/profile", func(d *storeData, ch *channel) any {
		return map[string]any{"store_name": ch.Name, "store_address": d.info.Address, "store_email": d.info.AdminEmail, "store_phone": d.info.Phone}
	}},
	{"/v3/settings/logo", func(d *storeData, ch *channel) any {
		return map[string]any{"logo_type": "text", "logo_text": ch.Name, "logo_image_url": "", "favicon_url": d.info.SecureURL + "/favicon.ico"}
	}},
	{"/v3/settings/catalog", func(*storeData, *channel) any {
		return map[string]any{"default_product_sort": "featured", "products_per_page": 12, "show_product_price": true,
			"product_breadcrumbs": "show_one", "default_image_product": ""}
	}},
	{"/v3/settings/email-statuses", func(*storeData, *channel) any {
		m := map[string]any{}
		for _, k := range emailTemplates {
			m[k] = k != "product_review_email"
		}
		return m
	}},
	{"/v3/settings/inventory/notifications", func(d *storeData, _ *channel) any {
		return map[string]any{"email_recipients": []string{d.info.OrderEmail}, "sms_recipients": []string{}}
	}},
	{"/v3/settings/storefront/seo", func(d *storeData, ch *channel) any {
		return map[string]any{"page_title": ch.Name, "meta_keywords": "", "meta_description": "Shop " + ch.Name, "www_redirect": "www"}
	}},
	{"/v3/settings/storefront/robotstxt", func(*storeData, *channel) any {
		return map[string]any{"robots_txt_ssl": "User-agent: *\nDisallow: /account.php\nDisallow: /cart.php\nDisallow: /checkout\n"}
	}},
	{"/v3/settings/storefront/category", func(*storeData, *channel) any {
		return map[string]any{"listing_mode": "grid", "default_product_sort": "featured", "product_count": true}
	}},
	{"/v3/settings/storefront/product", func(*storeData, *channel) any {
		return map[string]any{"show_product_price": true, "show_product_sku": true, "show_product_weight": false,
			"show_product_brand": true, "show_product_rating": true, "default_preorder_message": "Ships %%DATE%%"}
	}},
	{"/v3/settings/storefront/security", func(*storeData, *channel) any {
		return map[string]any{"sitewide_https_enabled": true, "hsts": map[string]any{"enabled": true, "max_age": 31536000, "include_subdomains": false, "preload": false}}
	}},
	{"/v3/settings/search/filters/contexts", nil}, // see getSetting
}

// getSetting serves one settings endpoint. The search filter contexts are
// a list, filtered by category_id.
func getSetting(s setting) func(*call) {
	return func(c *call) {
		ch, ok := c.channelParam("?")
		if !ok {
			return
		}
		if s.data != nil {
			c.one(s.data(c.d, ch))
			return
		}
		cats, byCat, ok := c.ints("category_id")
		if !ok {
			return
		}
		out := []map[string]any{}
		for _, id := range sortedKeys(c.d.categories) {
			if byCat && !cats[id] {
				continue
			}
			out = append(out, map[string]any{"context": map[string]any{"channel_id": ch.ID, "category_id": id},
				"data": []map[string]any{{"id": "cHJpY2U=", "type": "price", "display_name": "Price", "collapsed_by_default": false, "is_enabled": true}}})
		}
		listV3(c, out)
	}
}
