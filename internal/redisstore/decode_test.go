package redisstore

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestDecodeRecordAsEncodingJSON: the records decodeRecord reads (a
// queued message, a session, a profile, an order) decode to what
// encoding/json makes of them, field for field. Each sample sets every
// field, nested ones too, so a field added later is checked as well.
func TestDecodeRecordAsEncodingJSON(t *testing.T) {
	wib := time.FixedZone("WIB", 7*3600)
	at := time.Date(2026, 3, 2, 10, 4, 5, 123456789, wib)
	text := "Halo Kak 👋 <b>\"Rp8.000\"</b> & ´ \u2028 \\ \t\n"
	samples := []any{
		&care.Outbound{ID: "m1", Contact: "c1", Address: care.Address{Channel: care.Telegram, ID: "42"}, Class: care.Promotional,
			Text: text, Choices: []care.Choice{{ID: "yes", Label: "YA, mau"}}, Lang: "id", Campaign: "c", Order: "O-1",
			InReplyTo: "7", Created: at, NotBefore: at.Add(time.Hour), Origin: care.OriginStaff, Seq: 1733000000123, Staff: "rina",
			About: []care.ContactID{"c2"}},
		&care.Session{Flow: "order", Step: "ask", Return: "menu", Vars: map[string]string{"item": text, "": ""}, Misses: 2, Lang: "en",
			StaffUntil: at, Updated: at.UTC(), Listed: at},
		&care.Contact{ID: "c1", Addresses: []care.Address{{Channel: care.WhatsApp, ID: "62812"}, {Channel: care.Telegram, ID: "42"}},
			Name: text, Lang: "id", FirstSeen: at, LastInbound: at, LastInboundOn: map[care.Channel]time.Time{care.Telegram: at},
			TimeZone: "Asia/Jakarta", Tags: []string{"langganan"},
			Consent:     map[care.Purpose]care.ConsentState{care.Promotions: {Granted: true, At: at, Source: care.SourceKeyword}},
			Unreachable: map[care.Channel]string{care.WhatsApp: "not on WhatsApp"}, Blocked: true, Suppressed: at,
			Merged: []care.ContactID{"c0"}, HeldSince: at,
			Handover: care.Handover{State: care.StateWaiting, Holder: "rina", Since: at, Until: at, Reason: "asked", FirstWords: text,
				LastStaff: at, Reminded: at, Alerted: at, OwnerAlerted: at, Resume: &care.Resume{At: at, Notice: true, Flow: "menu"}},
			Erasing: at, MergedInto: "c9"},
		&care.Order{ID: "o1", Number: "WBS-0142", Contact: "c1",
			Lines:    []care.OrderLine{{Item: "beras", Name: "Beras pandan wangi", Qty: 2.5, Unit: "kg", Price: 15000, Preorder: true}},
			Subtotal: 37500, DeliveryFee: 8000, FeePending: true, Total: 45500,
			Delivery: care.OrderDelivery{Pickup: true, Recipient: text, Phone: "0812", Address: text, Area: "Sleman"},
			Method:   care.MethodCOD, State: care.OrderConfirmed, Payment: care.PaymentAwaiting, Fulfilment: care.FulfilmentShipped,
			Created: at, Updated: at, Note: text, Placed: "m7", Proof: "proof/1.jpg", Resi: "JNE123",
			PreOrder: &care.PreOrder{Deposit: 10000, Ready: at},
			Feedback: &care.Feedback{Asked: at, Score: 5, Comment: text, At: at},
			CODAsked: at,
			History:  []care.OrderEvent{{At: at, By: "rina", What: care.FieldPayment, From: "unpaid", To: "paid", Resi: "JNE123", Reason: text}},
			Erased:   at},
	}
	for _, v := range samples {
		name := reflect.TypeOf(v).Elem().Name()
		t.Run(name, func(t *testing.T) {
			if zero := zeroFields(reflect.ValueOf(v).Elem()); len(zero) > 0 {
				t.Fatalf("the sample leaves %s unset; set every field", strings.Join(zero, ", "))
			}
			data, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			want := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			got := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := json.Unmarshal(data, want); err != nil {
				t.Fatal(err)
			}
			if err := decodeRecord(data, got); err != nil {
				t.Fatalf("decodeRecord(%s): %v", data, err)
			}
			if !equalRecords(t, got, want) {
				t.Errorf("decodeRecord gave\n%+v\nencoding/json gives\n%+v", got, want)
			}
		})
	}
}

// zeroFields names the exported fields of a struct that are zero, but
// for those never encoded, looking into nested structs, what pointers
// point to and the elements of slices and maps.
func zeroFields(v reflect.Value) []string {
	var out []string
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		if v.Field(i).IsZero() {
			out = append(out, f.Name)
			continue
		}
		for _, n := range zeroWithin(v.Field(i)) {
			out = append(out, f.Name+"."+n)
		}
	}
	return out
}

// zeroWithin is zeroFields of the structs a value holds.
func zeroWithin(v reflect.Value) []string {
	switch v.Kind() {
	case reflect.Pointer:
		return zeroWithin(v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return nil
		}
		return zeroFields(v)
	case reflect.Slice:
		var out []string
		for i := range v.Len() {
			out = append(out, zeroWithin(v.Index(i))...)
		}
		return out
	case reflect.Map:
		var out []string
		for _, k := range v.MapKeys() {
			out = append(out, zeroWithin(v.MapIndex(k))...)
		}
		return out
	}
	return nil
}

// equalRecords compares two decoded records: times by the instant and
// the offset they hold, everything else exactly.
func equalRecords(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(ja) == string(jb) && reflect.DeepEqual(stripTimes(a), stripTimes(b))
}

// stripTimes is a copy of a record with its times zeroed: what
// DeepEqual can compare once the times are compared on their own.
func stripTimes(v any) any {
	c := reflect.New(reflect.TypeOf(v).Elem())
	c.Elem().Set(reflect.ValueOf(v).Elem())
	zeroTimes(c.Elem())
	return c.Interface()
}

func zeroTimes(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				zeroTimes(v.Field(i))
			}
		}
	case reflect.Map:
		if v.Len() == 0 {
			return
		}
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			zeroTimes(e)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	}
}
