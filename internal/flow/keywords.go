package flow

// globalKeyword is a word that acts whatever the conversation's state,
// even while a person holds it.
type globalKeyword struct {
	// name is the canonical name Keyword returns.
	name string
	// words are the whole messages that mean it (compared normalized).
	words []string
	// flow is the flow it starts.
	flow string
	// release ends a staff hold: the contact asks for the bot back.
	release bool
	// private means the flow's questions (are you sure? do you want
	// promotions?) are answered by the bot even while a person holds the
	// conversation: they concern the contact's rights, not the shop.
	private bool
}

// globalKeywords is the table of global keywords. Add a row to add one;
// Load then requires its flow in every set.
var globalKeywords = []globalKeyword{
	{name: KeywordHelp, words: []string{"help", "bantuan", "tolong"}, flow: "help"},
	{name: KeywordMenu, words: []string{"menu"}, flow: "menu", release: true},
	{name: KeywordStop, flow: "optout", words: []string{
		"stop", "berhenti", "unsubscribe", "stop promo", "berhenti promo", "jangan kirim lagi",
		"stop promosi", "berhenti promosi", "berhenti langganan", "jangan kirim promo",
		"jangan kirim promo lagi", "jangan kirim pesan lagi", "tidak mau promo", "gak mau promo lagi",
		"stop promotions", "stop messages", "stop sending", "stop sending me messages",
		"opt out", "optout", "unsubscribe me", "no more messages", "no more promotions",
		"don't send me messages", "dont send me messages", "don't message me", "dont message me",
	}},
	{name: KeywordStart, flow: "optin", private: true, words: []string{
		"start", "mulai", "mulai promo", "start promo", "promo", "info promo", "subscribe", "berlangganan",
	}},
	// No word is unsure by itself: Privacy finds "stop dulu" and the
	// like in a sentence, and the flow asks whether promotions should
	// stop.
	{name: KeywordStopUnsure, flow: "optout_ask", private: true},
	{name: KeywordMyData, flow: "mydata", words: []string{"data saya", "lihat data saya", "my data", "show my data"}},
	{name: KeywordErase, flow: "erase", private: true, words: []string{
		"hapus data", "hapus data saya", "delete my data", "erase my data", "delete my information",
	}},
}

// The global keywords, as Keyword and Result.Keyword name them.
const (
	KeywordHelp = "help"
	KeywordMenu = "menu"
	// KeywordStop withdraws consent to promotions at once, whatever the
	// flows say; its flow only confirms.
	KeywordStop = "stop"
	// KeywordStopUnsure is a message that may mean stop ("stop dulu"):
	// its flow asks, and only a yes withdraws consent.
	KeywordStopUnsure = "stop_unsure"
	// KeywordStart asks the opt-in question again; it never subscribes
	// by itself.
	KeywordStart = "start"
	// KeywordMyData shows the contact what is kept about them.
	KeywordMyData = "my_data"
	// KeywordErase asks whether to erase the contact's data.
	KeywordErase = "erase"
)

// globalIndex maps each normalized word of globalKeywords to its row.
var globalIndex = func() map[string]*globalKeyword {
	m := map[string]*globalKeyword{}
	for i := range globalKeywords {
		for _, w := range globalKeywords[i].words {
			m[Normalize(w)] = &globalKeywords[i]
		}
	}
	return m
}()

// Keyword reports which global keyword text is ("help", "menu"), so
// other packages can recognise the same words the engine does. The whole
// message must be the keyword once normalized: "MENU!!" is, "tolong
// kirim ya" is not.
func Keyword(text string) (string, bool) {
	k, ok := globalIndex[Normalize(text)]
	if !ok {
		return "", false
	}
	return k.name, true
}
