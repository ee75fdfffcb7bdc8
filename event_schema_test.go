package boxoffice_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/boxoffice/boxoffice"
)

// TestEventSchemaMatchesTheData: docs/events.schema.json describes each
// data type field by field: every JSON field of the Go type is a property,
// required unless it is omitted when empty, and nothing else is.
func TestEventSchemaMatchesTheData(t *testing.T) {
	b, err := os.ReadFile("docs/events.schema.json")
	require.NoError(t, err)
	var schema struct {
		Properties struct {
			Type struct {
				Enum []string `json:"enum"`
			} `json:"type"`
		} `json:"properties"`
		Defs map[string]struct {
			Required   []string                   `json:"required"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(b, &schema))
	require.Equal(t, boxoffice.EventTypes, schema.Properties.Type.Enum)

	for def, v := range map[string]any{
		"booking":  boxoffice.BookingEventData{},
		"payment":  boxoffice.PaymentEventData{},
		"showtime": boxoffice.ShowtimeEventData{},
	} {
		d, ok := schema.Defs[def]
		require.True(t, ok, "no $defs.%s", def)
		var fields, required []string
		rt := reflect.TypeOf(v)
		for i := range rt.NumField() {
			name, opts, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			fields = append(fields, name)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
		var props []string
		for p := range d.Properties {
			props = append(props, p)
		}
		slices.Sort(fields)
		slices.Sort(props)
		slices.Sort(required)
		got := slices.Clone(d.Required)
		slices.Sort(got)
		require.Equal(t, fields, props, "properties of %s", def)
		require.Equal(t, required, got, "required of %s", def)
	}
}
