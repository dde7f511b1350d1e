package inbound

import (
	"fmt"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/flow"
)

// ActionConsent records the contact's answer to a consent question:
// args purpose (orders, promotions) and grant (yes, no).
const ActionConsent = "consent"

var consentAction = action{
	check: func(args map[string]string) error {
		if p, ok := args["purpose"]; !ok || !care.Purpose(p).Valid() {
			return fmt.Errorf("args purpose must be orders or promotions, as plain text")
		}
		if g, ok := args["grant"]; !ok || (g != "yes" && g != "no") {
			return fmt.Errorf(`args grant must be "yes" or "no", as plain text`)
		}
		return nil
	},
	do: func(s *step, a flow.Action) {
		p := care.Purpose(a.Args["purpose"])
		if !p.Valid() {
			s.r.cfg.Logger.Error("consent action with an unknown purpose; nothing recorded", "contact", s.contact.ID, "purpose", p)
			return
		}
		grant := a.Args["grant"] == "yes"
		if grant && p == care.Promotions && a.Question == "" {
			// Only the contact's own yes to a question grants promotions;
			// a flow cannot grant it on its own.
			s.r.cfg.Logger.Error("a flow grants promotions without a question answered; nothing recorded", "contact", s.contact.ID)
			return
		}
		s.consent(p, grant, care.SourceFlow, a)
	},
}
