package config

import (
	"strings"
	"testing"
)

func TestDefaultCountry(t *testing.T) {
	tests := []struct {
		name, value, want, wantErr string
	}{
		{name: "unset", want: "62"},
		{name: "a code", value: "60", want: "60"},
		{name: "with a plus", value: "+1", want: "1"},
		{name: "three digits", value: "673", want: "673"},
		{name: "a leading zero", value: "062", wantErr: `MITRA_DEFAULT_COUNTRY="062": want a country calling code`},
		{name: "too long", value: "6281", wantErr: `MITRA_DEFAULT_COUNTRY="6281"`},
		{name: "a country's name", value: "ID", wantErr: `MITRA_DEFAULT_COUNTRY="ID"`},
		{name: "a bare plus", value: "+", wantErr: `MITRA_DEFAULT_COUNTRY=""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := FromEnv(Defaults(), env(map[string]string{"MITRA_DEFAULT_COUNTRY": tt.value}))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.DefaultCountry != tt.want {
				t.Fatalf("DefaultCountry %q, err %v; want %q", c.DefaultCountry, err, tt.want)
			}
		})
	}
}
