package flow

import (
	"maps"
	"slices"
)

// A Call is Go code that a flow runs inside a step (do: name), for what
// the flows' own steps cannot say: reading an order from a message,
// pricing it from the catalog. The runtime registers its calls in
// Options.Calls. A call is pure like Step — no I/O, no clock but the
// environment's, no randomness — so a step that runs one is retried
// and tested like any other, by the conversation tests too. It reads
// the message, the variables and the environment, and returns the
// variables to set, on which the steps after it branch, and the
// messages to say.
//
// A flow may also name a call as its catch: a message the call claims
// (CallOut.Claim) starts the flow, before the examples are scored.
type Call func(CallIn) CallOut

// CallIn is what a call reads.
type CallIn struct {
	// Args are the do step's arguments, rendered; nil for a catch.
	Args map[string]string
	// Input is the message being handled: its text, or the id of a
	// tapped button.
	Input string
	// Vars are the conversation's variables (a copy).
	Vars map[string]string
	// Lang is the language being spoken.
	Lang string
	// Env is the step's environment: the time, the contact's values and
	// Mitra's.
	Env Env
}

// CallOut is what a call does.
type CallOut struct {
	// Set are variables to set; an empty value removes the variable. A
	// value keeps 256 characters and a conversation 32 variables, as
	// for every step.
	Set map[string]string
	// Say are messages to send, in order, before whatever the next
	// steps say; empty ones are skipped.
	Say []string
	// Claim, from a flow's catch, says the message is the flow's: the
	// flow starts. It means nothing from a do step.
	Claim bool
}

// call runs the step's call c and applies what it returns.
func (r *run) call(st *step, c Call) {
	out := c(r.callIn(r.args(st)))
	for _, k := range slices.Sorted(maps.Keys(out.Set)) {
		if v := out.Set[k]; v != "" {
			r.setVar(k, v)
		} else {
			r.unsetVar(k)
		}
	}
	for _, s := range out.Say {
		if s != "" {
			r.res.Messages = append(r.res.Messages, Message{Text: s})
		}
	}
}

// callIn is what a call of this run reads, with args.
func (r *run) callIn(args map[string]string) CallIn {
	return CallIn{Args: args, Input: r.input, Vars: maps.Clone(r.sess.Vars), Lang: r.set.langs[r.lang], Env: r.env}
}

// catch starts the first flow whose catch claims the message, and
// reports whether one did. Only typed text is caught: a tap answers
// its question.
func (r *run) catch() bool {
	if r.words == nil {
		return false
	}
	for _, f := range r.set.catches {
		if !r.set.calls[f.catch](r.callIn(nil)).Claim {
			continue
		}
		if r.fresh {
			r.say(r.set.texts[TextGreeting])
		}
		r.understood()
		r.startFlow(f)
		return true
	}
	return false
}

// unsetVar removes a variable.
func (r *run) unsetVar(name string) {
	if _, ok := r.sess.Vars[name]; !ok {
		return
	}
	if !r.ownsVars {
		r.sess.Vars, r.ownsVars = maps.Clone(r.sess.Vars), true
	}
	delete(r.sess.Vars, name)
}
