package bigcommerce

import "testing"

func TestEntityID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data, path, want string
	}{
		{"number", `{"type":"order","id":70413}`, "id", "70413"},
		{"negative number", `{"id":-3}`, "id", "-3"},
		{"number literal kept", `{"id":1.5e3}`, "id", "1.5e3"},
		{"string", `{"id":"3912001c-0849"}`, "id", "3912001c-0849"},
		{"escaped string", `{"id":"a\"b\u00e9"}`, "id", `a"bé`},
		{"empty string", `{"id":""}`, "id", ""},
		{"null", `{"id":null}`, "id", ""},
		{"bool", `{"id":true}`, "id", ""},
		{"object", `{"id":{"x":1}}`, "id", ""},
		{"array", `{"id":[1]}`, "id", ""},
		{"absent", `{"type":"order"}`, "id", ""},
		{"data is an array", `[{"id":1}]`, "id", ""},
		{"empty object", `{}`, "id", ""},
		{"last duplicate wins", `{"id":1,"id":2}`, "id", "2"},
		{"skips nested same name", `{"x":{"id":9},"y":[{"id":8}],"id":7}`, "id", "7"},
		{"skips strings with braces and quotes", `{"s":"}{\"id\":5,","id":6}`, "id", "6"},
		{"escaped key", `{"\u0069d":11}`, "id", "11"},
		{"key is case-sensitive", `{"ID":12}`, "id", ""},
		{"whitespace", " {\n \"a\" : [ 1 , 2 ] ,\t\"id\" : 13 \n} ", "id", "13"},
		{"nested path", `{"id":70418,"refund":{"refund_id":12}}`, "refund.refund_id", "12"},
		{"nested path, parent not an object", `{"refund":[{"refund_id":12}]}`, "refund.refund_id", ""},
		{"nested path, absent", `{"refund":{}}`, "refund.refund_id", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := entityID([]byte(tc.data), tc.path); got != tc.want {
				t.Errorf("entityID(%s, %q) = %q, want %q", tc.data, tc.path, got, tc.want)
			}
		})
	}
}

func TestIsCompact(t *testing.T) {
	t.Parallel()
	cases := []struct {
		data string
		want bool
	}{
		{`{"a":1}`, true},
		{`{"a":"x y\n"}`, true}, // whitespace inside strings does not count
		{`{"a":"\" "}`, true},
		{`{"a": 1}`, false},
		{"[1,\n2]", false},
		{`{}`, true},
	}
	for _, tc := range cases {
		if got := isCompact([]byte(tc.data)); got != tc.want {
			t.Errorf("isCompact(%q) = %t, want %t", tc.data, got, tc.want)
		}
	}
}
