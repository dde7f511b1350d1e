package optin

import (
	"image/png"
	"os"
	"strings"
	"testing"
)

func TestLinks(t *testing.T) {
	tests := []struct {
		name, phone, bot string
		want             []string
		err              string
	}{
		{"both", "+6281234567890", "@toko_sari_bot", []string{
			"whatsapp https://wa.me/6281234567890?text=MULAI%20PROMO",
			"telegram https://t.me/toko_sari_bot?start=promo"}, ""},
		{"whatsapp only", "6281234567890", "", []string{"whatsapp https://wa.me/6281234567890?text=MULAI%20PROMO"}, ""},
		{"local number", "081234567890", "", nil, "want the digits with the country code"},
		{"not a bot", "", "tokosari", nil, "want the bot's username"},
		{"nothing", "", "", nil, "give at least one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			links, err := Links(tt.phone, tt.bot, "MULAI PROMO")
			var got []string
			for _, l := range links {
				got = append(got, l.Channel+" "+l.URL)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("links %q, want %q", got, tt.want)
			}
			if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("err = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestWriteQR(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteQR(Link{Channel: "telegram", URL: "https://t.me/toko_sari_bot?start=promo"}, dir, 512)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 {
		t.Errorf("QR code is %v, want 512×512", b)
	}
}
