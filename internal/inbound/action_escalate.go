package inbound

import "github.com/mitra-care/mitra/internal/flow"

// ActionEscalate hands the conversation to staff (arg reason says why,
// for the inbox): it waits for someone to take it, the bot keeps quiet
// meanwhile and tells the customer when to expect an answer, and
// messages the flows composed before it are not sent.
const ActionEscalate = "escalate"

var escalateAction = action{do: func(s *step, a flow.Action) { s.handOver(a.Args["reason"]) }}
