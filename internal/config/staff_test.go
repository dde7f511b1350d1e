package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseStaffHours(t *testing.T) {
	tests := []struct {
		in      string
		want    string // the hours as StaffHours.String renders them
		wantErr string
	}{
		{in: "08:00-20:00", want: "mon 08:00-20:00; tue 08:00-20:00; wed 08:00-20:00; thu 08:00-20:00; fri 08:00-20:00; sat 08:00-20:00; sun 08:00-20:00"},
		{in: "mon-sat 08:00-17:00; sun off", want: "mon 08:00-17:00; tue 08:00-17:00; wed 08:00-17:00; thu 08:00-17:00; fri 08:00-17:00; sat 08:00-17:00; sun off"},
		{in: "mon-fri 09:00-17:00", want: "mon 09:00-17:00; tue 09:00-17:00; wed 09:00-17:00; thu 09:00-17:00; fri 09:00-17:00; sat off; sun off"},
		{in: "08:00-20:00; fri 08:00-11:00; sun off", want: "mon 08:00-20:00; tue 08:00-20:00; wed 08:00-20:00; thu 08:00-20:00; fri 08:00-11:00; sat 08:00-20:00; sun off"},
		{in: "Sat-Mon 10:00-24:00", want: "mon 10:00-24:00; tue off; wed off; thu off; fri off; sat 10:00-24:00; sun 10:00-24:00"},
		{in: "saturday,sunday 07:30-12:00;", want: "mon off; tue off; wed off; thu off; fri off; sat 07:30-12:00; sun 07:30-12:00"},
		{in: "always", want: "always"},
		{in: "8-17", wantErr: `"8-17": want HH:MM-HH:MM like 08:00-17:00, or off`},
		{in: "mon-sat 17:00-08:00", wantErr: "must end after they start"},
		{in: "funday 08:00-17:00", wantErr: `unknown day "funday"`},
		{in: "sun off", wantErr: "never on duty"},
		{in: "mon 08:00-12:00 13:00-17:00", wantErr: "want [days] HH:MM-HH:MM or [days] off"},
		{in: "08:00-25:00", wantErr: "want HH:MM-HH:MM"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, err := parseStaffHours(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseStaffHours(%q) = %v, %v; want an error with %q", tt.in, h, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := h.String(); got != tt.want {
				t.Errorf("parseStaffHours(%q) = %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

// fromEnv reads the settings in vars over the defaults. Where wantErr
// is not empty the read must fail, its error saying each of them, and ok
// is false; otherwise it must succeed.
func fromEnv(t *testing.T, vars map[string]string, wantErr []string) (c Config, ok bool) {
	t.Helper()
	c, err := FromEnv(Defaults(), env(vars))
	if len(wantErr) > 0 {
		for _, w := range wantErr {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("error %v does not say %q", err, w)
			}
		}
		return c, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, true
}

func TestStaffSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		hours   string
		idle    time.Duration
		wantErr []string
	}{
		{name: "defaults", env: map[string]string{}, hours: "mon 08:00-20:00; tue 08:00-20:00; wed 08:00-20:00; thu 08:00-20:00; fri 08:00-20:00; sat 08:00-20:00; sun 08:00-20:00", idle: 2 * time.Hour},
		{name: "set", env: map[string]string{"MITRA_STAFF_HOURS": "always", "MITRA_STAFF_IDLE": "45m"}, hours: "always", idle: 45 * time.Minute},
		{name: "bad", env: map[string]string{"MITRA_STAFF_HOURS": "mon 9-5", "MITRA_STAFF_IDLE": "0s"},
			wantErr: []string{`MITRA_STAFF_HOURS="mon 9-5": "mon 9-5": "9-5": want HH:MM-HH:MM`, `MITRA_STAFF_IDLE="0s": want a positive duration`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := fromEnv(t, tt.env, tt.wantErr)
			if !ok {
				return
			}
			if c.StaffHours.String() != tt.hours || c.StaffIdle != tt.idle {
				t.Errorf("staff hours %s, idle %s; want %s, %s", c.StaffHours, c.StaffIdle, tt.hours, tt.idle)
			}
		})
	}
}

func TestAlertSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		owner   time.Duration
		gather  time.Duration
		url     string
		wantErr []string
	}{
		{name: "defaults", env: map[string]string{}, owner: 10 * time.Minute, gather: time.Minute},
		{name: "set", env: map[string]string{"MITRA_STAFF_ALERT_OWNER": "25m", "MITRA_STAFF_ALERT_GATHER": "20s", "MITRA_PUBLIC_URL": "https://toko.example/mitra/"},
			owner: 25 * time.Minute, gather: 20 * time.Second, url: "https://toko.example/mitra"},
		{name: "off", env: map[string]string{"MITRA_STAFF_ALERT_OWNER": "OFF", "MITRA_STAFF_ALERT_GATHER": "0s", "MITRA_PUBLIC_URL": "http://192.168.1.5:8080"},
			url: "http://192.168.1.5:8080"},
		{name: "gathering too long", env: map[string]string{"MITRA_STAFF_ALERT_GATHER": "1h"},
			wantErr: []string{`MITRA_STAFF_ALERT_GATHER="1h": want a duration from 0s to 10m`}},
		{name: "gathering backwards", env: map[string]string{"MITRA_STAFF_ALERT_GATHER": "-1s"},
			wantErr: []string{`MITRA_STAFF_ALERT_GATHER="-1s"`}},
		{name: "not a duration", env: map[string]string{"MITRA_STAFF_ALERT_OWNER": "10"},
			wantErr: []string{`MITRA_STAFF_ALERT_OWNER="10": want a positive duration like 10m, or off`}},
		{name: "zero", env: map[string]string{"MITRA_STAFF_ALERT_OWNER": "0s"},
			wantErr: []string{`MITRA_STAFF_ALERT_OWNER="0s": want a positive duration`}},
		{name: "no scheme", env: map[string]string{"MITRA_PUBLIC_URL": "toko.example"},
			wantErr: []string{`MITRA_PUBLIC_URL="toko.example": want an http or https URL`}},
		{name: "another scheme", env: map[string]string{"MITRA_PUBLIC_URL": "ftp://toko.example"},
			wantErr: []string{`MITRA_PUBLIC_URL="ftp://toko.example": want an http or https URL`}},
		{name: "a query", env: map[string]string{"MITRA_PUBLIC_URL": "https://toko.example/?a=1"},
			wantErr: []string{`MITRA_PUBLIC_URL="https://toko.example/?a=1": want no user, query or fragment`}},
		{name: "a password", env: map[string]string{"MITRA_PUBLIC_URL": "https://u:p@toko.example"},
			wantErr: []string{"want no user, query or fragment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := fromEnv(t, tt.env, tt.wantErr)
			if !ok {
				return
			}
			if c.StaffAlertOwner != tt.owner || c.StaffAlertGather != tt.gather || c.PublicURL != tt.url {
				t.Errorf("owner alert after %s, gathering %s, public URL %q; want %s, %s, %q",
					c.StaffAlertOwner, c.StaffAlertGather, c.PublicURL, tt.owner, tt.gather, tt.url)
			}
		})
	}
}
