package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisstore"
)

// ordersCmd is `mitra orders`.
func ordersCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "orders",
		Short: "List the shop's orders and change where they stand (MITRA_REDIS_URL)",
		Long: "List and show the shop's orders, kept in the Redis of MITRA_REDIS_URL, and change their states.\n\n" +
			"An order stands in three states at once: the order (new, confirmed, completed, cancelled), its payment " +
			"(unpaid, awaiting, dp_paid, paid, cod) and its fulfilment (preparing, shipped, delivered, picked_up). The Indonesian words " +
			"work too (baru, dikonfirmasi, selesai, dibatalkan, belum-dibayar, menunggu-konfirmasi, dp-dibayar, dibayar, disiapkan, dikirim, " +
			"diterima, diambil). A change that makes no sense is refused with the reason; every change is recorded in the " +
			"order's history with --by, and the customer is told in their chat. An order to an address in no delivery area " +
			"waits for its fee (set-fee) before it is confirmed, paid or shipped.",
		Args: cobra.NoArgs,
	}
	c.AddCommand(ordersListCmd(), ordersShowCmd(), ordersSetStatusCmd(), ordersSetPaymentCmd(), ordersShipCmd(), ordersSetFeeCmd())
	return c
}

func ordersListCmd() *cobra.Command {
	var state string
	var limit int
	var asJSON bool
	c := &cobra.Command{
		Use:   "list",
		Short: "List the orders, the last changed first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withConfigStore(cmd, func(cfg config.Config, s *redisstore.Store) error {
				ctx := cmd.Context()
				orders, err := s.ListOrders(ctx, care.OrderQuery{Status: state, Limit: limit})
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), orEmpty(orders))
				}
				if len(orders) == 0 {
					fmt.Fprintln(cmd.OutOrStdout(), "no orders")
					return nil
				}
				var ids []care.ContactID
				for _, o := range orders {
					if o.Contact != "" && !slices.Contains(ids, o.Contact) {
						ids = append(ids, o.Contact)
					}
				}
				names, err := s.ContactNames(ctx, ids)
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "NUMBER\tORDER\tPAYMENT\tFULFILMENT\tTOTAL\tUPDATED\tCUSTOMER")
				for _, o := range orders {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Number, o.State, o.Payment, fulfilmentOf(o.Fulfilment), care.Rupiah(o.Total, "id"),
						o.Updated.In(cfg.TimeZone).Format("2006-01-02 15:04"), customerOf(o, names))
				}
				return w.Flush()
			})
		},
	}
	c.Flags().StringVar(&state, "state", "", "only the orders in this state, of any of the three kinds (new, paid, shipped, dibayar…)")
	c.Flags().IntVarP(&limit, "number", "n", 50, "how many at most (up to 500)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// orEmpty is s, or an empty slice for nil: JSON says [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// fulfilmentOf is a fulfilment state as the commands print it.
func fulfilmentOf(s care.FulfilmentState) string {
	if s == "" {
		return "-"
	}
	return string(s)
}

// customerOf names the customer of o: their name now and their id, or
// that they erased their data.
func customerOf(o care.Order, names map[care.ContactID]string) string {
	if o.Contact == "" {
		return "(erased)"
	}
	if n := names[o.Contact]; n != "" {
		return n + " (" + string(o.Contact) + ")"
	}
	return string(o.Contact)
}

func ordersShowCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "show NUMBER",
		Short: "Show an order: its lines, amounts, delivery, payment and history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withConfigStore(cmd, func(cfg config.Config, s *redisstore.Store) error {
				ctx := cmd.Context()
				o, err := s.Order(ctx, args[0])
				if err != nil {
					return unknownOrder(err)
				}
				if asJSON {
					return printJSON(cmd.OutOrStdout(), o)
				}
				names, err := s.ContactNames(ctx, []care.ContactID{o.Contact})
				if err != nil {
					return err
				}
				printOrder(cmd.OutOrStdout(), o, customerOf(o, names), cfg.TimeZone)
				return nil
			})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// unknownOrder adds to an order not found where the numbers are.
func unknownOrder(err error) error {
	if care.ErrorCode(err) == care.ENotFound {
		return fmt.Errorf("%w (mitra orders list shows the numbers)", err)
	}
	return err
}

// printOrder writes o for a person, times in loc.
func printOrder(out io.Writer, o care.Order, customer string, loc *time.Location) {
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "%s\t%s · %s · %s (%s · %s · %s)\n", o.Number, o.State, o.Payment, fulfilmentOf(o.Fulfilment),
		care.StatusLabel(string(o.State)), care.StatusLabel(string(o.Payment)), care.StatusLabel(string(o.Fulfilment)))
	fmt.Fprintf(w, "customer\t%s\n", customer)
	fmt.Fprintf(w, "created\t%s, updated %s\n", at(o.Created), at(o.Updated))
	for i, l := range o.Lines {
		label := ""
		if i == 0 {
			label = "lines"
		}
		qty := strconv.FormatFloat(l.Qty, 'f', -1, 64)
		if l.Unit != "" {
			qty += " " + l.Unit
		}
		fmt.Fprintf(w, "%s\t%s %s × %s = %s\n", label, qty, l.Name, care.Rupiah(l.Price, "id"), care.Rupiah(l.Amount(), "id"))
	}
	fmt.Fprintf(w, "subtotal\t%s\n", care.Rupiah(o.Subtotal, "id"))
	if o.FeePending {
		fmt.Fprintf(w, "delivery fee\tnot known yet: set it (mitra orders set-fee %s FEE)\n", o.Number)
	} else {
		fmt.Fprintf(w, "delivery fee\t%s\n", care.Rupiah(o.DeliveryFee, "id"))
	}
	fmt.Fprintf(w, "total\t%s, by %s\n", care.Rupiah(o.Total, "id"), o.Method)
	d := o.Delivery
	if d.Pickup {
		fmt.Fprintf(w, "delivery\tpicked up at the shop\n")
	} else {
		to := strings.Join(slices.DeleteFunc([]string{d.Recipient, d.Phone, d.Address, d.Area}, func(s string) bool { return s == "" }), ", ")
		fmt.Fprintf(w, "delivery\tto %s\n", cmpOrDash(to))
	}
	for _, f := range []struct{ name, value string }{{"resi", o.Resi}, {"proof", o.Proof}, {"note", o.Note}} {
		if f.value != "" {
			fmt.Fprintf(w, "%s\t%s\n", f.name, f.value)
		}
	}
	if p := o.PreOrder; p != nil {
		fmt.Fprintf(w, "pre-order\tdown payment %s, ready %s\n", care.Rupiah(p.Deposit, "id"), p.Ready.In(loc).Format("2006-01-02"))
	}
	if !o.Erased.IsZero() {
		fmt.Fprintf(w, "erased\t%s: kept for the books without the customer\n", at(o.Erased))
	}
	for i, e := range o.History {
		label := ""
		if i == 0 {
			label = "history"
		}
		what := string(e.What) + " " + cmpOrDash(e.From) + " → " + e.To
		if e.What == care.FieldProof {
			what = "proof of payment attached"
		}
		if e.What == care.FieldFee {
			what = "delivery fee " + feeOf(e.From) + " → " + feeOf(e.To)
		}
		if e.Resi != "" {
			what += ", resi " + e.Resi
		}
		if e.Reason != "" {
			what += " (" + e.Reason + ")"
		}
		fmt.Fprintf(w, "%s\t%s  %s  %s\n", label, at(e.At), e.By, what)
	}
	_ = w.Flush()
}

// feeOf is a fee of the history in rupiah, "not known" for none.
func feeOf(s string) string {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return "not known"
	}
	return care.Rupiah(n, "id")
}

// cmpOrDash is s, or "-" when it is empty.
func cmpOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// changeFlags are the flags every change takes.
type changeFlags struct {
	by, reason string
}

func (f *changeFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.by, "by", "cli", "who made the change, for the order's history")
	c.Flags().StringVar(&f.reason, "reason", "", "why, told to the customer (required to take a payment back to unpaid)")
}

// changeOrder applies ch to the order of number, made by f.by, and says
// what became of it and what the customer is told.
func changeOrder(cmd *cobra.Command, number string, ch care.OrderChange, f changeFlags) error {
	return withStore(cmd, func(s *redisstore.Store) error {
		changed := false
		u, err := s.UpdateOrder(cmd.Context(), number, func(o care.Order) (care.Order, error) {
			next, err := o.Apply(ch, f.by, time.Now())
			changed = err == nil && len(next.History) > len(o.History)
			return next, err
		})
		if err != nil {
			return unknownOrder(err)
		}
		o, out := u.Order, cmd.OutOrStdout()
		if !changed {
			fmt.Fprintf(out, "%s: no change, it is %s · %s · %s already\n", o.Number, o.State, o.Payment, fulfilmentOf(o.Fulfilment))
			return nil
		}
		fmt.Fprintf(out, "%s: %s · %s · %s\n", o.Number, o.State, o.Payment, fulfilmentOf(o.Fulfilment))
		printNotice(out, u)
		return nil
	})
}

func ordersSetStatusCmd() *cobra.Command {
	var f changeFlags
	var resi string
	c := &cobra.Command{
		Use:   "set-status NUMBER STATUS",
		Short: "Move an order to a state of any of the three kinds (confirmed, cancelled, completed, paid, delivered…)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := care.ParseOrderStatus(args[1])
			if err != nil {
				return err
			}
			ch := care.OrderChange{Resi: resi, Reason: f.reason}
			switch {
			case care.OrderState(st).Valid():
				ch.Order = care.OrderState(st)
			case care.PaymentState(st).Valid():
				ch.Payment = care.PaymentState(st)
			default:
				ch.Fulfilment = care.FulfilmentState(st)
			}
			return changeOrder(cmd, args[0], ch, f)
		},
	}
	f.add(c)
	c.Flags().StringVar(&resi, "resi", "", "the courier's tracking number, with shipped")
	return c
}

func ordersSetPaymentCmd() *cobra.Command {
	var f changeFlags
	c := &cobra.Command{
		Use:   "set-payment NUMBER STATUS",
		Short: "Move an order's payment to unpaid, awaiting, dp_paid (a pre-order's down payment) or paid",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := care.ParseOrderStatus(args[1])
			if err != nil {
				return err
			}
			if !care.PaymentState(st).Valid() {
				return fmt.Errorf("%q is not a state of the payment: want unpaid, awaiting, dp_paid or paid (belum-dibayar, menunggu-konfirmasi, dp-dibayar, dibayar)", args[1])
			}
			return changeOrder(cmd, args[0], care.OrderChange{Payment: care.PaymentState(st), Reason: f.reason}, f)
		},
	}
	f.add(c)
	return c
}

func ordersShipCmd() *cobra.Command {
	var f changeFlags
	var resi string
	c := &cobra.Command{
		Use:   "ship NUMBER --resi RESI",
		Short: "Mark an order shipped with the courier's tracking number (again: correct the resi)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return changeOrder(cmd, args[0], care.OrderChange{Fulfilment: care.FulfilmentShipped, Resi: resi, Reason: f.reason}, f)
		},
	}
	f.add(c)
	c.Flags().StringVar(&resi, "resi", "", "the courier's tracking number (required)")
	_ = c.MarkFlagRequired("resi") // the flag exists: it cannot fail
	return c
}

// printNotice says what the customer was told of an order's change, or
// that nobody was (an erased customer's order, kept for the books).
func printNotice(out io.Writer, u care.OrderUpdate) {
	switch {
	case u.Notice != nil:
		fmt.Fprintf(out, "the customer is told (through the gate): %s\n", u.Notice.Text)
	case u.Order.Contact == "":
		fmt.Fprintln(out, "kept for the books: the customer erased their data, nobody is told")
	}
}
