package roster

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name, in string
		rows     int
		err      string
	}{
		{name: "good", in: "channel,id,name,person\nwhatsapp,+6281234567890,Sari,sari\ntelegram,5550001,,sari\n", rows: 2},
		{name: "no id column", in: "channel,name\nwhatsapp,Sari\n", err: "no id column"},
		{name: "bad rows reported by line", in: "channel,id,timezone\nfax,1,\nwhatsapp,62812,Mars/Base\n", rows: 0, err: "line 2"},
		{name: "bad time zone", in: "channel,id,timezone\nwhatsapp,62812,Mars/Base\n", err: "line 2: timezone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ReadCSV(strings.NewReader(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || len(rows) != tt.rows {
				t.Fatalf("rows %v, err %v; want %d rows", rows, err, tt.rows)
			}
		})
	}
}

func TestPeople(t *testing.T) {
	rows, err := ReadCSV(strings.NewReader("channel,id,person\nwhatsapp,62811,sari\ntelegram,5550001,sari\nwhatsapp,62822,budi\nwhatsapp,62833,\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := People(rows)
	if len(got) != 1 || len(got[0]) != 2 || got[0][1] != (care.Address{Channel: care.Telegram, ID: "5550001"}) {
		t.Fatalf("people %v, want one person with two addresses", got)
	}
}

func TestPrintLedger(t *testing.T) {
	var b bytes.Buffer
	PrintLedger(&b, []care.ConsentEvent{{Purpose: care.Promotions, Granted: true, At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Channel: care.WhatsApp, Source: care.SourceFlow, MessageID: "m1", Text: "YA", Question: "Mau promo?\nBalas YA", Version: "v1"}})
	for _, want := range []string{"promotions GRANTED via flow on whatsapp", `message m1: "YA"`, "| Balas YA"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("ledger print lacks %q:\n%s", want, b.String())
		}
	}
}
