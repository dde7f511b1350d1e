package telegramtest

// Update is an update as Telegram sends it, without its update_id: Push
// gives it one, and a test posting it to a webhook adds its own.
type Update map[string]any

// Customer is the Telegram user every update here comes from: Siti
// Rahma, user 4242, who speaks Indonesian. Each call returns a new map.
func Customer() map[string]any {
	return map[string]any{"id": 4242, "is_bot": false, "first_name": "Siti", "last_name": "Rahma", "language_code": "id"}
}

// MessageUpdate is a message update from Customer in chat, of chatType
// ("private", "group", "supergroup"), with message id id, dated
// 1700000000+id, and the given content fields ("text", "sticker", …).
func MessageUpdate(chat int64, chatType string, id int, content map[string]any) Update {
	m := map[string]any{
		"message_id": id,
		"date":       1700000000 + id,
		"from":       Customer(),
		"chat":       map[string]any{"id": chat, "type": chatType, "first_name": "Siti"},
	}
	for k, v := range content {
		m[k] = v
	}
	return Update{"message": m}
}

// TextUpdate is a text message from Customer in the private chat chat.
func TextUpdate(chat int64, id int, text string) Update {
	return MessageUpdate(chat, "private", id, map[string]any{"text": text})
}

// StickerUpdate is a sticker from Customer in the private chat chat.
func StickerUpdate(chat int64, id int) Update {
	return MessageUpdate(chat, "private", id, map[string]any{"sticker": map[string]any{
		"file_id": "CAAD", "file_unique_id": "AgAD", "width": 512, "height": 512, "is_animated": false,
	}})
}

// CallbackUpdate is Customer's tap on an inline keyboard button carrying
// data, under a message the bot sent in the private chat chat; queryID
// is the callback query's id.
func CallbackUpdate(chat int64, queryID, data string) Update {
	return Update{"callback_query": map[string]any{
		"id":            queryID,
		"from":          Customer(),
		"chat_instance": "-99",
		"data":          data,
		"message": map[string]any{
			"message_id": 7, "date": 1700000000, "text": "Mau pesan?",
			"chat": map[string]any{"id": chat, "type": "private"},
		},
	}}
}
