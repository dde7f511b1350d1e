package redisstore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
)

const (
	pw1 = "kopi-susu-2026"
	pw2 = "teh-manis-dingin"
)

// newStaff returns accounts on a fresh prefix, with a fast bcrypt and a
// clock the test moves.
func newStaff(t *testing.T) (*Staff, *clock, redis.UniversalClient) {
	t.Helper()
	clk := &clock{now: t0}
	s, client := newStore(t, WithClock(clk.Now))
	return s.Staff(WithBcryptCost(bcrypt.MinCost)), clk, client
}

func mustAdd(t *testing.T, st *Staff, name string, role care.StaffRole) care.StaffAccount {
	t.Helper()
	a, err := st.AddStaff(ctx, name, role, pw1)
	if err != nil {
		t.Fatalf("add %s: %v", name, err)
	}
	return a
}

func TestStaffDefaults(t *testing.T) {
	s, _ := newStore(t)
	st := s.Staff()
	if st.cost != 12 || st.sessionTTL != 12*time.Hour {
		t.Errorf("cost %d, session TTL %v; want 12 and 12h", st.cost, st.sessionTTL)
	}
	if cost, err := bcrypt.Cost(st.dummyHash()); err != nil || cost != 12 {
		t.Errorf("dummy hash of cost %d (%v), want 12", cost, err)
	}
}

func TestAddStaff(t *testing.T) {
	st, _, client := newStaff(t)
	mustAdd(t, st, "Sari", care.RoleOwner)
	tests := []struct {
		name, password string
		role           care.StaffRole
		code           string
	}{
		{name: "budi", password: pw1, role: care.RoleStaff},
		{name: "a.b_c-9", password: pw1, role: care.RoleStaff},
		{name: strings.Repeat("x", 32), password: pw1, role: care.RoleStaff},
		{name: "sari", password: pw1, role: care.RoleStaff, code: care.EConflict},
		{name: "SARI", password: pw1, role: care.RoleStaff, code: care.EConflict},
		{name: "", password: pw1, role: care.RoleStaff, code: care.EInvalid},
		{name: strings.Repeat("x", 33), password: pw1, role: care.RoleStaff, code: care.EInvalid},
		{name: "sari budi", password: pw1, role: care.RoleStaff, code: care.EInvalid},
		{name: "sári", password: pw1, role: care.RoleStaff, code: care.EInvalid},
		{name: "x:y", password: pw1, role: care.RoleStaff, code: care.EInvalid},
		{name: "dewi", password: pw1, role: "admin", code: care.EInvalid},
		{name: "dewi", password: "pendek", role: care.RoleStaff, code: care.EInvalid},
		{name: "dewi", password: "123456789", role: care.RoleStaff, code: care.EInvalid},
		{name: "dewi", password: strings.Repeat("p", 73), role: care.RoleStaff, code: care.EInvalid},
	}
	for _, tt := range tests {
		_, err := st.AddStaff(ctx, tt.name, tt.role, tt.password)
		if got := care.ErrorCode(err); got != tt.code {
			t.Errorf("AddStaff(%q, %q, %d-char password) = %v, want code %q", tt.name, tt.role, len(tt.password), err, tt.code)
		}
	}

	list, err := st.StaffAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	if want := "a.b_c-9 budi Sari " + strings.Repeat("x", 32); strings.Join(names, " ") != want {
		t.Errorf("accounts %q, want %q", names, want)
	}
	a, ok, err := st.StaffAccount(ctx, "SARI")
	if err != nil || !ok || a.Name != "Sari" || a.Role != care.RoleOwner || !a.Created.Equal(t0) || !a.PasswordChanged.Equal(t0) {
		t.Errorf("StaffAccount(SARI) = %+v, %t, %v; want Sari, owner, created at t0", a, ok, err)
	}
	if _, ok, err := st.StaffAccount(ctx, "nobody"); ok || err != nil {
		t.Errorf("StaffAccount(nobody) = %t, %v", ok, err)
	}

	// The hash stays in Redis: it is in no account's JSON, and the
	// password is nowhere.
	b, _ := json.Marshal(list)
	if strings.Contains(string(b), "$2a$") || strings.Contains(string(b), "hash") {
		t.Errorf("accounts' JSON shows the hash: %s", b)
	}
	raw, err := client.HGet(ctx, st.accounts, "sari").Result()
	if err != nil {
		t.Fatal(err)
	}
	var rec staffRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(rec.Hash)); err != nil || cost != bcrypt.MinCost {
		t.Errorf("stored hash %q: cost %d (%v), want a bcrypt hash of cost %d", rec.Hash, cost, err, bcrypt.MinCost)
	}
	if strings.Contains(raw, pw1) {
		t.Errorf("the password is stored: %s", raw)
	}
}

func TestCheckStaffPassword(t *testing.T) {
	st, _, _ := newStaff(t)
	mustAdd(t, st, "Sari", care.RoleOwner)
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"Sari", pw1, true},
		{"sari", pw1, true},
		{"SARI", pw1, true},
		{"sari", pw2, false},
		{"sari", "", false},
		{"sari", strings.ToUpper(pw1), false},
		{"sari", pw1 + strings.Repeat("x", 72), false},
		{"budi", pw1, false},
		{"not a name", pw1, false},
		{"", "", false},
	}
	for _, tt := range tests {
		a, ok, err := st.CheckStaffPassword(ctx, tt.name, tt.password)
		if err != nil || ok != tt.ok || ok && a.Name != "Sari" {
			t.Errorf("CheckStaffPassword(%q, %q) = %+v, %t, %v; want ok %t", tt.name, tt.password, a, ok, err, tt.ok)
		}
	}
	if cost, _ := bcrypt.Cost(st.dummyHash()); cost != bcrypt.MinCost {
		t.Errorf("dummy hash of cost %d, want the store's %d", cost, bcrypt.MinCost)
	}
}

func TestStaffSessions(t *testing.T) {
	st, clk, client := newStaff(t)
	mustAdd(t, st, "Sari", care.RoleOwner)
	mustAdd(t, st, "budi", care.RoleStaff)
	check := func(token string, want bool) {
		t.Helper()
		a, ok, err := st.CheckStaffSession(ctx, token)
		if err != nil || ok != want {
			t.Fatalf("session valid %t (%v), want %t", ok, err, want)
		}
		if ok && a.Name != "Sari" {
			t.Fatalf("session of %q, want Sari", a.Name)
		}
	}
	token, err := st.StartStaffSession(ctx, "sari")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 43 {
		t.Errorf("token %q: want 256 bits in 43 characters", token)
	}
	check(token, true)
	// Only the token's hash is kept.
	keys, _ := client.Keys(ctx, st.store.prefix+":*").Result()
	for _, k := range keys {
		if strings.Contains(k, token) {
			t.Errorf("key %s holds the token", k)
		}
	}
	if ttl := client.PTTL(ctx, st.sessionKey(secretHash(token))).Val(); ttl <= 11*time.Hour || ttl > 12*time.Hour {
		t.Errorf("session key expires in %v, want 12h", ttl)
	}

	// Sliding: each request keeps it 12 hours longer.
	clk.add(11 * time.Hour)
	check(token, true)
	clk.add(11 * time.Hour)
	check(token, true)
	clk.add(12*time.Hour + time.Millisecond)
	check(token, false)
	if n := client.Exists(ctx, st.sessionKey(secretHash(token))).Val(); n != 0 {
		t.Errorf("the expired session is still stored")
	}

	for _, bad := range []string{"", "x", strings.Repeat("a", 43), strings.Repeat("a", 500)} {
		check(bad, false)
	}
	if _, err := st.StartStaffSession(ctx, "nobody"); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("session for no account: %v, want not found", err)
	}

	// Logout ends one session, not the account's others.
	a, _ := st.StartStaffSession(ctx, "sari")
	b, _ := st.StartStaffSession(ctx, "sari")
	if err := st.EndStaffSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	check(a, false)
	check(b, true)

	// A new password ends every session; the other account's stay.
	other, _ := st.StartStaffSession(ctx, "budi")
	if err := st.SetStaffPassword(ctx, "SARI", pw2); err != nil {
		t.Fatal(err)
	}
	check(b, false)
	if _, ok, _ := st.CheckStaffSession(ctx, other); !ok {
		t.Errorf("budi's session ended with Sari's password")
	}
	if _, ok, _ := st.CheckStaffPassword(ctx, "sari", pw2); !ok {
		t.Errorf("the new password does not work")
	}
	if _, ok, _ := st.CheckStaffPassword(ctx, "sari", pw1); ok {
		t.Errorf("the old password still works")
	}
	if err := st.SetStaffPassword(ctx, "sari", "short"); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("short password: %v", err)
	}
	if err := st.SetStaffPassword(ctx, "nobody", pw2); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("password of no account: %v", err)
	}
}

func TestStaffTokens(t *testing.T) {
	st, clk, client := newStaff(t)
	mustAdd(t, st, "Sari", care.RoleOwner)
	mustAdd(t, st, "budi", care.RoleStaff)
	tok, secret, err := st.CreateStaffToken(ctx, "sari", "laptop kasir")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "mitra_") || tok.Account != "Sari" || tok.Label != "laptop kasir" || tok.ID == "" {
		t.Errorf("token %+v, secret %q", tok, secret)
	}
	if a, ok, err := st.CheckStaffToken(ctx, secret); !ok || err != nil || a.Name != "Sari" {
		t.Errorf("CheckStaffToken = %+v, %t, %v", a, ok, err)
	}
	for _, bad := range []string{"", "mitra_", secret[:len(secret)-1], strings.TrimPrefix(secret, "mitra_")} {
		if _, ok, err := st.CheckStaffToken(ctx, bad); ok || err != nil {
			t.Errorf("CheckStaffToken(%q) = %t, %v; want refused", bad, ok, err)
		}
	}
	raw, _ := client.HGetAll(ctx, st.tokens).Result()
	for k, v := range raw {
		if strings.Contains(k+v, secret[6:]) {
			t.Errorf("the secret is stored: %s %s", k, v)
		}
	}
	if _, _, err := st.CreateStaffToken(ctx, "nobody", ""); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("token for no account: %v", err)
	}
	if _, _, err := st.CreateStaffToken(ctx, "sari", "a\nb"); care.ErrorCode(err) != care.EInvalid {
		t.Errorf("label with a new line: %v", err)
	}

	clk.add(time.Minute)
	second, secret2, _ := st.CreateStaffToken(ctx, "SARI", "")
	_, budis, _ := st.CreateStaffToken(ctx, "budi", "")
	list, err := st.StaffTokens(ctx, "sari")
	if err != nil || len(list) != 2 || list[0].ID != tok.ID || list[1].ID != second.ID {
		t.Errorf("StaffTokens(sari) = %+v, %v; want the two, oldest first", list, err)
	}

	// Revoking takes the account's own token only.
	if err := st.RevokeStaffToken(ctx, "budi", tok.ID); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("budi revoking Sari's token: %v, want not found", err)
	}
	if err := st.RevokeStaffToken(ctx, "sari", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.CheckStaffToken(ctx, secret); ok {
		t.Errorf("a revoked token works")
	}
	if _, ok, _ := st.CheckStaffToken(ctx, secret2); !ok {
		t.Errorf("revoking one token revoked another")
	}
	if err := st.RevokeStaffToken(ctx, "sari", tok.ID); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("revoking twice: %v", err)
	}

	// A new password keeps the tokens.
	if err := st.SetStaffPassword(ctx, "sari", pw2); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := st.CheckStaffToken(ctx, secret2); !ok {
		t.Errorf("a new password revoked the account's token")
	}
	if _, ok, _ := st.CheckStaffToken(ctx, budis); !ok {
		t.Errorf("budi's token does not work")
	}
}

func TestRemoveStaff(t *testing.T) {
	st, _, client := newStaff(t)
	mustAdd(t, st, "Sari", care.RoleOwner)
	mustAdd(t, st, "budi", care.RoleStaff)
	session, _ := st.StartStaffSession(ctx, "sari")
	_, secret, _ := st.CreateStaffToken(ctx, "sari", "")
	budiSession, _ := st.StartStaffSession(ctx, "budi")
	_, budiSecret, _ := st.CreateStaffToken(ctx, "budi", "")

	if err := st.RemoveStaff(ctx, "SARI"); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveStaff(ctx, "sari"); care.ErrorCode(err) != care.ENotFound {
		t.Errorf("removing twice: %v, want not found", err)
	}
	if _, ok, _ := st.StaffAccount(ctx, "sari"); ok {
		t.Errorf("the account is still there")
	}
	if n := client.HLen(ctx, st.tokens).Val(); n != 1 {
		t.Errorf("%d tokens stored, want budi's alone", n)
	}
	// An account made again under the name gets none of the old one's
	// sessions or tokens.
	mustAdd(t, st, "sari", care.RoleOwner)
	if _, ok, _ := st.CheckStaffSession(ctx, session); ok {
		t.Errorf("the removed account's session works")
	}
	if _, ok, _ := st.CheckStaffToken(ctx, secret); ok {
		t.Errorf("the removed account's token works")
	}
	if _, ok, _ := st.CheckStaffSession(ctx, budiSession); !ok {
		t.Errorf("budi's session ended")
	}
	if _, ok, _ := st.CheckStaffToken(ctx, budiSecret); !ok {
		t.Errorf("budi's token was revoked")
	}
}

func TestStaffLoginThrottle(t *testing.T) {
	type attempt struct {
		name, client string
		ok           bool
		// after moves the clock before the attempt.
		after time.Duration
	}
	fails := func(n int, name, client string) []attempt {
		out := make([]attempt, n)
		for i := range out {
			out[i] = attempt{name: name, client: client}
		}
		return out
	}
	tests := []struct {
		name     string
		attempts []attempt
		// locked are the name and client pairs locked at the end.
		locked, open [][2]string
	}{
		{name: "four failures lock nothing", attempts: fails(4, "sari", "10.0.0.1"),
			open: [][2]string{{"sari", "10.0.0.1"}}},
		{name: "the fifth locks the account and the address", attempts: fails(5, "sari", "10.0.0.1"),
			locked: [][2]string{{"sari", "10.0.0.9"}, {"budi", "10.0.0.1"}, {"SARI", ""}}, open: [][2]string{{"budi", "10.0.0.9"}}},
		{name: "per account, from many addresses", attempts: append(fails(3, "sari", "10.0.0.1"), fails(2, "sari", "10.0.0.2")...),
			locked: [][2]string{{"sari", "10.0.0.3"}}, open: [][2]string{{"budi", "10.0.0.1"}, {"budi", "10.0.0.2"}}},
		{name: "per address, over many names", attempts: append(append(fails(2, "sari", "10.0.0.1"), fails(2, "budi", "10.0.0.1")...), fails(1, "nobody", "10.0.0.1")...),
			locked: [][2]string{{"dewi", "10.0.0.1"}}, open: [][2]string{{"sari", "10.0.0.2"}, {"budi", "10.0.0.2"}}},
		{name: "names that cannot be an account's count for the address", attempts: fails(5, "not a name", "10.0.0.1"),
			locked: [][2]string{{"sari", "10.0.0.1"}}, open: [][2]string{{"sari", "10.0.0.2"}}},
		{name: "a success clears the account's failures, not the address's",
			attempts: append(append(fails(4, "sari", "10.0.0.1"), attempt{name: "sari", client: "10.0.0.1", ok: true}, attempt{name: "budi", client: "10.0.0.1"}), fails(3, "sari", "10.0.0.2")...),
			locked:   [][2]string{{"dewi", "10.0.0.1"}}, open: [][2]string{{"sari", "10.0.0.4"}}},
		{name: "failures older than the window are forgotten",
			attempts: append(fails(4, "sari", "10.0.0.1"), attempt{name: "sari", client: "10.0.0.1", after: 15*time.Minute + time.Millisecond}),
			open:     [][2]string{{"sari", "10.0.0.1"}}},
		{name: "a lock ends after 15 minutes", attempts: append(fails(5, "sari", "10.0.0.1"), attempt{name: "budi", client: "10.0.0.2", ok: true, after: 15*time.Minute + time.Millisecond}),
			open: [][2]string{{"sari", "10.0.0.1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, clk, _ := newStaff(t)
			for _, a := range tt.attempts {
				clk.add(a.after)
				if err := st.RecordStaffLogin(ctx, a.name, a.client, a.ok); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range tt.locked {
				until, err := st.StaffLoginLocked(ctx, p[0], p[1])
				if err != nil || until.IsZero() {
					t.Errorf("%s from %s: locked until %v (%v), want locked", p[0], p[1], until, err)
				} else if want := clk.Now().Add(15 * time.Minute); until.After(want) || until.Before(want.Add(-time.Minute)) {
					t.Errorf("%s from %s: locked until %v, want about %v", p[0], p[1], until, want)
				}
			}
			for _, p := range tt.open {
				if until, err := st.StaffLoginLocked(ctx, p[0], p[1]); err != nil || !until.IsZero() {
					t.Errorf("%s from %s: locked until %v (%v), want open", p[0], p[1], until, err)
				}
			}
		})
	}
}
