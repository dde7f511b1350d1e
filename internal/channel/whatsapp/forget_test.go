package whatsapp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"

	"github.com/mitra-care/mitra/internal/care"
)

// pairedStore is a device store holding a paired device, as a finished
// pairing leaves it.
func pairedStore(t *testing.T) (*Store, *store.Device) {
	t.Helper()
	st, err := Open(t.Context(), t.TempDir(), quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st, pair(t, st)
}

// pair stores a paired device in st.
func pair(t *testing.T, st *Store) *store.Device {
	t.Helper()
	dev := st.container.NewDevice()
	jid := types.NewADJID(shopJID.User, 0, 7)
	dev.ID, dev.PushName = &jid, "Toko Maju"
	dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := dev.Save(t.Context()); err != nil {
		t.Fatal(err)
	}
	return dev
}

// remember has whatsmeow store, through its own store interfaces, what
// it keeps about a person it talks to by phone number and by LID.
func remember(ctx context.Context, t *testing.T, dev *store.Device, pn, lid types.JID, name string) {
	t.Helper()
	phoneDevice := types.JID{User: pn.User, Server: pn.Server, Device: 3}
	lidDevice := types.JID{User: lid.User, Server: lid.Server, Device: 3}
	group := types.NewJID("120363000000000001", types.GroupServer)
	steps := []error{
		dev.LIDs.PutLIDMapping(ctx, lid, pn),
		dev.Sessions.PutSession(ctx, phoneDevice.SignalAddress().String(), []byte{1}),
		dev.Sessions.PutSession(ctx, lidDevice.SignalAddress().String(), []byte{1}),
		dev.Identities.PutIdentity(ctx, lidDevice.SignalAddress().String(), [32]byte{1}),
		dev.SenderKeys.PutSenderKey(ctx, group.String(), lidDevice.SignalAddress().String(), []byte{1}),
		dev.MsgSecrets.PutMessageSecret(ctx, lid, lidDevice, "M-"+lid.User, make([]byte, 32)),
		dev.PrivacyTokens.PutPrivacyTokens(ctx, store.PrivacyToken{User: lid, Token: []byte{1}, Timestamp: time.Now()}),
		dev.ChatSettings.PutArchived(ctx, pn, true),
		dev.EventBuffer.AddOutgoingEvent(ctx, pn, "OUT-"+pn.User, "proto", []byte("Terima kasih, "+name)),
	}
	for _, jid := range []types.JID{pn, lid} {
		_, _, err := dev.Contacts.PutPushName(ctx, jid, name)
		steps = append(steps, err)
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("%s: step %d: %v", name, i, err)
		}
	}
}

// traces counts, table by table, the rows of whatsmeow's tables that
// name user in any column.
func traces(ctx context.Context, t *testing.T, st *Store, user string) map[string]int {
	t.Helper()
	tables := map[string][]string{
		"whatsmeow_contacts":        {"their_jid"},
		"whatsmeow_lid_map":         {"lid", "pn"},
		"whatsmeow_sessions":        {"their_id"},
		"whatsmeow_identity_keys":   {"their_id"},
		"whatsmeow_sender_keys":     {"sender_id"},
		"whatsmeow_message_secrets": {"chat_jid", "sender_jid"},
		"whatsmeow_privacy_tokens":  {"their_jid"},
		"whatsmeow_chat_settings":   {"chat_jid"},
		"whatsmeow_retry_buffer":    {"chat_jid"},
	}
	out := map[string]int{}
	for table, cols := range tables {
		var where []string
		var args []any
		for _, c := range cols {
			where = append(where, c+" LIKE ?")
			args = append(args, "%"+user+"%")
		}
		var n int
		q := fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE %s", table, strings.Join(where, " OR "))
		if err := st.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			out[table] = n
		}
	}
	return out
}

// Erasure reaches whatsapp.db: whatever address of the person erasure
// names, every row about their phone number and their LID goes, with the
// channel's memory of their chat; other people's rows stay.
func TestForget(t *testing.T) {
	const sari, sariAlias, budi = "6281234567890", "lid-12345678901234", "6285711112222"
	tests := []struct {
		name   string
		forget care.Address
		gone   bool // Sari's traces are gone
	}{
		{"by phone number", care.Address{Channel: care.WhatsApp, ID: sari}, true},
		{"by LID", care.Address{Channel: care.WhatsApp, ID: sariAlias}, true},
		{"another person", care.Address{Channel: care.WhatsApp, ID: "6287700001111"}, false},
		{"another channel", care.Address{Channel: care.Telegram, ID: sari}, false},
		{"simulated contact", care.Address{Channel: care.WhatsApp, ID: care.SimPrefix + sari}, false},
		{"not a WhatsApp id", care.Address{Channel: care.WhatsApp, ID: "6281234567890%"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			st, dev := pairedStore(t)
			remember(ctx, t, dev, sariJID, sariLID, "Sari")
			remember(ctx, t, dev, budiJID, budiLID, "Budi")
			hs := newHarness(t, func(c *Config) { c.Store = st })
			hs.c.rememberUnread(sari, sariJID, "M1")
			hs.c.rememberUnread(sariAlias, sariLID, "M2")
			hs.c.rememberUnread(budi, budiJID, "M3")
			hs.c.setOnWhatsApp(sari, true)
			hs.c.pacer.reserve(sari, care.Reply)
			sariBefore := traces(ctx, t, st, sariJID.User)
			lidBefore := traces(ctx, t, st, sariLID.User)
			budiBefore := traces(ctx, t, st, budiJID.User)
			if len(sariBefore) != 5 || len(lidBefore) != 7 {
				t.Fatalf("whatsmeow stored %v under the number and %v under the LID: the test no longer puts a row in every table", sariBefore, lidBefore)
			}

			for range 2 { // idempotent
				if err := hs.c.Forget(ctx, tt.forget); err != nil {
					t.Fatalf("Forget = %v", err)
				}
			}
			sariAfter, lidAfter := traces(ctx, t, st, sariJID.User), traces(ctx, t, st, sariLID.User)
			if tt.gone && (len(sariAfter) > 0 || len(lidAfter) > 0) {
				t.Errorf("left under the number %v, under the LID %v", sariAfter, lidAfter)
			}
			if !tt.gone && (fmt.Sprint(sariAfter) != fmt.Sprint(sariBefore) || fmt.Sprint(lidAfter) != fmt.Sprint(lidBefore)) {
				t.Errorf("rows of someone else went: %v %v, were %v %v", sariAfter, lidAfter, sariBefore, lidBefore)
			}
			if after := traces(ctx, t, st, budiJID.User); fmt.Sprint(after) != fmt.Sprint(budiBefore) {
				t.Errorf("Budi's rows %v, were %v", after, budiBefore)
			}

			hs.c.mu.Lock()
			_, unreadPhone := hs.c.unread[sari]
			_, unreadLID := hs.c.unread[sariAlias]
			_, unreadBudi := hs.c.unread[budi]
			_, onWA := hs.c.onWA[sari]
			hs.c.mu.Unlock()
			hs.c.pacer.mu.Lock()
			_, paced := hs.c.pacer.chatNext[sari]
			hs.c.pacer.mu.Unlock()
			if remembered := unreadPhone || unreadLID || onWA || paced; remembered == tt.gone {
				t.Errorf("channel remembers Sari's chat: unread %v/%v, on WhatsApp %v, paced %v", unreadPhone, unreadLID, onWA, paced)
			}
			if !unreadBudi {
				t.Error("Budi's unread messages were forgotten")
			}
			if strings.Contains(hs.logged(), sari) || strings.Contains(hs.logged(), sariLID.User) {
				t.Errorf("the log names Sari:\n%s", hs.logged())
			}
		})
	}
}

// What the store keeps survives a reopen, and so does what Forget
// removed: whatsmeow, reading the file afresh, knows Budi and not Sari.
func TestForgetAfterReopen(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	st, err := Open(ctx, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	dev := pair(t, st)
	remember(ctx, t, dev, sariJID, sariLID, "Sari")
	remember(ctx, t, dev, budiJID, budiLID, "Budi")
	c := New(Config{Store: st}, &fakeHandler{}, quiet())
	if err := c.Forget(ctx, care.Address{Channel: care.WhatsApp, ID: "lid-" + sariLID.User}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = Open(ctx, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dev, err = st.device(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		who      string
		pn, lid  types.JID
		name     string
		remained bool
	}{
		{"Sari", sariJID, sariLID, "Sari", false},
		{"Budi", budiJID, budiLID, "Budi", true},
	} {
		contact, err := dev.Contacts.GetContact(ctx, tt.pn)
		if err != nil || contact.Found != tt.remained || (tt.remained && contact.PushName != tt.name) {
			t.Errorf("%s's contact: %+v %v, want found %v", tt.who, contact, err, tt.remained)
		}
		pn, err := dev.LIDs.GetPNForLID(ctx, tt.lid)
		if err != nil || (pn == tt.pn) != tt.remained {
			t.Errorf("%s's LID maps to %v (%v), want kept %v", tt.who, pn, err, tt.remained)
		}
		has, err := dev.Sessions.HasSession(ctx, types.JID{User: tt.lid.User, Server: tt.lid.Server, Device: 3}.SignalAddress().String())
		if err != nil || has != tt.remained {
			t.Errorf("%s's session: %v (%v), want %v", tt.who, has, err, tt.remained)
		}
	}
}
