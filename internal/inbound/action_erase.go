package inbound

import "github.com/mitra-care/mitra/internal/flow"

// ActionErase erases everything kept about the person: the step's
// commit starts the erasure, and a durable job finishes it.
const ActionErase = "erase"

var eraseAction = action{do: func(s *step, _ flow.Action) { s.commit.Erase = true }}
