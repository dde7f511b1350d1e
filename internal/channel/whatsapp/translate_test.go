package whatsapp

import (
	"reflect"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/mitra-care/mitra/internal/care"
)

// message builds the event whatsmeow emits for a received message.
func message(id string, chat, sender types.JID, m *waE2E.Message, opts ...func(*events.Message)) *events.Message {
	e := &events.Message{
		Info: types.MessageInfo{
			MessageSource: types.MessageSource{Chat: chat, Sender: sender},
			ID:            id,
			PushName:      "Sari",
			Timestamp:     sentAt,
		},
		RawMessage: m,
	}
	for _, o := range opts {
		o(e)
	}
	return e.UnwrapRaw()
}

func fromMe(e *events.Message) {
	e.Info.IsFromMe = true
	e.Info.PushName = "Toko Maju"
}

func group(e *events.Message) { e.Info.IsGroup = true }

func text(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }

func sari(kind care.Kind, txt, choice string) *care.Inbound {
	return &care.Inbound{
		Address:   care.Address{Channel: care.WhatsApp, ID: "6281234567890"},
		MessageID: "M1", Kind: kind, Text: txt, Choice: choice, Name: "Sari", At: sentAt,
	}
}

// alias adds the LID WhatsApp revealed beside the phone number.
func alias(in *care.Inbound, lid types.JID) *care.Inbound {
	in.Alias = care.Address{Channel: care.WhatsApp, ID: "lid-" + lid.User}
	return in
}

func staff(id string) *care.Inbound {
	return &care.Inbound{Address: care.Address{Channel: care.WhatsApp, ID: id}, MessageID: "M1", Kind: care.KindStaff, At: sentAt}
}

func TestReceive(t *testing.T) {
	tests := []struct {
		name string
		evt  *events.Message
		want *care.Inbound // nil: ignored
	}{
		{"plain text", message("M1", sariJID, sariJID, text("halo, masih ada?")), sari(care.KindText, "halo, masih ada?", "")},
		{"extended text", message("M1", sariJID, sariJID, &waE2E.Message{ExtendedTextMessage: &waE2E.ExtendedTextMessage{Text: proto.String("2")}}), sari(care.KindText, "2", "")},
		{"disappearing-mode text", message("M1", sariJID, sariJID, &waE2E.Message{EphemeralMessage: &waE2E.FutureProofMessage{Message: text("halo")}}), sari(care.KindText, "halo", "")},
		{"image with caption", message("M1", sariJID, sariJID, &waE2E.Message{ImageMessage: &waE2E.ImageMessage{Caption: proto.String("yang ini")}}), sari(care.KindImage, "", "")},
		{"sticker", message("M1", sariJID, sariJID, &waE2E.Message{StickerMessage: &waE2E.StickerMessage{}}), sari(care.KindSticker, "", "")},
		{"voice note", message("M1", sariJID, sariJID, &waE2E.Message{AudioMessage: &waE2E.AudioMessage{PTT: proto.Bool(true)}}), sari(care.KindVoice, "", "")},
		{"audio file", message("M1", sariJID, sariJID, &waE2E.Message{AudioMessage: &waE2E.AudioMessage{}}), sari(care.KindAudio, "", "")},
		{"video", message("M1", sariJID, sariJID, &waE2E.Message{VideoMessage: &waE2E.VideoMessage{}}), sari(care.KindVideo, "", "")},
		{"document", message("M1", sariJID, sariJID, &waE2E.Message{DocumentMessage: &waE2E.DocumentMessage{FileName: proto.String("po.pdf")}}), sari(care.KindDocument, "", "")},
		{"location", message("M1", sariJID, sariJID, &waE2E.Message{LocationMessage: &waE2E.LocationMessage{DegreesLatitude: proto.Float64(-6.2)}}), sari(care.KindLocation, "", "")},
		{"contact card", message("M1", sariJID, sariJID, &waE2E.Message{ContactMessage: &waE2E.ContactMessage{DisplayName: proto.String("Budi")}}), sari(care.KindContact, "", "")},
		{"contact cards", message("M1", sariJID, sariJID, &waE2E.Message{ContactsArrayMessage: &waE2E.ContactsArrayMessage{}}), sari(care.KindContact, "", "")},
		{"poll", message("M1", sariJID, sariJID, &waE2E.Message{PollCreationMessage: &waE2E.PollCreationMessage{Name: proto.String("?")}}), sari(care.KindOther, "", "")},
		{"button reply", message("M1", sariJID, sariJID, &waE2E.Message{ButtonsResponseMessage: &waE2E.ButtonsResponseMessage{
			SelectedButtonID: proto.String("order"),
			Response:         &waE2E.ButtonsResponseMessage_SelectedDisplayText{SelectedDisplayText: "Pesan"},
		}}), sari(care.KindChoice, "Pesan", "order")},
		{"list reply", message("M1", sariJID, sariJID, &waE2E.Message{ListResponseMessage: &waE2E.ListResponseMessage{
			SingleSelectReply: &waE2E.ListResponseMessage_SingleSelectReply{SelectedRowID: proto.String("size-m")},
		}}), sari(care.KindChoice, "", "size-m")},

		{"group", message("M1", types.NewJID("120363000000000001", types.GroupServer), sariJID, text("halo"), group), nil},
		{"status update", message("M1", types.StatusBroadcastJID, sariJID, text("promo!"), group), nil},
		{"broadcast list", message("M1", types.NewJID("1700000000", types.BroadcastServer), sariJID, text("promo!"), group), nil},
		{"newsletter", message("M1", types.NewJID("120363000000000002", types.NewsletterServer), types.NewJID("120363000000000002", types.NewsletterServer), text("news")), nil},
		{"reaction", message("M1", sariJID, sariJID, &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("👍")}}), nil},
		{"revoke", message("M1", sariJID, sariJID, &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_REVOKE.Enum()}}), nil},
		{"edit", message("M1", sariJID, sariJID, &waE2E.Message{EditedMessage: &waE2E.FutureProofMessage{Message: text("halo!")}}), nil},
		{"empty", message("M1", sariJID, sariJID, &waE2E.Message{MessageContextInfo: &waE2E.MessageContextInfo{}}), nil},

		{"LID sender with phone number attached", message("M1", sariLID, sariLID, text("halo"), func(e *events.Message) { e.Info.SenderAlt = sariJID }), alias(sari(care.KindText, "halo", ""), sariLID)},
		{"phone sender with LID attached", message("M1", sariJID, sariJID, text("halo"), func(e *events.Message) { e.Info.SenderAlt = sariLID }), alias(sari(care.KindText, "halo", ""), sariLID)},
		{"LID sender known to the LID store", message("M1", budiLID, budiLID, text("halo"), func(e *events.Message) { e.Info.PushName = "Budi" }),
			alias(&care.Inbound{Address: care.Address{Channel: care.WhatsApp, ID: "6285711112222"}, MessageID: "M1", Kind: care.KindText, Text: "halo", Name: "Budi", At: sentAt}, budiLID)},
		{"phone sender known to the LID store", message("M1", budiJID, budiJID, text("halo"), func(e *events.Message) { e.Info.PushName = "Budi" }),
			alias(&care.Inbound{Address: care.Address{Channel: care.WhatsApp, ID: "6285711112222"}, MessageID: "M1", Kind: care.KindText, Text: "halo", Name: "Budi", At: sentAt}, budiLID)},
		{"LID sender nobody knows", message("M1", ghostLID, ghostLID, text("halo")),
			&care.Inbound{Address: care.Address{Channel: care.WhatsApp, ID: "lid-77777777777777"}, MessageID: "M1", Kind: care.KindText, Text: "halo", Name: "Sari", At: sentAt}},

		{"shop's phone writes in a chat", message("M1", sariJID, shopJID, text("Siap kak, saya cek dulu"), fromMe), staff("6281234567890")},
		{"shop's phone sends a photo", message("M1", sariJID, shopJID, &waE2E.Message{ImageMessage: &waE2E.ImageMessage{}}, fromMe), staff("6281234567890")},
		{"shop's phone, as seen by a linked device", message("M1", sariJID, shopJID, &waE2E.Message{DeviceSentMessage: &waE2E.DeviceSentMessage{
			DestinationJID: proto.String(sariJID.String()), Message: text("ok kak"),
		}}, fromMe), staff("6281234567890")},
		{"shop's phone in a LID chat", message("M1", budiLID, shopLID, text("ok"), fromMe, func(e *events.Message) { e.Info.RecipientAlt = budiJID }), alias(staff("6285711112222"), budiLID)},
		{"shop's phone in a group", message("M1", types.NewJID("120363000000000001", types.GroupServer), shopJID, text("halo"), fromMe, group), nil},
		{"shop's phone to itself", message("M1", shopJID, shopJID, text("catatan"), fromMe), nil},
		{"shop's phone syncing keys", message("M1", shopJID, shopJID, &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_APP_STATE_SYNC_KEY_SHARE.Enum()}}, fromMe), nil},
		{"shop's phone reacts", message("M1", sariJID, shopJID, &waE2E.Message{ReactionMessage: &waE2E.ReactionMessage{Text: proto.String("🙏")}}, fromMe), nil},
		{"the adapter's own message", message("3EB0SENT", sariJID, shopJID, text("Terima kasih!"), fromMe), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			hs.c.sent.add("3EB0SENT")
			if ack := hs.c.onEvent(tt.evt); !ack {
				t.Errorf("onEvent = false, want the message acknowledged")
			}
			got := hs.h.received()
			switch {
			case tt.want == nil && len(got) > 0:
				t.Errorf("handler got %+v, want the message ignored", got)
			case tt.want != nil && len(got) != 1:
				t.Errorf("handler got %d messages, want 1", len(got))
			case tt.want != nil && !reflect.DeepEqual(got[0], *tt.want):
				t.Errorf("handler got\n %+v\nwant\n %+v", got[0], *tt.want)
			}
			if calls := hs.client.log(); len(calls) > 0 {
				t.Errorf("receiving called WhatsApp: %v", calls)
			}
		})
	}
}
