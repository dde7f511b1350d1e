package redisstore

import (
	jsonv2 "github.com/go-json-experiment/json"
)

// decodeRecord decodes a record that Mitra wrote with encoding/json: a
// queued message, a session, a profile, an order. The first three are
// read on every message, so they are decoded with
// go-json-experiment/json, the implementation that Go's encoding/json/v2
// comes from: half the time and a third of the allocations of
// encoding/json. Its defaults differ from
// encoding/json's only on input Mitra never writes (names in another
// case, invalid UTF-8, a name twice); TestDecodeRecordAsEncodingJSON
// holds it to encoding/json's result on every field of these records,
// nested ones too.
func decodeRecord(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v)
}
