package web

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mitra-care/mitra/internal/care"
)

// TestOwnerPagesRefuseStaff opens every owner page as a staff member:
// 403 and nothing done; the owner gets each.
func TestOwnerPagesRefuseStaff(t *testing.T) {
	s := newInboxServer(t)
	id := s.customer(t, dewi, "Dewi", "id", "halo")
	if _, err := s.store.SaveCannedReply(t.Context(), care.CannedReply{Name: "ongkir", Text: "Ongkir Rp10.000."}); err != nil {
		t.Fatal(err)
	}
	owner, staff := newBrowser(t, s), newBrowser(t, s)
	wantRedirect(t, owner.login("sari", ownerPassword, nil), "/console")
	wantRedirect(t, staff.login("budi", staffPassword, nil), "/console")

	pages := []struct {
		method, path string
		form         url.Values
		owner        int // the owner's status
	}{
		{"GET", "/console/contacts", nil, 200},
		{"GET", "/console/contacts?q=dew&page=1", nil, 200},
		{"GET", "/console/contacts/" + string(id), nil, 200},
		{"GET", "/console/staff", nil, 200},
		{"GET", "/console/audit", nil, 200},
		{"GET", "/console/canned", nil, 200},
		{"POST", "/console/canned", url.Values{"name": {"salam"}, "text": {"Halo"}}, 303},
		{"POST", "/console/canned/ongkir/delete", url.Values{}, 303},
	}
	for _, p := range pages {
		t.Run(p.method+" "+p.path, func(t *testing.T) {
			for _, who := range []struct {
				b      *browser
				status int
			}{{staff, 403}, {owner, p.owner}} {
				var rec *httptest.ResponseRecorder
				if p.method == "GET" {
					rec = who.b.get(p.path)
				} else {
					form := url.Values{formField: {who.b.cookies[formCookie]}}
					for k, v := range p.form {
						form[k] = v
					}
					rec = who.b.post(p.path, form)
				}
				if rec.Code != who.status {
					t.Fatalf("status %d, want %d: %.300s", rec.Code, who.status, rec.Body)
				}
				if who.status == 403 && (strings.Contains(rec.Body.String(), "Dewi") || strings.Contains(rec.Body.String(), "6281")) {
					t.Errorf("the refusal shows a contact: %s", rec.Body)
				}
			}
		})
	}
	// The staff member's posts changed nothing; the owner's did.
	rs, err := s.store.CannedReplies(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Name != "salam" || rs[0].By != "Sari" {
		t.Errorf("canned replies %+v, want only the owner's salam", rs)
	}
}

// TestOwnerContacts lists, searches and pages the contacts, and shows one
// with the evidence of its consent, every text escaped.
func TestOwnerContacts(t *testing.T) {
	s := newInboxServer(t)
	const name = `<img src=x onerror=alert(1)> Dewi`
	q := "Mau promo? Balas YA untuk info promo dari Toko Sari."
	yes := care.ConsentEvent{Purpose: care.Promotions, Granted: true, At: testNow, Channel: care.WhatsApp, Source: care.SourceFlow,
		MessageID: "wamid-1", Text: `ya <b>mau</b>`, Question: q, Version: "promo-v2"}
	id := s.customer(t, dewi, name, "id", "halo", yes)
	s.clock.Add(time.Minute)
	for i := range 52 {
		if _, err := s.store.Import(t.Context(), care.Address{Channel: care.Telegram, ID: fmt.Sprint(1000 + i)}, care.Contact{Name: fmt.Sprintf("Pelanggan %02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowser(t, s)
	wantRedirect(t, b.login("sari", ownerPassword, nil), "/console")

	rec := b.get("/console/contacts")
	if rec.Code != 200 {
		t.Fatalf("contacts: %d", rec.Code)
	}
	body := rec.Body.String()
	// Dewi wrote; the people imported never did: she comes first.
	for _, want := range []string{"1–50 dari 53 kontak", "Halaman 1 dari 2", `href="/console/contacts?page=2"`,
		"&lt;img src=x onerror=alert(1)&gt; Dewi", "whatsapp 6281234567890", "Promosi: setuju", `href="/console/contacts/` + string(id) + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the first page lacks %q", want)
		}
	}
	if strings.Contains(body, "<img") {
		t.Errorf("a contact's name reached the page unescaped")
	}
	body = b.get("/console/contacts?page=2").Body.String()
	if !strings.Contains(body, "51–53 dari 53 kontak") || !strings.Contains(body, `href="/console/contacts?page=1"`) || strings.Contains(body, "Dewi") {
		t.Errorf("the second page is not the last three:\n%.3000s", body)
	}

	for search, want := range map[string]string{"0812": "1–1 dari 1 kontak", "dew": "1–1 dari 1 kontak", "pelanggan 0": "1–10 dari 10 kontak", "zz": "Tidak ada kontak yang cocok"} {
		rec := b.get("/console/contacts?" + url.Values{"q": {search}}.Encode())
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("search %q: the page lacks %q", search, want)
		}
	}

	rec = b.get("/console/contacts/" + string(id))
	if rec.Code != 200 {
		t.Fatalf("contact: %d", rec.Code)
	}
	body = rec.Body.String()
	for _, want := range []string{"&lt;img src=x onerror=alert(1)&gt; Dewi", "Promosi", "setuju", "whatsapp", "jawaban pelanggan atas pertanyaan",
		"ya &lt;b&gt;mau&lt;/b&gt;", "#wamid-1", q, "versi promo-v2", "2 Mar 2026 16.30 WIB", `datetime="2026-03-02T09:30:00Z"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the contact's page lacks %q", want)
		}
	}
	if strings.Contains(body, "<img") || strings.Contains(body, "<b>") {
		t.Errorf("a contact's text reached the page unescaped")
	}
	for path, status := range map[string]int{"/console/contacts/caaaaaaaaaaaaaaaa": 404, "/console/contacts/nope": 404} {
		if rec := b.get(path); rec.Code != status {
			t.Errorf("GET %s: %d, want %d", path, rec.Code, status)
		}
	}
}

// TestOwnerStaffAndAudit shows the accounts and what staff did, the
// newest first.
func TestOwnerStaffAndAudit(t *testing.T) {
	s := newInboxServer(t)
	id := s.customer(t, dewi, "Dewi", "id", "halo")
	path := "/api/v1/conversations/" + string(id)
	want(t, s.call(t, "budi", "POST", path+"/takeover", "{}"), 200)
	s.clock.Add(time.Minute)
	want(t, s.call(t, "budi", "POST", path+"/messages", `{"text": "Halo"}`), 202)
	s.clock.Add(time.Minute)
	want(t, s.call(t, "budi", "POST", path+"/handback", `{}`), 200)
	b := newBrowser(t, s)
	wantRedirect(t, b.login("sari", ownerPassword, nil), "/console")

	body := b.get("/console/staff").Body.String()
	for _, want := range []string{"Sari", "budi", "rina", "pemilik", "mitra staff add", "2 Mar 2026"} {
		if !strings.Contains(body, want) {
			t.Errorf("the accounts page lacks %q", want)
		}
	}
	if strings.Contains(body, "<form method=\"post\" action=\"/console/staff") {
		t.Errorf("the accounts page changes accounts")
	}

	body = b.get("/console/audit").Body.String()
	got := regexp.MustCompile(`<strong>(\w+)</strong> ([a-z ]+)`).FindAllStringSubmatch(body, -1)
	var lines []string
	for _, m := range got {
		lines = append(lines, m[1]+" "+strings.TrimSpace(m[2]))
	}
	if want := "budi mengembalikan ke bot|budi membalas|budi mengambil alih"; strings.Join(lines, "|") != want {
		t.Errorf("audit %q, want %q", lines, want)
	}
	if !strings.Contains(body, `<a href="/console/contacts/`+string(id)+`">Dewi</a>`) {
		t.Errorf("the audit does not name and link the contact")
	}
}

// TestOwnerCanned adds, refuses and deletes canned replies through the
// page's forms.
func TestOwnerCanned(t *testing.T) {
	s := newInboxServer(t)
	b := newBrowser(t, s)
	wantRedirect(t, b.login("sari", ownerPassword, nil), "/console")
	b.get("/console/canned")
	token := b.cookies[formCookie]

	rec := b.post("/console/canned", url.Values{formField: {token}, "name": {"Salam"}, "text": {`Halo {{contact.name}} <script>x</script>`}, "text_en": {"Hi {{contact.name}}"}})
	wantRedirect(t, rec, "/console/canned?saved=salam")
	body := b.get("/console/canned?saved=salam").Body.String()
	for _, want := range []string{"Balasan “salam” tersimpan.", "Halo {{contact.name}} &lt;script&gt;x&lt;/script&gt;", "Hi {{contact.name}}", `action="/console/canned/salam/delete"`, "1 balasan cepat"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("a canned reply reached the page unescaped")
	}

	rec = b.post("/console/canned", url.Values{formField: {token}, "name": {"jam buka"}, "text": {"Buka {{jam}}"}})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "Belum tersimpan") || !strings.Contains(rec.Body.String(), `value="jam buka"`) ||
		!strings.Contains(rec.Body.String(), "Buka {{jam}}</textarea>") {
		t.Errorf("a bad reply: %d, want 400 with why and the form kept\n%.2000s", rec.Code, rec.Body)
	}
	if rec := b.post("/console/canned", url.Values{"name": {"x"}, "text": {"y"}}); rec.Code != 403 {
		t.Errorf("a post without the form token: %d, want 403", rec.Code)
	}
	if rec := b.post("/console/canned/salam/delete", url.Values{}); rec.Code != 403 {
		t.Errorf("a delete without the form token: %d, want 403", rec.Code)
	}
	wantRedirect(t, b.post("/console/canned/salam/delete", url.Values{formField: {token}}), "/console/canned?deleted=salam")
	if rec := b.post("/console/canned/salam/delete", url.Values{formField: {token}}); rec.Code != 404 {
		t.Errorf("deleting it again: %d, want 404", rec.Code)
	}
	if rs, _ := s.store.CannedReplies(t.Context()); len(rs) != 0 {
		t.Errorf("left %+v", rs)
	}
}
