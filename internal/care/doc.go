// Package care holds Mitra's domain: who a contact is, what they send us,
// what we send them, the state of their conversation, and the interfaces
// that the storage and channel packages implement.
//
// It imports only the standard library, so every other package can speak
// in these terms without depending on Redis, WhatsApp or Telegram.
package care
