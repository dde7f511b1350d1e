package inbound

import "github.com/mitra-care/mitra/internal/flow"

// ActionEscalate hands the conversation to a person: the bot keeps
// quiet for StaffHold, and messages the flows composed before it are not
// sent.
const ActionEscalate = "escalate"

var escalateAction = action{do: func(s *step, a flow.Action) {
	s.sess.StaffUntil = s.now.Add(s.r.cfg.StaffHold)
	s.contact.HeldSince = s.now
	s.r.cfg.Logger.Info("conversation handed to staff", "contact", s.contact.ID, "reason", a.Args["reason"])
}}
