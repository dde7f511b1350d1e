package whatsapp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"go.mau.fi/whatsmeow/types"

	"github.com/mitra-care/mitra/internal/care"
)

// Forget implements care.Forgetter. It removes what the device store
// keeps about the person at a and at the address WhatsApp paired with it
// (their phone number and their LID), and what the channel remembers of
// their chat: messages to mark read, whether the number is on WhatsApp,
// the chat's pacing. It is idempotent, and addresses that are not
// WhatsApp's are none of its business.
//
// In the device store that is every row whatsmeow keys by either JID:
// push name and contact names, the LID mapping, Signal sessions and
// identity keys, sender keys, message secrets, privacy tokens, chat
// settings and the copies of sent messages kept for retries. Two things
// stay: a decrypted message not yet acknowledged (whatsmeow keys it by a
// hash of the ciphertext alone and clears it once acknowledged), and
// whatsmeow's in-memory caches of push names and LID mappings, which are
// never written back and go with the process.
//
// Sending to the person again makes whatsmeow store their LID mapping,
// session and identity key anew, so erasure calls Forget after its last
// message to them.
func (c *Channel) Forget(ctx context.Context, a care.Address) error {
	if a.Channel != care.WhatsApp || a.Simulated() {
		return nil
	}
	user, lid, ok := whatsAppUser(a.ID)
	if !ok {
		return nil // no JID has this id: WhatsApp kept nothing under it
	}
	c.forgetChat(a.ID)
	if c.cfg.Store == nil {
		return nil
	}
	paired, err := c.cfg.Store.forget(ctx, user, lid)
	if err != nil {
		return c.redactErr(fmt.Errorf("whatsapp: forget %s: %w", c.who(a), err), a)
	}
	if paired != (care.Address{}) {
		c.forgetChat(paired.ID)
	}
	c.log.Info("forgot a WhatsApp contact in the device store", "contact", c.who(a))
	return nil
}

// forgetChat drops what the channel remembers of the chat with id.
func (c *Channel) forgetChat(id string) {
	c.mu.Lock()
	delete(c.unread, id)
	delete(c.onWA, id)
	c.mu.Unlock()
	c.pacer.forget(id)
}

// whatsAppUser splits a WhatsApp address id into the user part of its JID
// and whether that is a LID, or reports that the id cannot be a JID.
func whatsAppUser(id string) (user string, lid, ok bool) {
	user, lid = strings.CutPrefix(id, lidPrefix)
	return user, lid, user != "" && strings.Trim(user, "0123456789") == ""
}

// A person's JIDs appear in two forms in whatsmeow's tables: as a JID
// ("<user>@<server>", "<user>:<device>@<server>",
// "<user>.<agent>:<device>@<server>") and as a Signal address
// ("<user>:<device>", "<user>_<agent>:<device>").
var (
	// jidColumns hold JIDs, by table.
	jidColumns = []struct{ table, column string }{
		{"whatsmeow_contacts", "their_jid"},
		{"whatsmeow_chat_settings", "chat_jid"},
		{"whatsmeow_privacy_tokens", "their_jid"},
		{"whatsmeow_message_secrets", "chat_jid"},
		{"whatsmeow_message_secrets", "sender_jid"},
		{"whatsmeow_retry_buffer", "chat_jid"},
	}
	// signalColumns hold Signal addresses, by table.
	signalColumns = []struct{ table, column string }{
		{"whatsmeow_sessions", "their_id"},
		{"whatsmeow_identity_keys", "their_id"},
		{"whatsmeow_sender_keys", "sender_id"},
	}
)

// forget deletes, in one transaction, every row of whatsmeow's tables
// about the person whose JID user is user (a LID when lid), and about
// the other JID the LID map pairs with it. It returns the address of that
// other JID, zero when none is known.
func (s *Store) forget(ctx context.Context, user string, lid bool) (paired care.Address, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return care.Address{}, fmt.Errorf("whatsapp store: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var pn, lidUser string
	if lid {
		lidUser = user
		err = tx.QueryRowContext(ctx, `SELECT pn FROM whatsmeow_lid_map WHERE lid = ?`, user).Scan(&pn)
		if pn != "" {
			paired = phoneAddress(pn)
		}
	} else {
		pn = user
		err = tx.QueryRowContext(ctx, `SELECT lid FROM whatsmeow_lid_map WHERE pn = ?`, user).Scan(&lidUser)
		if lidUser != "" {
			paired = lidAddress(lidUser)
		}
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return care.Address{}, fmt.Errorf("whatsapp store: read the LID map: %w", err)
	}
	err = nil
	for _, j := range []struct{ user, server string }{{pn, types.DefaultUserServer}, {lidUser, types.HiddenUserServer}} {
		if j.user == "" {
			continue
		}
		for _, col := range jidColumns {
			q := fmt.Sprintf(`DELETE FROM %s WHERE %[2]s = ? OR %[2]s LIKE ? OR %[2]s LIKE ?`, col.table, col.column)
			if _, err = tx.ExecContext(ctx, q, j.user+"@"+j.server, j.user+":%@"+j.server, j.user+".%@"+j.server); err != nil {
				return care.Address{}, fmt.Errorf("whatsapp store: clear %s: %w", col.table, err)
			}
		}
		for _, col := range signalColumns {
			q := fmt.Sprintf(`DELETE FROM %s WHERE %[2]s LIKE ? OR %[2]s LIKE ? ESCAPE '\'`, col.table, col.column)
			if _, err = tx.ExecContext(ctx, q, j.user+":%", j.user+`\_%`); err != nil {
				return care.Address{}, fmt.Errorf("whatsapp store: clear %s: %w", col.table, err)
			}
		}
	}
	if _, err = tx.ExecContext(ctx, `DELETE FROM whatsmeow_lid_map WHERE lid = ? OR pn = ?`, lidUser, pn); err != nil {
		return care.Address{}, fmt.Errorf("whatsapp store: clear whatsmeow_lid_map: %w", err)
	}
	if err = tx.Commit(); err != nil {
		return care.Address{}, fmt.Errorf("whatsapp store: %w", err)
	}
	return paired, nil
}
