package bctest

import (
	"fmt"
)

// order returns the order named by the {id} path parameter, answering 404
// when there is none. Archived orders are still returned (is_deleted:
// true), as the reference assumes BigCommerce does.
func (c *call) order() (*order, bool) {
	id, ok := c.intParam("id")
	if !ok {
		return nil, false
	}
	o := c.d.orders[id]
	if o == nil {
		c.notFound(fmt.Sprintf("Order %d not found", id))
		return nil, false
	}
	return o, true
}

func getOrder(c *call) {
	if o, ok := c.order(); ok {
		c.v2(o)
	}
}

func getOrderProducts(c *call) {
	if o, ok := c.order(); ok {
		listV2(c, o.items)
	}
}

func getOrderShippingAddresses(c *call) {
	if o, ok := c.order(); ok {
		listV2(c, o.shipTo)
	}
}

func getOrderCoupons(c *call) {
	if o, ok := c.order(); ok {
		listV2(c, o.coupons)
	}
}

func getOrderShipments(c *call) {
	if o, ok := c.order(); ok {
		listV2(c, o.shipments)
	}
}

func getOrderShipment(c *call) {
	o, ok := c.order()
	if !ok {
		return
	}
	id, ok := c.intParam("shipment_id")
	if !ok {
		return
	}
	for _, s := range o.shipments {
		if s.ID == id {
			c.v2(s)
			return
		}
	}
	c.notFound(fmt.Sprintf("Shipment %d not found", id))
}

func getOrderMessages(c *call) {
	if o, ok := c.order(); ok {
		listV2(c, o.messages)
	}
}

func getOrderStatuses(c *call) {
	out := make([]map[string]any, 0, len(orderStatuses))
	for id, name := range orderStatuses {
		out = append(out, map[string]any{"id": id, "name": name, "system_label": name, "custom_label": name,
			"system_description": name, "order": id})
	}
	c.v2(out)
}

func getOrderTransactions(c *call) {
	if o, ok := c.order(); ok {
		listV3(c, o.txns)
	}
}

func getOrderRefunds(c *call) {
	if o, ok := c.order(); ok {
		listV3(c, o.refunds)
	}
}

func getRefunds(c *call) {
	ids, ok := c.idSet("id:in", sortedKeys(c.d.refunds))
	if !ok {
		return
	}
	orders, byOrder, ok := c.ints("order_id:in")
	if !ok {
		return
	}
	out := []*refund{}
	for _, id := range ids {
		if r := c.d.refunds[id]; !byOrder || orders[r.OrderID] {
			out = append(out, r)
		}
	}
	listV3(c, out)
}

func getRefund(c *call) {
	id, ok := c.intParam("refund_id")
	if !ok {
		return
	}
	if r := c.d.refunds[id]; r != nil {
		c.one(r)
		return
	}
	c.notFound(fmt.Sprintf("Refund %d not found", id))
}
