package app

import (
	"fmt"
	"slices"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/channel/telegram/telegramtest"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// TestStaffAlertsOnTelegram runs the whole program against the Bot API
// emulator: two staff members link their own Telegram chats, a
// customer asks for a person, both staff get the alert with a Klaim
// button, the first tap takes the conversation over and the second
// hears who took it. The staff chats never become contacts, and every
// alert is in the audit.
func TestStaffAlertsOnTelegram(t *testing.T) {
	bot := telegramtest.NewServer(t)
	a := start(t, func(c *config.Config) {
		c.WhatsApp.Mode = "off"
		c.Telegram.Token = telegramtest.Token
		c.Telegram.APIURL = bot.URL()
		c.StaffHours = care.StaffHours{} // always on duty
		c.StaffAlertGather = 0
		c.PublicURL = "https://toko.example"
	})
	client, err := redisstore.Open(a.cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	store := redisstore.New(client, a.cfg.RedisPrefix)
	ctx := t.Context()

	const rinaChat, dewiChat, customer = 8001, 8002, 4242
	rina, dewi := &chat{t: t, bot: bot, id: rinaChat}, &chat{t: t, bot: bot, id: dewiChat}
	codes := map[string]string{}
	for _, name := range []string{"Rina", "Dewi"} {
		if _, err := store.Staff(redisstore.WithBcryptCost(bcrypt.MinCost)).AddStaff(ctx, name, care.RoleStaff, "kopi-susu-2026"); err != nil {
			t.Fatal(err)
		}
		if codes[name], _, err = store.StaffLinkCode(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	bot.Push(telegramtest.TextUpdate(rinaChat, 1, "LINK "+codes["Rina"]))
	want(t, rina.next(1)[0], "✅ Terhubung sebagai Rina.", nil)
	bot.Push(telegramtest.TextUpdate(dewiChat, 1, "/start link-"+codes["Dewi"])) // t.me/<bot>?start=link-<code>
	want(t, dewi.next(1)[0], "✅ Terhubung sebagai Dewi.", nil)

	siti := &chat{t: t, bot: bot, id: customer}
	bot.Push(telegramtest.TextUpdate(customer, 1, "halo"))
	menu := siti.next(2)[1]
	bot.Push(telegramtest.CallbackUpdate(customer, "100", menu.Buttons[3][0].CallbackData)) // Bicara dengan staf
	siti.next(1)
	id, ok, err := store.Lookup(ctx, care.Address{Channel: care.Telegram, ID: fmt.Sprint(customer)})
	if err != nil || !ok {
		t.Fatalf("the customer's contact: %v, %v", ok, err)
	}

	buttons := [][]telegramtest.Button{{{Text: "Klaim Siti Rahma", CallbackData: "claim:" + string(id)}}}
	alert := rina.next(1)[0]
	want(t, alert, "🔔 1 percakapan menunggu staf:\n\n• Siti Rahma · Telegram · sejak ", buttons)
	want(t, dewi.next(1)[0], "• Siti Rahma · Telegram", buttons)

	bot.Push(telegramtest.CallbackUpdate(rinaChat, "201", alert.Buttons[0][0].CallbackData))
	want(t, rina.next(1)[0], "✅ Percakapan dengan Siti Rahma sekarang Anda pegang. Balas di konsol: https://toko.example/console/c/"+string(id), nil)
	bot.Push(telegramtest.CallbackUpdate(dewiChat, "202", alert.Buttons[0][0].CallbackData))
	want(t, dewi.next(1)[0], "Rina sudah mengambil percakapan dengan Siti Rahma.", nil)
	c, _, err := store.Contact(ctx, id)
	if err != nil || c.Handover.State != care.StateHeld || c.Handover.Holder != "Rina" {
		t.Errorf("the customer's handover %+v, %v; want Rina holds it", c.Handover, err)
	}

	notStored(t, store, rinaChat)
	notStored(t, store, dewiChat)
	audit, err := store.Audit(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	alerts := slices.DeleteFunc(audit, func(e map[string]string) bool { return e["class"] != string(care.StaffAlert) })
	// Two links confirmed, two alerts, two answers to the taps.
	if len(alerts) != 6 || slices.ContainsFunc(alerts, func(e map[string]string) bool { return e["verdict"] != "allow" || e["sent"] != "true" }) {
		t.Errorf("the audit's staff alerts: %v", alerts)
	}
}
