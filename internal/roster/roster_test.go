package roster

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// opts are the options of the tests: Indonesia, the flows' two languages.
var opts = Options{Country: "62", Langs: []string{"id", "en"}}

// rowText renders a row compactly for comparisons.
func rowText(r Row) string {
	return fmt.Sprintf("%d %s name=%s lang=%s tz=%s tags=%s person=%s", r.Line, r.Address, r.Name, r.Lang, r.TimeZone, strings.Join(r.Tags, ","), r.Person)
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name, in string
		rows     []string // rowText of each row read
		skipped  []string // "line N: …" of each row left out, a part of the reason
		warnings []string // a part of each warning
		err      string   // a part of the error, when the file cannot be read
	}{
		{
			name: "commas and LF",
			in:   "channel,id,name,person\nwhatsapp,+6281234567890,Sari,sari\ntelegram,5550001,,sari\n",
			rows: []string{"2 whatsapp:6281234567890 name=Sari lang= tz= tags= person=sari", "3 telegram:5550001 name= lang= tz= tags= person=sari"},
		},
		{
			name: "Excel: byte-order mark, semicolons, CRLF, quotes",
			in: "\uFEFFchannel;id;name;tags\r\n" +
				"whatsapp;0812-3456-7891;\"Toko \"\"Maju\"\"; Pasar Baru\";VIP|pasar\r\n" +
				"whatsapp;\"+62 813 1111 2222\";Budi, Pak;\r\n",
			rows: []string{"2 whatsapp:6281234567891 name=Toko \"Maju\"; Pasar Baru lang= tz= tags=vip,pasar person=",
				"3 whatsapp:6281311112222 name=Budi, Pak lang= tz= tags= person="},
		},
		{
			name: "Google Sheets: quoted header, commas in quotes, no line end at the end",
			in:   "\"channel\",\"id\",\"name\"\r\n\"whatsapp\",\"(0812) 3456-7891\",\"Sari, Bu\"",
			rows: []string{"2 whatsapp:6281234567891 name=Sari, Bu lang= tz= tags= person="},
		},
		{
			name: "header names in any case and spelling, short channel names",
			in:   "Channel,ID,Name,Language,Time Zone,Person,Tag\nWA,62 812 3456 7891,Sari,EN,WITA,s,pelanggan; vip ;VIP\nTG,+5550001,,id,Asia/Jayapura,s,\n",
			rows: []string{"2 whatsapp:6281234567891 name=Sari lang=en tz=Asia/Makassar tags=pelanggan,vip person=s",
				"3 telegram:5550001 name= lang=id tz=Asia/Jayapura tags= person=s"},
		},
		{
			name:     "a consent column is ignored with a warning, other columns too",
			in:       "channel,id,Promo Consent,notes\nwhatsapp,081234567891,yes,likes eggs\n",
			rows:     []string{"2 whatsapp:6281234567891 name= lang= tz= tags= person="},
			warnings: []string{`column "Promo Consent" ignored: an import never grants consent`, `column "notes" ignored`},
		},
		{
			name:     "a column named twice: the first counts",
			in:       "channel,id,name,Name\nwhatsapp,081234567891,Sari,Bu Sari\n",
			rows:     []string{"2 whatsapp:6281234567891 name=Sari lang= tz= tags= person="},
			warnings: []string{`column "Name" ignored: a name column comes before it`},
		},
		{
			name: "blank rows are passed over",
			in:   "channel;id;name\n;;\nwhatsapp;081234567891;Sari\n ; ; \n\n",
			rows: []string{"3 whatsapp:6281234567891 name=Sari lang= tz= tags= person="},
		},
		{
			name: "bad rows are skipped by line with the reason, the others read",
			in: "channel,id,lang,timezone,tags\n" +
				"fax,1,,,\n" +
				"whatsapp,12345,,,\n" +
				"telegram,@sari,,,\n" +
				"telegram,-1001234567,,,\n" +
				"whatsapp,081234567891,fr,,\n" +
				"whatsapp,081234567891,,Mars/Base,\n" +
				"whatsapp,081234567891,,," + strings.Repeat("x", 41) + "\n" +
				"whatsapp,6.28123E+12,,,\n" +
				",081234567891,,,\n" +
				"telegram,5550001,xx,WIB,\n" +
				"whatsapp,081234567892,id,WIB,ok\n",
			rows: []string{"12 whatsapp:6281234567892 name= lang=id tz=Asia/Jakarta tags=ok person="},
			skipped: []string{
				`line 2: channel "fax": want whatsapp or telegram`,
				`line 3: number "12345" has no + and no leading 0`,
				`line 4: telegram id "@sari" is not a chat id (a number)`,
				`line 5: telegram id "-1001234567" is a group's`,
				`line 6: language "fr": the flows speak id, en`,
				`line 7: timezone "Mars/Base": not a time zone name`,
				`line 8: tag "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx": longer than 40 characters`,
				`line 9: number "6.28123E+12" was turned into a number in scientific notation`,
				`line 10: no channel`,
				`line 11: language "xx": the flows speak id, en`,
			},
		},
		{
			name:    "every problem of a row is named",
			in:      "channel,id,lang,timezone\ntelegram,sari,fr,Mars\n",
			skipped: []string{`line 2: telegram id "sari" is not a chat id (a number): a @username cannot be messaged; the bot learns the chat id when the person writes to it; language "fr": the flows speak id, en; timezone "Mars"`},
		},
		{
			name:    "a quoted field over two lines keeps the lines right",
			in:      "channel,id,name\nwhatsapp,081234567891,\"Sari\nToko Maju\"\nwhatsapp,0812,\n",
			rows:    []string{"2 whatsapp:6281234567891 name=Sari\nToko Maju lang= tz= tags= person="},
			skipped: []string{`line 4: number "0812" has 5 digits with its calling code`},
		},
		{
			name:    "a stray quote spoils its row alone",
			in:      "channel,id,name\nwhatsapp,081234567891,Toko \"Maju\"\nwhatsapp,081234567892,Budi\n",
			rows:    []string{"3 whatsapp:6281234567892 name=Budi lang= tz= tags= person="},
			skipped: []string{`line 2: a " inside a field that does not start with one`},
		},
		{
			name:    "text that is not UTF-8",
			in:      "channel,id,name\nwhatsapp,081234567891,Jos\xe9\n",
			skipped: []string{`line 2: name is not UTF-8 text: save the file as "CSV UTF-8"`},
		},
		{name: "a quote never closed", in: "channel,id,name\nwhatsapp,081234567891,\"Sari\nwhatsapp,081234567892,Budi\n", err: "line 2: a quote opened here runs on to line 3"},
		{name: "no id column", in: "channel,name\nwhatsapp,Sari\n", err: "header: no id column (the columns are channel, name)"},
		{name: "no channel column", in: "phone;name\n0812;Sari\n", err: "header: no channel column"},
		{name: "an empty file", in: "", err: "header: the first line is empty"},
		{name: "UTF-16", in: "\xff\xfec\x00h\x00", err: "UTF-16"},
		{name: "old Mac line ends", in: "channel,id\rwhatsapp,081234567891\r", err: "carriage return alone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadCSV(strings.NewReader(tt.in), opts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, r := range f.Rows {
				rows = append(rows, rowText(r))
			}
			if !slices.Equal(rows, tt.rows) {
				t.Errorf("rows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(tt.rows, "\n"))
			}
			if len(f.Skipped) != len(tt.skipped) {
				t.Errorf("skipped %v, want %d", f.Skipped, len(tt.skipped))
			}
			for i := range min(len(f.Skipped), len(tt.skipped)) {
				if !strings.Contains(f.Skipped[i].String(), tt.skipped[i]) {
					t.Errorf("skipped %q, want %q in it", f.Skipped[i], tt.skipped[i])
				}
			}
			if len(f.Warnings) != len(tt.warnings) {
				t.Errorf("warnings %q, want %d", f.Warnings, len(tt.warnings))
			}
			for i := range min(len(f.Warnings), len(tt.warnings)) {
				if !strings.Contains(f.Warnings[i], tt.warnings[i]) {
					t.Errorf("warning %q, want %q in it", f.Warnings[i], tt.warnings[i])
				}
			}
		})
	}
}

func TestReadCSVBoundsRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("channel,id\n")
	for i := range MaxRows + 1 {
		fmt.Fprintf(&b, "telegram,%d\n", i+1)
	}
	if _, err := ReadCSV(strings.NewReader(b.String()), opts); err == nil || !strings.Contains(err.Error(), "split the file") {
		t.Fatalf("err %v, want the file refused", err)
	}
}

func TestPhoneNumber(t *testing.T) {
	tests := []struct {
		in, country, want, err string
	}{
		{in: "081234567891", want: "6281234567891"},
		{in: "0812-3456-7891", want: "6281234567891"},
		{in: "0812 3456 7891", want: "6281234567891"},
		{in: "0812.3456.7891", want: "6281234567891"},
		{in: "(0812) 3456-7891", want: "6281234567891"},
		{in: "0812\u00a03456\u00a07891", want: "6281234567891"},
		{in: "+62 812-3456-7891", want: "6281234567891"},
		{in: "+6281234567891", want: "6281234567891"},
		{in: "62 812 3456 7891", want: "6281234567891"},
		{in: "6281234567891", want: "6281234567891"},
		{in: "+62 (0)812 3456 7891", want: "6281234567891"},
		{in: "+62 0812 3456 7891", want: "6281234567891"},
		{in: "(021) 555-1234", want: "62215551234"},
		{in: "+65 9123 4567", want: "6591234567"},
		{in: "012-345 6789", country: "60", want: "60123456789"},
		{in: "+1 (415) 555-0100", country: "60", want: "14155550100"},
		{in: "", err: "no number"},
		{in: "+", err: `number "+" has no digits`},
		{in: "812-3456-7891", err: "has no + and no leading 0"},
		{in: "6591234567", err: "has no + and no leading 0"},
		{in: "6.28123E+12", err: "scientific notation"},
		{in: "6,28123E+12", err: "scientific notation"},
		{in: "0812-3456-7891 / 0813-1111-2222", err: "(one number a row)"},
		{in: "0812-ABCD-7891", err: "holds digits, spaces"},
		{in: "62+812", err: "holds digits, spaces"},
		{in: "0062 812 3456 7891", err: "starts with 00"},
		{in: "+0812 3456 7891", err: "no calling code starts with 0"},
		{in: "+62 812", err: "has 5 digits with its calling code; a phone number has 8 to 15"},
		{in: "+1 234 5678 9012 3456", err: "has 16 digits"},
		{in: "0812 345", err: "an Indonesian number has 8 to 12 digits after 62, this one 6"},
		{in: "0812 3456 7891 23", err: "this one 13"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			country := tt.country
			if country == "" {
				country = "62"
			}
			got, err := phoneNumber(tt.in, country)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("phoneNumber(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("phoneNumber(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestPeople(t *testing.T) {
	f, err := ReadCSV(strings.NewReader("channel,id,person\nwhatsapp,62811111111,sari\ntelegram,5550001,sari\nwhatsapp,0811111111,sari\nwhatsapp,62822222222,budi\nwhatsapp,62833333333,\n"), opts)
	if err != nil || len(f.Skipped) > 0 {
		t.Fatal(err, f.Skipped)
	}
	got := People(f.Rows)
	want := [][]care.Address{{{Channel: care.WhatsApp, ID: "62811111111"}, {Channel: care.Telegram, ID: "5550001"}}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("people %v, want %v: one person with two addresses, each once", got, want)
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
