package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/redisstore"
	"github.com/mitra-care/mitra/internal/redistest"
)

// runStaff runs `mitra staff args...` with stdin and returns what it
// printed.
func runStaff(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	c := staffCmd(redisstore.WithBcryptCost(bcrypt.MinCost))
	var out, errOut bytes.Buffer
	c.SetIn(strings.NewReader(stdin))
	c.SetOut(&out)
	c.SetErr(&errOut)
	c.SetArgs(args)
	err = c.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

func TestStaffCommands(t *testing.T) {
	t.Setenv("MITRA_REDIS_URL", redistest.Server(t).URL())
	t.Setenv("MITRA_REDIS_PREFIX", "clitest")

	steps := []struct {
		name, stdin string
		args        []string
		// out is in stdout; fails is in the error, when it must fail.
		out, fails string
	}{
		{name: "add an owner", stdin: "kopi-susu-2026\n", args: []string{"add", "Sari", "--role", "owner", "--password-stdin"}, out: "added Sari (owner)"},
		{name: "add staff, no new line", stdin: "teh-manis-dingin", args: []string{"add", "budi", "--password-stdin"}, out: "added budi (staff)"},
		{name: "a taken name", stdin: "kopi-susu-2026\n", args: []string{"add", "SARI", "--password-stdin"}, fails: "exists already"},
		{name: "a short password", stdin: "pendek\n", args: []string{"add", "dewi", "--password-stdin"}, fails: "at least 10 characters"},
		{name: "no password", stdin: "", args: []string{"add", "dewi", "--password-stdin"}, fails: "read the password from stdin"},
		{name: "no terminal to ask at", args: []string{"add", "dewi"}, fails: "--password-stdin"},
		{name: "a bad name", stdin: "kopi-susu-2026\n", args: []string{"add", "dewi ayu", "--password-stdin"}, fails: "account name"},
		{name: "a bad role", stdin: "kopi-susu-2026\n", args: []string{"add", "dewi", "--role", "admin", "--password-stdin"}, fails: "--role must be owner or staff"},
		{name: "reset a password", stdin: "gula-aren-manis\n", args: []string{"reset-password", "budi", "--password-stdin"}, out: "new password set for budi"},
		{name: "reset the password of nobody", stdin: "gula-aren-manis\n", args: []string{"reset-password", "dewi", "--password-stdin"}, fails: "no account named dewi"},
		{name: "list", args: []string{"list"}, out: "budi  staff"},
		{name: "no tokens yet", args: []string{"token", "sari", "--list"}, out: "ID  CREATED  LABEL\n"},
		{name: "remove nobody", args: []string{"remove", "dewi"}, fails: "no account named dewi"},
		{name: "revoke no token", args: []string{"token", "sari", "--revoke", "abc"}, fails: `no token "abc"`},
		{name: "list and revoke at once", args: []string{"token", "sari", "--list", "--revoke", "abc"}, fails: "none of the others can be"},
		{name: "a code that links a chat", args: []string{"link", "budi"}, out: "LINK "},
		{name: "a code for nobody", args: []string{"link", "dewi"}, fails: "no account named dewi"},
	}
	for _, s := range steps {
		out, _, err := runStaff(t, s.stdin, s.args...)
		switch {
		case s.fails != "" && (err == nil || !strings.Contains(err.Error(), s.fails)):
			t.Errorf("%s: error %v, want one with %q", s.name, err, s.fails)
		case s.fails == "" && err != nil:
			t.Errorf("%s: %v", s.name, err)
		case !strings.Contains(out, s.out):
			t.Errorf("%s: printed %q, want %q in it", s.name, out, s.out)
		}
	}

	out, _, err := runStaff(t, "", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []care.StaffAccount
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if len(list) != 2 || list[0].Name != "budi" || list[0].Role != care.RoleStaff || list[1].Name != "Sari" || list[1].Role != care.RoleOwner || list[0].Created.IsZero() {
		t.Errorf("list --json = %+v, want budi (staff) and Sari (owner)", list)
	}
	if strings.Contains(out, "hash") || strings.Contains(out, "$2a$") {
		t.Errorf("list --json shows the hash:\n%s", out)
	}

	// A token is printed once, alone on stdout, then listed and revoked.
	secret, notice, err := runStaff(t, "", "token", "sari", "--label", "laptop kasir")
	if err != nil {
		t.Fatal(err)
	}
	secret = strings.TrimSuffix(secret, "\n")
	if !strings.HasPrefix(secret, "mitra_") || strings.Contains(secret, "\n") || !strings.Contains(notice, "shown only now") {
		t.Fatalf("token printed %q, notice %q", secret, notice)
	}
	out, _, err = runStaff(t, "", "token", "SARI", "--list")
	fields := strings.Fields(strings.Split(out, "\n")[1])
	if err != nil || len(fields) != 4 || fields[2]+" "+fields[3] != "laptop kasir" || strings.Contains(out, secret) {
		t.Fatalf("token --list: %v\n%s", err, out)
	}
	if out, _, err := runStaff(t, "", "token", "sari", "--revoke", fields[0]); err != nil || !strings.Contains(out, "revoked token "+fields[0]) {
		t.Errorf("token --revoke: %v %q", err, out)
	}
	if out, _, _ := runStaff(t, "", "token", "sari", "--list"); strings.Contains(out, fields[0]) {
		t.Errorf("the revoked token is still listed:\n%s", out)
	}

	// The code links the chat it is sent from, once.
	line, notice, err := runStaff(t, "", "link", "Sari")
	code, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "LINK ")
	if err != nil || !ok || len(code) != 6 || !strings.Contains(notice, "from their own Telegram or WhatsApp") {
		t.Fatalf("link printed %q, notice %q, %v", line, notice, err)
	}
	client, err := redisstore.Open(os.Getenv("MITRA_REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	chat := care.Address{Channel: care.Telegram, ID: "4242"}
	if res, err := redisstore.New(client, "clitest").LinkStaffChat(t.Context(), chat, care.Address{}, code, "m1"); err != nil || res.Outcome != care.LinkDone || res.Account != "Sari" {
		t.Errorf("the printed code links: %+v, %v", res, err)
	}

	if out, _, err := runStaff(t, "", "remove", "budi"); err != nil || !strings.Contains(out, "removed budi") {
		t.Errorf("remove: %v %q", err, out)
	}
	if out, _, _ := runStaff(t, "", "list"); strings.Contains(out, "budi") {
		t.Errorf("budi is still listed:\n%s", out)
	}
}
