package flow

import "strings"

// Intent is what Privacy recognised in a message.
type Intent struct {
	// Keyword is KeywordStop, KeywordStart, KeywordMyData, KeywordErase,
	// or "" for none of them.
	Keyword string
	// Unsure means the message may mean Keyword as well as something
	// else ("stop dulu": stop the promotions, or wait a moment?): ask
	// before acting.
	Unsure bool
	// Why names the rule that decided, for logs and tests; it is set
	// when a rule refused a likely keyword too ("stop negated").
	Why string
}

// Privacy recognises, anywhere in a sentence of Words, a contact's wish
// about their consent and data: to stop promotions ("stop kirim promo",
// "ga mau promo lagi", "remove me from your list"), to get them again
// ("mau promo lagi"), to see what is kept about them ("data apa yang
// disimpan?") or to have it erased ("hapus data saya"). It reads
// Indonesian and English, and tells negations and other meanings apart:
// "jangan stop dulu", "bus stop", "stop kontak" and "kapan promonya
// berhenti?" are none of them.
//
// The rules are tried in order, opting out first; each says what it
// catches.
func Privacy(words []string) Intent {
	var stack [24]token
	m := message(stack[:0])
	asked := class(0)
	if spaced(words) {
		words = []string{strings.Join(words, "")} // "S T O P"
	}
	for _, w := range words {
		c := classOf(w)
		if c == cFill {
			// Politeness, greetings, "saja": nothing to match, but a
			// request follows "tolong" and "mohon".
			if w == "tolong" || w == "mohon" || w == "please" {
				asked = cAsked
			}
			continue
		}
		m = append(m, token{w, c | asked})
		asked = 0
	}
	refused, ok := m.stop()
	if ok {
		return refused
	}
	if in, ok := m.erase(); ok {
		return in
	}
	if in, ok := m.myData(); ok {
		return in
	}
	if in, ok := m.start(); ok {
		return in
	}
	return refused // "", perhaps with why a stop was not one
}

// spaced reports whether a message is a word spelt out in single
// letters: "S T O P".
func spaced(words []string) bool {
	if len(words) < 3 {
		return false
	}
	for _, w := range words {
		if len(w) != 1 || isDigit(w[0]) {
			return false
		}
	}
	return true
}

// class is a set of roles a word can play in the rules.
type class uint64

// The roles of words. A word can have several: "spam" is a way of
// sending and a kind of promotion.
const (
	cFill      class = 1 << iota // tolong, please, saja: skipped everywhere
	cStop                        // stop, berhenti, hentikan
	cUnsub                       // unsubscribe, unreg, optout: opting out, nothing else
	cCancel                      // batal, cancel: cancelling
	cEnough                      // cukup, enough
	cSudah                       // sudah: "sudah dulu"
	cNeg                         // tidak, jangan, dont, didnt, never, not: negation
	cDont                        // jangan, dont, never: a negative request
	cAux                         // mau, usah, pernah, masih, to, mean: may stand between a negation and its verb
	cWant                        // mau, ingin, want
	cGet                         // terima, dapat, dikirimi, receive: receiving
	cSend                        // kirim, send, chat, hubungi, ganggu: sending or bothering
	cPromo                       // promo, iklan, broadcast, spam, deals
	cMsg                         // chat, sms, wa, messages: messages
	cPesan                       // pesan: a message, or to order
	cList                        // daftar, list, langganan: a list to be on
	cSub                         // langganan, subscription: a subscription
	cMe                          // saya, me, my
	cAgain                       // lagi, again, anymore, more
	cAll                         // apa, semua, all, any, everything
	cVague                       // dulu, sementara, it, wait: the thing stopped, or for how long, is unclear
	cHead                        // i, you, bisa, can, sudah: may stand before a bare "stop"
	cHow                         // cara, how, bagaimana: asking how
	cTime                        // kapan, when, jam: asking when
	cOther                       // di, by, kontak, halte: "stop" of another meaning, next to it
	cRemove                      // hapus, keluarkan, remove, delete: removing
	cFrom                        // dari, from, off, out
	cErase                       // hapus, delete, erase, forget: erasing
	cData                        // data, informasi, riwayat, akun, history: what is kept
	cNumber                      // nomor, number: what identifies the contact
	cPersonal                    // pribadi, diri, personal
	cAbout                       // tentang, about
	cSystem                      // sistem, database, toko, warung: where data is kept
	cView                        // lihat, cek, show: seeing
	cAsk                         // apa, mana, what, where: asking what or where
	cKeep                        // simpan, disimpan, store: keeping
	cHave                        // punya, have, know: having or knowing
	cStartWord                   // start, mulai, subscribe, berlangganan: asking to be on
	cInfo                        // info
	cDi                          // di: "di-chat", "di kirim"
	cPhone                       // hp, wa, phone: what a number is of
	cSkip                        // pengiriman: may stand between stop and what is stopped
	cAsked                       // set on the word after tolong, mohon or please
	cLink                        // ke, to, with, for: may join a verb to what it is about
	cJoin                        // ikut, gabung, masukkan, join, add: joining a list
	cNotify                      // kabari, notify: asking to be told
	cFreq                        // tiap, every, minggu: how often
	cComplaint                   // keberatan, ganggu, annoying: a complaint
	cConj                        // tapi, dan, sama, but: a new clause, or one more thing
	cMention                     // ketik, pencet, type, reply: the word stop is talked about, not said
	cInsist                      // bilang, berkali, said: insisting
	cOops                        // sengaja, accidentally, kepencet: by accident (see oops)
	cPast                        // tadi, kemarin, barusan: earlier
	cOff                         // remove, keluarkan, coret: taking someone off a list
	cYou                         // kalian, kamu, you: the shop, spoken to
	cForever                     // permanen, forever: for good
)

// vocabulary lists the words of each role. Words are after Words: chat
// spellings are already standard ("gak" is "tidak").
var vocabulary = []struct {
	c     class
	words string
}{
	{cFill, "tolong mohon saja please pls kindly just ok oke okay okey yes iya yup sure pokok segera sekarang now juga banget sekali halo hallo hai hi hello hey permisi makasih salam assalamualaikum the your"},
	{cStop, "stop stoplah stopin stopkan berhenti berhentilah hentikan henti pause"},
	{cUnsub, "unsubscribe unsubscribed unsub unsubs unreg optout"},
	{cCancel, "batal batalkan membatalkan cancel matikan nonaktifkan off disable"},
	{cEnough, "cukup enough"},
	{cSudah, "sudah"},
	{cNeg, "tidak jangan dont didnt not never cant wont bukan g"},
	{cDont, "jangan dont never"},
	{cAux, "mau ingin want wanna to usah perlu need pernah ever akan will bisa able bermaksud maksud mean meant masih still"},
	{cWant, "mau ingin want wanna"},
	{cGet, "terima menerima dapat mendapat mendapatkan receive receiving get getting dikirimi dikirim dikabari dichat dispam diganggu dihubungi ditelepon"},
	{cSend, "kirim kirimi mengirim mengirimi mengirimkan kabari send sending message messaging text texting spam spamming chat chatting ngechat hubungi menghubungi contact contacting email emailing call calling telepon ganggu mengganggu bother bothering wa blast"},
	{cPromo, "promo promos promosi promotion promotions promotional iklan broadcast broadcasts bc spam diskon discount discounts deals offer offers ads advertisement advertisements newsletter newsletters penawaran notif notifikasi notification notifications blast marketing"},
	{cMsg, "chat chats message messages sms wa whatsapp text texts email emails"},
	{cPesan, "pesan"},
	{cList, "daftar daftarkan list langganan berlangganan subscription mailing milis grup group kontak contacts"},
	{cSub, "langganan berlangganan subscription mailing milis"},
	{cMe, "saya me my mine kami us"},
	{cAgain, "lagi again anymore more terus back"},
	{cAll, "apa semua all any anything everything apapun"},
	{cVague, "dulu sementara sebentar bentar it this that these those for pause wait tunggu"},
	{cHead, "saya i mau ingin want wanna to sudah bisa boleh can could would like do does you kamu kalian anda minta harap cukup so lets"},
	{cHow, "cara how bagaimana"},
	{cTime, "kapan when jam until lama"},
	{cOther, "di by at kontak over halte bus busway pit truck non watch motion sign light lampu shop"},
	{cRemove, "hapus hapuskan dihapus keluar keluarkan dikeluarkan remove delete take coret"},
	{cFrom, "dari from off out"},
	{cErase, "hapus hapuskan menghapus dihapus delete deleted erase erased remove wipe forget lupakan hilangkan"},
	{cData, "data informasi information info details riwayat history histori akun account"},
	{cNumber, "nomor number"},
	{cPersonal, "pribadi diri personal"},
	{cAbout, "tentang about on"},
	{cSystem, "sistem system database records server toko warung shop kalian"},
	{cView, "lihat cek check tampilkan show see view minta tahu know"},
	{cAsk, "apa what which mana where"},
	{cKeep, "simpan disimpan tersimpan menyimpan store stored save saved keep kept hold collect collected kumpulkan dipakai digunakan use used"},
	{cHave, "punya have has tahu know"},
	{cStartWord, "start mulai aktifkan subscribe resubscribe berlangganan langganan sign reg"},
	{cInfo, "info"},
	{cDi, "di"},
	{cSkip, "pengiriman kiriman"},
	{cLink, "ke to with dengan of in for buat untuk"},
	{cJoin, "ikut gabung join add tambahkan ditambahkan masukkan dimasukkan daftarkan didaftarkan"},
	{cNotify, "kabari dikabari dikirimi infokan infoin notify"},
	{cFreq, "tiap setiap every weekly daily minggu hari bulan week day month"},
	{cComplaint, "keberatan berisik risih bosan terganggu ganggu mengganggu annoying annoyed"},
	{cConj, "tapi but dan sama serta and"},
	{cMention, "ketik type typed tulis reply balas pencet tekan klik click hit press pressed tap"},
	{cInsist, "bilang dibilang berkali kali said told already"},
	{cPhone, "hp handphone ponsel telepon telp wa whatsapp phone mobile"},
	{cOops, "sengaja accidentally accident mistake mistakenly unintentionally kepencet keteken salah"},
	{cPast, "tadi kemarin barusan yesterday earlier"},
	{cOff, "remove keluarkan dikeluarkan coret dicoret"},
	{cYou, "kalian kamu anda you"},
	{cForever, "permanen selamanya permanently forever"},
}

// vocab maps each word of vocabulary to its roles.
var vocab = func() map[string]class {
	m := map[string]class{}
	for _, v := range vocabulary {
		for _, w := range strings.Fields(v.words) {
			m[w] |= v.c
		}
	}
	return m
}()

// typoTargets are the words recognised with a typo, and the roles they
// give. Only words that matter and that no common word is one typo
// away from.
var typoTargets = []string{"stop", "berhenti", "hentikan", "unsubscribe", "unsub", "unreg", "optout", "berlangganan", "langganan", "promo", "promosi"}

// classOf returns the roles of w, forgiving one typo in the words of
// typoTargets (see near).
func classOf(w string) class {
	if c, ok := vocab[w]; ok {
		return c
	}
	if len(w) < 4 {
		return 0
	}
	for _, t := range typoTargets {
		if near(w, t) {
			return vocab[t]
		}
	}
	return 0
}

// near reports whether w is target with one typo. Targets of six letters
// or more forgive any one: a letter added, dropped or changed, or two
// neighbours swapped ("berhneti", "unsubscibe"). Shorter targets forgive
// only swapped neighbours and a doubled letter ("stpo", "stopp"), so
// that "step", "shop" and "top" stay what they are.
func near(w, target string) bool {
	lw, lt := len(w), len(target)
	switch {
	case lw == lt:
		// One letter changed, or two neighbours swapped.
		i := 0
		for i < lw && w[i] == target[i] {
			i++
		}
		if i == lw {
			return true
		}
		if i+1 < lw && w[i] == target[i+1] && w[i+1] == target[i] && w[i+2:] == target[i+2:] {
			return true
		}
		return lt >= 6 && w[i+1:] == target[i+1:]
	case lw == lt+1:
		// One letter added: a doubled one, or any if the target is long.
		i := 0
		for i < lt && w[i] == target[i] {
			i++
		}
		if w[i+1:] != target[i:] {
			return false
		}
		return lt >= 6 || (i > 0 && w[i] == w[i-1]) || (i+1 < lw && w[i] == w[i+1])
	case lw == lt-1 && lt >= 6:
		// One letter dropped.
		i := 0
		for i < lw && w[i] == target[i] {
			i++
		}
		return w[i:] == target[i+1:]
	}
	return false
}

// token is a word of the message and its roles.
type token struct {
	w string
	c class
}

// message is the words of a message without the fillers.
type message []token

// is reports whether the word at i exists and has one of the roles c.
func (m message) is(i int, c class) bool {
	return i >= 0 && i < len(m) && m[i].c&c != 0
}

// find returns the index of the first word with one of the roles c at
// or after from, or -1.
func (m message) find(from int, c class) int {
	for i := max(from, 0); i < len(m); i++ {
		if m[i].c&c != 0 {
			return i
		}
	}
	return -1
}

// only reports whether every word from i to j (excluded) has one of
// the roles c.
func (m message) only(i, j int, c class) bool {
	for ; i < j; i++ {
		if m[i].c&c == 0 {
			return false
		}
	}
	return true
}

// has reports whether some word has one of the roles c.
func (m message) has(c class) bool { return m.find(0, c) >= 0 }

// negated reports whether the word at i is negated: a negation right
// before it, or before the auxiliaries before it ("jangan stop",
// "tidak usah berhenti", "don't ever stop", "dont want to stop").
func (m message) negated(i int) bool {
	for j := i - 1; j >= 0 && j >= i-4; j-- {
		switch {
		case m[j].c&cNeg != 0:
			return true
		case m[j].c&cAux == 0:
			return false
		}
	}
	return false
}

// dont returns the index after a negative request starting at i, or
// -1: "jangan", "dont", "never", "do not", "tidak usah", "tidak perlu",
// "mohon tidak", "no need to". A bare "tidak" is no request ("kok tidak
// kirim promo lagi?" asks for them).
func (m message) dont(i int) int {
	switch {
	case m.is(i, cDont):
		return i + 1
	case m.is(i, cNeg) && m.is(i+1, cAux) && (m[i+1].w == "usah" || m[i+1].w == "perlu"):
		return i + 2
	case m.is(i, cNeg) && (m.is(i, cAsked) || m.word(i-1) == "untuk" && m.is(i-1, cAsked)):
		return i + 1 // "mohon tidak mengirim promo lagi", "mohon untuk tidak"
	case i+1 < len(m) && m[i].w == "do" && m[i+1].w == "not":
		return i + 2
	case i+2 < len(m) && m[i].w == "no" && m[i+1].w == "need" && m[i+2].w == "to":
		return i + 3
	}
	return -1
}

// Why the stop rules decided.
const (
	whyUnsub       = "stop: an opt-out word (unsubscribe, unreg, opt out)"
	whyUnsubHow    = "unsure: asks how to opt out"
	whyCancel      = "stop: cancels the subscription"
	whyRemoved     = "stop: asks to be removed from the list"
	whyStopWhat    = "stop: stop with promotions or messages"
	whyStopSending = "stop: stop with sending or bothering"
	whyStopBare    = "stop: stop alone"
	whyStopHow     = "unsure: asks how to stop"
	whyStopVague   = "unsure: stop what? (stop dulu, stop it)"
	whyNegated     = "not stop: negated (jangan stop, don't stop)"
	whyOther       = "not stop: another stop (bus stop, stop kontak, berhenti di)"
	whyWhen        = "not stop: asks when something stops"
	whyStopOther   = "not stop: stop with something else"
	whyNotWant     = "stop: does not want promotions or messages"
	whyDontSend    = "stop: asks not to be sent promotions or messages"
	whyNoMore      = "stop: no more promotions or messages"
	whyEnough      = "stop: enough promotions"
	whyForNow      = "unsure: enough for now (sudah dulu, cukup dulu)"
	whyAlone       = "stop: leave me alone"
	whyComplaint   = "stop: a complaint about promotions, and stop"
	whyMention     = "not stop: talks about the word stop"
	whyAccident    = "not stop: tells of an opt-out sent by accident"
)

// What the opt-out rules read: what is stopped, and the words that may
// come before it or after a stop ("stop kirim semua promo ke saya
// lagi").
const (
	stopped = cPromo | cMsg | cList | cPesan
	onTail  = cSend | cGet | cMe | cAll | cAgain | cStop | cVague | cDi | cSkip | cLink | cInfo | cSudah | cInsist | cFrom | cForever
)

// object reads the words from i on, skipping those of the roles skip.
// It returns the index of the first word of the roles objects, or -1 if
// another word comes first or none; end reports that the words ran out
// with only skipped ones.
func (m message) object(i int, objects, skip class) (at int, end bool) {
	for ; i < len(m); i++ {
		switch {
		case m[i].c&objects != 0:
			return i, false
		case m[i].c&skip == 0:
			return -1, false
		}
	}
	return -1, true
}

// product reports whether the list or subscription at k is of a
// product rather than of messages: "langganan galon", "berhenti
// langganan susu". Promotions and messages may be followed by anything
// ("stop kirim promo ke nomor ini"), and so may a list of them
// ("berhenti dari daftar broadcast warung").
func (m message) product(k int) bool {
	return m.is(k, cList|cSub) && !m.is(k, cPromo|cMsg) && !m.is(k+1, cPromo|cMsg) && !m.only(k+1, len(m), onTail|stopped|cHow|cSystem)
}

// stop applies the opt-out rules. It reports false when no rule
// decided; a rule that refuses a likely stop decides with "", and one
// that only finds a stop of something else ("stop kirim barangnya")
// returns why with false, so that the other intents are still tried.
func (m message) stop() (Intent, bool) {
	// Opt-out words: "unsubscribe", "UNREG", "i want to unsubscribe",
	// "unreg promo", "saya sudah unreg tapi masih dapat promo". Asking
	// how to is unsure; "unreg kartu perdana" is about a SIM card, and
	// "kemarin ga sengaja unreg" tells of an accident, so the rules look
	// further.
	var other Intent
	for i := m.find(0, cUnsub); i >= 0; i = m.find(i+1, cUnsub) {
		if m.accidental(i) {
			other = Intent{Why: whyAccident}
			continue
		}
		j := i + 1
		for m.is(j, cMe|cFrom|cLink|cAll) {
			j++
		}
		switch {
		case m.negated(i):
			return Intent{Why: whyNegated}, true
		case j < len(m) && m[j].c == 0 && !isDigit(m[j].w[0]):
			return Intent{Why: whyStopOther}, false
		case m.has(cHow):
			return Intent{KeywordStop, true, whyUnsubHow}, true
		}
		return Intent{KeywordStop, false, whyUnsub}, true
	}
	// Cancelling a subscription: "batalkan langganan", "batal langganan
	// promo", "cancel my subscription". "batal pesan" cancels an order,
	// "batal langganan galon" a product.
	if i := m.find(0, cCancel); i >= 0 && !m.negated(i) {
		if k, _ := m.object(i+1, cSub|cPromo, cMe|cAll); k >= 0 && !m.product(k) {
			return Intent{KeywordStop, m.has(cHow), whyCancel}, true
		}
	}
	// "opt out", "opt me out" (Normalize made "opt-out" two words).
	if i := m.findWord("opt"); i >= 0 && (m.word(i+1) == "out" || m.is(i+1, cMe) && m.word(i+2) == "out") {
		return Intent{KeywordStop, false, whyUnsub}, true
	}
	// Removal from the list: "hapus saya dari daftar promo", "keluarkan
	// saya dari list", "remove me from your mailing list", "take me off
	// your list", "hapus nomor saya dari daftar", "nomor saya tolong
	// dikeluarkan dari daftar broadcast", "saya keluar dari daftar",
	// "remove me from your promos". Data taken off a list is a stop too
	// ("hapus data saya dari daftar promo"): a stop acts at once and
	// costs nothing, where erasing asks first. Taking oneself off with
	// nothing else said is a stop: "remove me", "keluarkan saya",
	// "tolong keluarkan nomor saya"; erasing needs data named, or
	// "hapus" or "delete" ("delete me").
	if i := m.find(0, cRemove); i >= 0 && !m.negated(i) && m.has(cMe|cNumber) {
		j := i + 1
		for m.is(j, cMe|cNumber|cPhone|cData|cPersonal) {
			j++
		}
		if m.is(j, cFrom) && m.find(j+1, cList|cPromo) >= 0 || m.is(i, cOff) && m.only(0, len(m), cOff|cMe|cNumber|cPhone|cHead) {
			return Intent{KeywordStop, false, whyRemoved}, true
		}
	}
	// The word stop itself: "stop", "stop dong", "stop kirim promo",
	// "berhenti berlangganan", "stop sending", "stop messaging me". A
	// stop of something else ("stop kirim barangnya") lets the rules
	// below look further ("jangan kirim promo lagi, stop!").
	for i := m.find(0, cStop); i >= 0; i = m.find(i+1, cStop) {
		switch in := m.stopWord(i); in.Why {
		case whyMention:
			return in, false // the rest is a question about it
		case whyStopOther, whyAccident:
			other = in
		default:
			return in, true
		}
	}
	// Not wanting them: "tidak mau promo lagi", "ga mau dikirimi",
	// "saya tidak mau terima promo lagi", "tidak mau berlangganan", "ga
	// mau ikut broadcast lagi", "I don't want promotions anymore". The
	// promotion must end the message ("tidak mau promo yang mahal"
	// chooses a product), and "pesan" counts only after receiving
	// ("tidak mau pesan lagi" is not wanting to order again).
	for i := m.find(0, cNeg); i >= 0; i = m.find(i+1, cNeg) {
		if !m.is(i+1, cWant) {
			continue
		}
		j := i + 2
		for m.is(j, cAux) {
			j++ // "i dont want to receive"
		}
		got := m.is(j, cGet|cSend)
		k, end := m.object(j, cPromo|cMsg|cSub|cPesan, cGet|cSend|cJoin|cMe|cAll|cAgain|cDi)
		switch {
		case k >= 0 && m.is(k, cPesan) && !got:
		case k >= 0 && m.only(k+1, len(m), onTail|stopped):
			return Intent{KeywordStop, false, whyNotWant}, true
		case end && m.is(j, cGet) && m[j].w != "dikirim" && (m.has(cAgain) || strings.HasPrefix(m[j].w, "di")):
			// "tidak mau dikirimi lagi", "ga mau diganggu"; "gak mau
			// dikirim" is about a parcel.
			return Intent{KeywordStop, false, whyNotWant}, true
		}
	}
	// A negative request to send: "jangan kirim promo", "jangan kirim
	// lagi", "jangan kirim apa apa", "jangan chat saya lagi", "jangan
	// hubungi saya lagi", "tidak usah kirim promo lagi", "don't send me
	// messages", "do not text me", "no need to send me promos". Without
	// a promotion named, the request must be the whole message and say
	// whom or how long ("jangan kirim lagi yang kemarin" is about an
	// order).
	// The promotion may come first: "promo nya ga usah dikirim lagi".
	for i := range m {
		j := m.dont(i)
		if j < 0 || !m.is(j, cSend|cGet|cPromo) {
			continue // "jangan bc lagi" sends a broadcast
		}
		k, end := m.object(j+1, stopped, cSend|cGet|cMe|cAll|cAgain|cLink|cInfo)
		if k >= 0 {
			return Intent{KeywordStop, false, whyDontSend}, true
		}
		if end && (m.is(j, cPromo) || m.find(j+1, cMe|cAgain|cAll) >= 0) && m.only(0, i, cHead|cPromo) {
			return Intent{KeywordStop, false, whyDontSend}, true
		}
	}
	// "no more messages", "no more promos", "no more spam".
	if i := m.findWord("no"); i >= 0 && m.is(i+1, cAgain) {
		if k, _ := m.object(i+2, stopped, cAll); k >= 0 {
			return Intent{KeywordStop, false, whyNoMore}, true
		}
	}
	// Enough of them: "cukup promonya", "sudah cukup promonya", "enough
	// promos"; "cukup dulu", "that's enough" and "enough for now" are
	// unsure, and "cukup" or "sudah cukup" alone is "that's all".
	if i := m.find(0, cEnough); i >= 0 {
		if k, _ := m.object(i+1, stopped, cSend|cAll|cMe); k >= 0 {
			return Intent{KeywordStop, false, whyEnough}, true
		}
		if m.only(0, i, cSudah|cVague) && m.only(i+1, len(m), cVague) && m.has(cVague) {
			return Intent{KeywordStop, true, whyForNow}, true
		}
	}
	// "sudah dulu", "udah dulu ya kak", "ga usah dulu": enough for now,
	// of what?
	if m.is(len(m)-1, cVague) && (len(m) == 2 && m.is(0, cSudah) || len(m) == 3 && m.dont(0) == 2) {
		return Intent{KeywordStop, true, whyForNow}, true
	}
	// "leave me alone".
	if i := m.findWord("leave"); i >= 0 && m.is(i+1, cMe) && m.word(i+2) == "alone" {
		return Intent{KeywordStop, false, whyAlone}, true
	}
	return other, false
}

// stopWord decides a message with the word stop (or berhenti,
// hentikan) at i.
func (m message) stopWord(i int) Intent {
	switch {
	// "jangan stop dulu", "jangan berhenti ya", "tidak usah berhenti",
	// "don't stop", "never stop", "dont want to stop receiving promos".
	case m.negated(i):
		return Intent{Why: whyNegated}
	// "tadi kepencet stop", "stop nya ga sengaja".
	case m.accidental(i):
		return Intent{Why: whyAccident}
	// "bus stop", "halte", "stop kontak", "stop by the shop", "stop at
	// the corner", "berhenti di halte".
	case m.is(i-1, cOther) || m.is(i+1, cOther):
		return Intent{Why: whyOther}
	// "kapan promonya berhenti?", "jam berapa tokonya berhenti buka".
	case m.has(cTime):
		return Intent{Why: whyWhen}
	// "kalau saya ketik STOP pesanan saya ikut batal?", "STOP itu buat
	// berhenti promo aja kan?": the word is talked about.
	case m.is(i-1, cMention) || m.word(i+1) == "itu" || m.word(i+1) == "arti" || m.word(i+1) == "means":
		return Intent{Why: whyMention}
	}
	how := m.has(cHow)
	k, end := m.object(i+1, stopped, onTail)
	named := k >= 0 && !m.product(k)
	switch {
	// "stop kirim promo", "stop promosi", "berhenti berlangganan", "stop
	// sending me messages", "stop promo dulu", "saya mau berhenti
	// berlangganan"; asking how is unsure.
	case named && how:
		return Intent{KeywordStop, true, whyStopHow}
	case named:
		return Intent{KeywordStop, false, whyStopWhat}
	// A complaint about promotions before or after a stop: "ganggu bgt
	// promonya, stop deh", "saya keberatan dikirimi promo terus, tolong
	// stop", "stop ya, ga butuh promo", "I'm not interested in
	// promotions anymore, stop". Ending in "udah stop?" it may ask
	// whether they stopped: unsure.
	case (i == 0 || i == len(m)-1) && m.has(cPromo|cMsg) && m.has(cComplaint|cSend|cGet|cNeg):
		return Intent{KeywordStop, m.is(i-1, cSudah) && i == len(m)-1, whyComplaint}
	// "stop kirim barangnya", "stop langganan galon": something else is
	// stopped.
	case !end:
		return Intent{Why: whyStopOther}
	// Before a stop with nothing named only "saya mau", "sudah", "bisa",
	// "i said", "how do i" or what makes it vague may stand: "mobil
	// saya berhenti" is not an opt-out.
	case !m.only(0, i, cHead|cHow|cStop|cInsist|cVague):
		return Intent{Why: whyStopOther}
	case how:
		return Intent{KeywordStop, true, whyStopHow}
	// "stop dulu", "berhenti dulu", "stop it", "stop kirim dulu",
	// "pause", "wait stop", and a stop that ends a chat ("udah dulu ya,
	// stop"): stop what, or for how long?
	case m.has(cVague):
		return Intent{KeywordStop, true, whyStopVague}
	// "stop sending", "stop messaging me", "stop spam saya".
	case m.find(i+1, cSend|cGet) >= 0:
		return Intent{KeywordStop, false, whyStopSending}
	// "stop pengiriman" stops a parcel.
	case m.find(i+1, cSkip) >= 0:
		return Intent{Why: whyStopOther}
	}
	// "stop", "STOPP", "stop dong", "tolong stop", "stop aja".
	return Intent{KeywordStop, false, whyStopBare}
}

// accidental reports whether the opt-out word at i is told of as sent
// by accident: "ga sengaja unreg", "tadi kepencet stop", "salah pencet
// unsubscribe", "I accidentally unsubscribed", "unsubscribed by
// mistake", "unreg nya tidak sengaja". Between the two may stand only
// the contact, "sudah", an earlier time, a negation and typing. Told
// after the word, the accident must end the message, or be "by
// accident": in "stop, tadi ga sengaja daftar" the subscribing was the
// accident, and the stop stands.
func (m message) accidental(i int) bool {
	const between = cMe | cSudah | cPast | cNeg | cMention
	for j := i - 1; j >= 0 && m.is(j, cOops|between); j-- {
		if m.oops(j) {
			return true
		}
	}
	for j := i + 1; j < len(m) && (m.is(j, cOops|between) || m[j].w == "by"); j++ {
		if m.oops(j) && (m.word(j-1) == "by" || m.only(j+1, len(m), between)) {
			return true
		}
	}
	return false
}

// oops reports whether the word at j says "by accident": "sengaja"
// after a negation, "salah" before typing ("salah ketik", "salah
// pencet"), "accident" and "mistake" after "by", and the other words of
// cOops alone.
func (m message) oops(j int) bool {
	switch m.word(j) {
	case "sengaja":
		return m.is(j-1, cNeg)
	case "salah":
		return m.is(j+1, cMention)
	case "accident", "mistake":
		return m.word(j-1) == "by"
	}
	return m.is(j, cOops)
}

// findWord returns the index of the first w, or -1.
func (m message) findWord(w string) int {
	for i := range m {
		if m[i].w == w {
			return i
		}
	}
	return -1
}

// word returns the word at i, or "" past the end.
func (m message) word(i int) string {
	if i < 0 || i >= len(m) {
		return ""
	}
	return m[i].w
}

// Why the other rules decided.
const (
	whyErase      = "erase: asks to delete their data"
	whyNoErase    = "not erase: negated (jangan hapus)"
	whyMyData     = "my data: asks to see their data"
	whyDataKept   = "my data: asks what data is kept"
	whyStart      = "start: asks for promotions"
	whyStartAgain = "start: ends wanting promotions again"
	whyNotify     = "start: asks to be told of deals"
	whyJoin       = "start: asks to join the list of promotions"
	whyUndo       = "start: opted out by accident, wants promotions again"
)

// erase applies the erasure rule: an erasing word and what identifies
// the contact, and nothing else: "hapus data", "tolong hapus data
// saya", "hapus nomor wa saya", "delete my data", "erase my data",
// "forget me", "delete everything you have about me", "saya mau data
// saya dihapus", "data sy jgn disimpen, hapus aja", "bisa hapusin data
// sy ga?", "hapus riwayat chat saya", "delete my account and my
// number", "data pribadi saya dihapus permanen". "hapus data pesanan
// kemarin" is about an order; "remove me" is a stop (see stop).
func (m message) erase() (Intent, bool) {
	m = m.untagged()
	i := m.find(0, cErase)
	switch {
	case i < 0:
		return Intent{}, false
	case m.negated(i):
		return Intent{Why: whyNoErase}, true
	case !m.has(cData | cNumber | cMe):
		return Intent{}, false
	case !m.only(0, len(m), cErase|cData|cNumber|cPhone|cMsg|cMe|cAll|cAbout|cFrom|cSystem|cPersonal|cHead|cHave|cKeep|cDont|cConj|cForever):
		return Intent{}, false
	}
	return Intent{KeywordErase, false, whyErase}, true
}

// untagged returns m without a final "tidak" that only makes it a
// question: "bisa hapus data saya ga?", "nomor saya disimpan ga?".
func (m message) untagged() message {
	if n := len(m); n > 2 && m[n-1].w == "tidak" {
		return m[:n-1]
	}
	return m
}

// myData applies the rules for seeing one's data.
func (m message) myData() (Intent, bool) {
	// A question: a question word ("disimpan di mana"), "do you", a
	// final "tidak" ("disimpan ga?"), or the shop named as the one who
	// keeps ("kalian nyimpen nomor hp saya?", "you still keep my chat
	// history?"), where "simpan nomor saya ya" asks the shop to save it.
	k := m.find(0, cKeep)
	asked := m.has(cAsk) || m.word(0) == "do" || m.word(0) == "does" || len(m.untagged()) < len(m) ||
		m.is(k-1, cYou|cSystem) || m.is(k-1, cAux) && m.is(k-2, cYou|cSystem)
	m = m.untagged()
	d := m.find(0, cData)
	switch {
	// "what do you know about me", "apa yang kalian simpan tentang
	// saya".
	case d < 0 && m.has(cAsk) && m.has(cHave|cKeep) && m.find(0, cAbout) >= 0 && m.find(0, cAbout) < m.find(0, cMe):
		return Intent{KeywordMyData, false, whyDataKept}, true
	// "data saya", "my data", "lihat data saya", "show my data", "cek
	// data pribadi saya", "data saya apa saja", "cek data": only these
	// words, one of them the contact's or a request to see.
	case d >= 0 && m.has(cMe|cView) && m.only(0, len(m), cData|cMe|cView|cPersonal|cHead|cAsk):
		return Intent{KeywordMyData, false, whyMyData}, true
	// "data apa yang disimpan", "data sy apa aja yg kalian simpan",
	// "nomor sy disimpan ga?", "do you store my phone number?", "data
	// saya dipake buat apa aja?", "riwayat chat saya disimpan di mana":
	// a question about keeping data.
	case asked && m.has(cData|cNumber) && m.has(cKeep):
		return Intent{KeywordMyData, false, whyDataKept}, true
	// "data apa saja tentang saya", "what data do you have about me",
	// "what personal data do you store": asking what data, and about
	// the contact. "paket data apa yang kamu punya?" asks for a
	// product.
	case d >= 0 && (m.is(d-1, cAsk) || m.is(d-1, cPersonal) && m.is(d-2, cAsk) || m.is(d+1, cAsk)) && m.has(cAbout) && m.has(cMe):
		return Intent{KeywordMyData, false, whyDataKept}, true
	}
	return Intent{}, false
}

// start applies the rules for asking for promotions.
func (m message) start() (Intent, bool) {
	if len(m) == 0 {
		return Intent{}, false
	}
	// A message made only of asking words and promotions, with a word
	// that asks to be on or names promotions: "mulai", "start", "mau
	// promo", "mau terima promo lagi", "daftar promo", "langganan
	// promo", "subscribe", "kirim promo lagi dong", "i want
	// promotions", "sign me up for deals", "add me to the promo list",
	// "boleh dikirimin info promo tiap minggu?". "promo apa hari ini?"
	// asks about today's deals, and "mau pesan" is an order.
	const asking = cStartWord | cHead | cWant | cGet | cSend | cMe | cAgain | cInfo | cList | cLink | cJoin | cFreq | cNotify
	whole := m.has(cStartWord | cPromo)
	for _, t := range m {
		switch {
		case t.w == "spam", t.c&cPesan != 0, t.c&cMsg != 0 && !m.has(cPromo):
			whole = false // "mau pesan" orders
		case t.c&(cPromo|cMsg|asking) != 0, t.w == "up":
		default:
			whole = false
		}
	}
	if whole {
		return Intent{KeywordStart, false, whyStart}, true
	}
	// "opt in".
	if len(m) == 2 && m[0].w == "opt" && m[1].w == "in" {
		return Intent{KeywordStart, false, whyStart}, true
	}
	// Joining the list of promotions: "mau ikut broadcast warung",
	// "tolong masukin nomor saya ke daftar promo", "gabung ke grup
	// diskon toko", "add my number to your deals list", "join your
	// mailing list". Only the shop, lists and how often may follow:
	// "ikut promo yang kemarin" orders a deal, and "join grup wa" names
	// no promotions.
	if i := m.find(0, cJoin); i >= 0 && !m.negated(i) {
		k, _ := m.object(i+1, cPromo|cSub, cMe|cNumber|cPhone|cLink|cList|cInfo|cAgain)
		if k >= 0 && m.only(k+1, len(m), cPromo|cList|cInfo|cSystem|cFreq|cAgain|cMe|cLink) {
			return Intent{KeywordStart, false, whyJoin}, true
		}
	}
	// Wanting them back after an opt-out sent by accident: "langganan
	// lagi dong, kemarin ga sengaja unreg", "I unsubscribed by mistake,
	// add me back".
	if m.again() && m.regretted() {
		return Intent{KeywordStart, false, whyUndo}, true
	}
	// Wanting them at the end of a message: "kemarin ga sengaja ketik
	// stop, mau promo lagi", "ada info diskon? mau dong dikabarin".
	if i := m.find(0, cWant); i >= 0 && !m.is(i-1, cNeg) && m.only(i+1, len(m), cGet|cSend|cPromo|cAgain|cInfo) &&
		(m.find(i, cPromo) >= 0 || m.has(cPromo) && m.find(i, cNotify) >= 0) {
		return Intent{KeywordStart, false, whyStartAgain}, true
	}
	// Asking to be told of deals: "kabarin ya kalau ada diskon beras".
	if m.is(0, cNotify) && m.has(cPromo) {
		return Intent{KeywordStart, false, whyNotify}, true
	}
	return Intent{}, false
}

// again reports whether the message asks to be on, to receive or to
// join once more: "langganan lagi", "mau promo lagi", "add me back",
// "subscribe me again".
func (m message) again() bool {
	for i := range m {
		if m.is(i, cStartWord|cSub|cJoin|cWant|cSend|cGet) && !m.negated(i) {
			if k, _ := m.object(i+1, cAgain, cMe|cPromo|cList|cLink|cInfo); k >= 0 {
				return true
			}
		}
	}
	return false
}

// regretted reports whether an opt-out word of the message was sent by
// accident (see accidental).
func (m message) regretted() bool {
	for i := m.find(0, cStop|cUnsub); i >= 0; i = m.find(i+1, cStop|cUnsub) {
		if m.accidental(i) {
			return true
		}
	}
	return false
}
