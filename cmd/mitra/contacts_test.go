package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mitra-care/mitra/internal/redistest"
)

// runContacts runs `mitra contacts args...` and returns what it printed.
func runContacts(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return run(t, contactsCmd(), args...)
}

func TestContactsImportExport(t *testing.T) {
	t.Setenv("MITRA_REDIS_URL", redistest.Server(t).URL())
	t.Setenv("MITRA_DEFAULT_COUNTRY", "+62")
	dir := t.TempDir()
	in := filepath.Join(dir, "kontak.csv")
	sheet := "\uFEFFChannel;ID;Name;Language;Tags;Consent\r\n" +
		"whatsapp;0812-3456-7891;Sari;id;vip|pasar;ya\r\n" +
		"telegram;5550001;Budi;jv;;ya\r\n" +
		"whatsapp;0812;Dewi;;;ya\r\n"
	if err := os.WriteFile(in, []byte(sheet), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runContacts(t, "import", in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"imported 1 row: 1 new contact, 0 contacts already known (updated), 0 rows merged", "skipped 2 rows:", `line 3: language "jv": the flows speak`,
		`line 4: number "0812"`, `warning: column "Consent" ignored`, "consent untouched"} {
		if !strings.Contains(out, want) {
			t.Errorf("import printed\n%s\nwant %q in it", out, want)
		}
	}

	out, err = runContacts(t, "export")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "(Sari)  whatsapp:6281234567891  lang id  tags vip, pasar  orders not withdrawn  promotions not given") || !strings.HasSuffix(out, "contacts listed: 1\n") {
		t.Errorf("export printed\n%s", out)
	}

	file := filepath.Join(dir, "export.csv")
	if out, err = runContacts(t, "export", "--csv", file); err != nil || !strings.Contains(out, "contacts written to "+file+": 1") {
		t.Fatalf("export --csv: %v\n%s", err, out)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("the export is %v, want readable by its owner alone", st.Mode().Perm())
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) != 2 || !strings.Contains(lines[1], ",Sari,6281234567891,,id,,vip; pasar,not withdrawn,,not given,,") {
		t.Errorf("export file:\n%s", data)
	}
	if _, err := runContacts(t, "export", "--csv", file); err == nil || !strings.Contains(err.Error(), "never writes over a file") {
		t.Errorf("export over a file: %v, want it refused", err)
	}
}
