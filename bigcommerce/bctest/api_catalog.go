package bctest

import (
	"fmt"
	"strings"
)

func (c *call) product() (*product, bool) {
	id, ok := c.intParam("id")
	if !ok {
		return nil, false
	}
	p := c.d.products[id]
	if p == nil {
		c.notFound(fmt.Sprintf("A product was not found with an id of %d", id))
		return nil, false
	}
	return p, true
}

// renderProduct applies ?include= (variants, images, custom_fields,
// bulk_pricing_rules, primary_image, modifiers, options, channels; videos
// and reviews are always empty) and ?include_fields= / ?exclude_fields=.
func (c *call) renderProduct(p *product) map[string]any {
	m := toMap(p)
	inc := c.includes()
	var extra []string
	add := func(key string, v any) {
		if inc[key] {
			m[key] = v
			extra = append(extra, key)
		}
	}
	add("variants", p.variants)
	add("images", orEmpty(p.images))
	add("custom_fields", orEmpty(p.customFields))
	add("bulk_pricing_rules", orEmpty(p.bulkRules))
	add("modifiers", orEmpty(p.modifiers))
	add("options", orEmpty(p.options))
	add("videos", []any{})
	add("reviews", []any{})
	add("channels", p.channels)
	if inc["primary_image"] && len(p.images) > 0 {
		m["primary_image"] = p.images[0]
		extra = append(extra, "primary_image")
	}
	return c.fieldFilter(m, extra...)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func getProduct(c *call) {
	if p, ok := c.product(); ok {
		c.one(c.renderProduct(p))
	}
}

// getProducts is the batch fetch: ?id:in=1,2,3 (or id=), paged.
func getProducts(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.products))
	if !ok {
		return
	}
	one, byID, ok := c.ints("id")
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, id := range ids {
		if !byID || one[id] {
			out = append(out, c.renderProduct(c.d.products[id]))
		}
	}
	listV3(c, out)
}

func getProductVariants(c *call) {
	if p, ok := c.product(); ok {
		listV3(c, p.variants)
	}
}

func getProductVariant(c *call) {
	p, ok := c.product()
	if !ok {
		return
	}
	id, ok := c.intParam("variant_id")
	if !ok {
		return
	}
	for _, v := range p.variants {
		if v.ID == id {
			c.one(v)
			return
		}
	}
	c.notFound(fmt.Sprintf("A variant was not found with an id of %d", id))
}

func getProductOption(c *call) {
	p, ok := c.product()
	if !ok {
		return
	}
	id, ok := c.intParam("option_id")
	if !ok {
		return
	}
	for _, o := range p.options {
		if o.ID == id {
			c.one(o)
			return
		}
	}
	c.notFound(fmt.Sprintf("An option was not found with an id of %d", id))
}

func getProductModifier(c *call) {
	p, ok := c.product()
	if !ok {
		return
	}
	id, ok := c.intParam("modifier_id")
	if !ok {
		return
	}
	for _, m := range p.modifiers {
		if m.ID == id {
			c.one(m)
			return
		}
	}
	c.notFound(fmt.Sprintf("A modifier was not found with an id of %d", id))
}

// getVariants is /v3/catalog/variants: id, id:in, product_id(:in), sku.
func getVariants(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.variants))
	if !ok {
		return
	}
	filters := []string{"id", "product_id", "product_id:in"}
	sets := make([]map[int]bool, len(filters))
	for i, f := range filters {
		s, present, ok := c.ints(f)
		if !ok {
			return
		}
		if present {
			sets[i] = s
		}
	}
	sku := c.query().Get("sku")
	out := []*variant{}
	for _, id := range ids {
		v := c.d.variants[id]
		if sets[0] != nil && !sets[0][v.ID] || sets[1] != nil && !sets[1][v.ProductID] ||
			sets[2] != nil && !sets[2][v.ProductID] || sku != "" && v.SKU != sku {
			continue
		}
		out = append(out, v)
	}
	listV3(c, out)
}

type assignment struct {
	ProductID  int `json:"product_id"`
	ChannelID  int `json:"channel_id,omitempty"`
	CategoryID int `json:"category_id,omitempty"`
}

func getChannelAssignments(c *call) {
	products, byProduct, ok := c.ints("product_id:in")
	if !ok {
		return
	}
	channels, byChannel, ok := c.ints("channel_id:in")
	if !ok {
		return
	}
	out := []assignment{}
	for _, id := range sortedKeys(c.d.products) {
		if byProduct && !products[id] {
			continue
		}
		for _, ch := range c.d.products[id].channels {
			if !byChannel || channels[ch] {
				out = append(out, assignment{ProductID: id, ChannelID: ch})
			}
		}
	}
	listV3(c, out)
}

func getCategoryAssignments(c *call) {
	products, byProduct, ok := c.ints("product_id:in")
	if !ok {
		return
	}
	cats, byCat, ok := c.ints("category_id:in")
	if !ok {
		return
	}
	out := []assignment{}
	for _, id := range sortedKeys(c.d.products) {
		if byProduct && !products[id] {
			continue
		}
		for _, cat := range c.d.products[id].Categories {
			if !byCat || cats[cat] {
				out = append(out, assignment{ProductID: id, CategoryID: cat})
			}
		}
	}
	listV3(c, out)
}

func getCategories(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.categories))
	if !ok {
		return
	}
	parents, byParent, ok := c.ints("parent_id:in")
	if !ok {
		return
	}
	out := []*category{}
	for _, id := range ids {
		if cat := c.d.categories[id]; !byParent || parents[cat.ParentID] {
			out = append(out, cat)
		}
	}
	listV3(c, out)
}

// getCategory is the deprecated single-category endpoint, still served.
func getCategory(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	if cat := c.d.categories[id]; cat != nil {
		c.one(cat)
		return
	}
	c.notFound(fmt.Sprintf("Category %d not found", id))
}

func getTrees(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.trees))
	if !ok {
		return
	}
	channels, byChannel, ok := c.ints("channel_id:in")
	if !ok {
		return
	}
	out := []*categoryTree{}
	for _, id := range ids {
		t := c.d.trees[id]
		if byChannel && !channels[t.Channels[0]] {
			continue
		}
		out = append(out, t)
	}
	listV3(c, out)
}

func (cat *category) treeView() treeCategory {
	t := treeCategory{CategoryID: cat.ID, ParentID: cat.ParentID, TreeID: cat.tree, Name: cat.Name,
		Description: cat.Description, Views: cat.Views, SortOrder: cat.SortOrder, PageTitle: cat.PageTitle,
		SearchKeywords: cat.SearchKeywords, MetaKeywords: cat.MetaKeywords, MetaDescription: cat.MetaDescription,
		LayoutFile: cat.LayoutFile, ImageURL: cat.ImageURL, IsVisible: cat.IsVisible, DefaultProductSort: cat.DefaultProductSort}
	t.URL.Path, t.URL.IsCustomized = cat.CustomURL.URL, cat.CustomURL.IsCustomized
	return t
}

// getTreeCategories is the recommended category read:
// /v3/catalog/trees/categories?category_id:in=&tree_id:in=&parent_id:in=.
func getTreeCategories(c *call) {
	ids, ok := c.idSet("category_id:in", sortedKeys(c.d.categories))
	if !ok {
		return
	}
	trees, byTree, ok := c.ints("tree_id:in")
	if !ok {
		return
	}
	parents, byParent, ok := c.ints("parent_id:in")
	if !ok {
		return
	}
	out := []treeCategory{}
	for _, id := range ids {
		cat := c.d.categories[id]
		if byTree && !trees[cat.tree] || byParent && !parents[cat.ParentID] {
			continue
		}
		out = append(out, cat.treeView())
	}
	listV3(c, out)
}

type treeNode struct {
	ID        int         `json:"id"`
	ParentID  int         `json:"parent_id"`
	Depth     int         `json:"depth"`
	Path      []int       `json:"path"`
	Name      string      `json:"name"`
	IsVisible bool        `json:"is_visible"`
	URL       string      `json:"url"`
	Children  []*treeNode `json:"children"`
}

// getTreeNodes is /v3/catalog/trees/{tree_id}/categories: the tree as
// nested nodes.
func getTreeNodes(c *call) {
	id, ok := c.intParam("tree_id")
	if !ok {
		return
	}
	if c.d.trees[id] == nil {
		c.notFound(fmt.Sprintf("Category tree %d not found", id))
		return
	}
	var build func(parent int, path []int) []*treeNode
	build = func(parent int, path []int) []*treeNode {
		nodes := []*treeNode{}
		for _, cid := range sortedKeys(c.d.categories) {
			cat := c.d.categories[cid]
			if cat.tree != id || cat.ParentID != parent {
				continue
			}
			n := &treeNode{ID: cat.ID, ParentID: parent, Depth: len(path) + 1, Path: append([]int{}, path...),
				Name: cat.Name, IsVisible: cat.IsVisible, URL: cat.CustomURL.URL}
			n.Children = build(cat.ID, append(path, cat.ID))
			nodes = append(nodes, n)
		}
		return nodes
	}
	c.one(build(0, nil))
}

func getBrands(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.brands))
	if !ok {
		return
	}
	name := strings.ToLower(c.query().Get("name"))
	out := []*brand{}
	for _, id := range ids {
		if b := c.d.brands[id]; name == "" || strings.ToLower(b.Name) == name {
			out = append(out, b)
		}
	}
	listV3(c, out)
}

func getBrand(c *call) {
	id, ok := c.intParam("id")
	if !ok {
		return
	}
	if b := c.d.brands[id]; b != nil {
		c.one(b)
		return
	}
	c.notFound(fmt.Sprintf("Brand %d not found", id))
}
