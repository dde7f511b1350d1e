package care

import (
	"maps"
	"strings"
	"testing"
)

func TestCannedReplyClean(t *testing.T) {
	long := strings.Repeat("a", MaxCannedText)
	tests := []struct {
		name  string
		in    CannedReply
		want  CannedReply
		error string // a part of the error; "" for none
	}{
		{name: "plain", in: CannedReply{Name: "Ongkir", Text: "  Ongkir Rp10.000, {{contact.name}}.\x00 "},
			want: CannedReply{Name: "ongkir", Text: "Ongkir Rp10.000, {{contact.name}}."}},
		{name: "languages", in: CannedReply{Name: "jam-buka", Text: "Buka 08.00", Texts: map[string]string{"en": "Open at 8", "ms": " "}},
			want: CannedReply{Name: "jam-buka", Text: "Buka 08.00", Texts: map[string]string{"en": "Open at 8"}}},
		{name: "variables with spaces", in: CannedReply{Name: "a", Text: "Halo {{ contact.name }} dari {{shop.name}}"},
			want: CannedReply{Name: "a", Text: "Halo {{ contact.name }} dari {{shop.name}}"}},
		{name: "longest text", in: CannedReply{Name: "a", Text: long}, want: CannedReply{Name: "a", Text: long}},
		{name: "no name", in: CannedReply{Text: "x"}, error: "1 to 32"},
		{name: "name with a space", in: CannedReply{Name: "jam buka", Text: "x"}, error: "only letters"},
		{name: "name too long", in: CannedReply{Name: strings.Repeat("n", MaxCannedName+1), Text: "x"}, error: "1 to 32"},
		{name: "no text", in: CannedReply{Name: "a", Text: " \n", Texts: map[string]string{"en": "hi"}}, error: "the text is empty"},
		{name: "text too long", in: CannedReply{Name: "a", Text: long + "b"}, error: "1001 characters"},
		{name: "language text too long", in: CannedReply{Name: "a", Text: "x", Texts: map[string]string{"en": long + "b"}}, error: "the en text has 1001"},
		{name: "bad language", in: CannedReply{Name: "a", Text: "x", Texts: map[string]string{"EN": "hi"}}, error: "language \"EN\""},
		{name: "unknown variable", in: CannedReply{Name: "a", Text: "Halo {{nama}}"}, error: "has {{nama}}"},
		{name: "unclosed variable", in: CannedReply{Name: "a", Text: "Halo {{contact.name"}, error: "without closing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Clean()
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) || ErrorCode(err) != EInvalid {
					t.Fatalf("Clean() error %v, want EInvalid with %q", err, tt.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.want.Name || got.Text != tt.want.Text || !maps.Equal(got.Texts, tt.want.Texts) {
				t.Errorf("Clean() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCannedReplyRender(t *testing.T) {
	r := CannedReply{Name: "salam", Text: "Halo {{contact.name}}, terima kasih sudah belanja di {{ shop.name }}!",
		Texts: map[string]string{"en": "Hi {{contact.name}}, thanks for shopping at {{shop.name}}!"}}
	tests := []struct {
		name    string
		r       CannedReply
		lang    string
		contact string
		want    string
	}{
		{name: "Indonesian", r: r, lang: "id", contact: "Rina", want: "Halo Rina, terima kasih sudah belanja di Toko Sari!"},
		{name: "English", r: r, lang: "en", contact: "Rina", want: "Hi Rina, thanks for shopping at Toko Sari!"},
		{name: "no language of its own", r: r, lang: "jv", contact: "Rina", want: "Halo Rina, terima kasih sudah belanja di Toko Sari!"},
		{name: "no name", r: r, lang: "id", contact: " ", want: "Halo Kak, terima kasih sudah belanja di Toko Sari!"},
		{name: "no variables", r: CannedReply{Text: "Stok habis."}, want: "Stok habis."},
		{name: "not variables", r: CannedReply{Text: "a {{b}} c {{ d"}, contact: "Rina", want: "a {{b}} c {{ d"},
		{name: "a name with braces stays as given", r: CannedReply{Text: "Hai {{contact.name}}"}, contact: "{{shop.name}}", want: "Hai {{shop.name}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Render(tt.lang, tt.contact, "Toko Sari"); got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}
