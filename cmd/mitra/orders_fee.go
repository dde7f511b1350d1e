package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/mitra-care/mitra/internal/app"
	"github.com/mitra-care/mitra/internal/care"
	"github.com/mitra-care/mitra/internal/catalog"
	"github.com/mitra-care/mitra/internal/config"
	"github.com/mitra-care/mitra/internal/redisstore"
)

func ordersSetFeeCmd() *cobra.Command {
	var by string
	var asJSON bool
	c := &cobra.Command{
		Use:   "set-fee NUMBER FEE",
		Short: "Set an order's delivery fee in whole rupiah (12000): the customer hears the new total and how to pay",
		Long: "Set the delivery fee (ongkir) of an order, in whole rupiah: one filed with its fee not known yet (an address in " +
			"none of catalog.yaml's delivery areas, and no flat fee), or a correction. The fee is recorded in the order's history " +
			"with --by, and the customer is told the fee, the new total and how to pay, from the payment section of the catalog in " +
			"MITRA_FLOWS_DIR. Refused with the reason for a pickup, or an order paid, shipped, completed, cancelled, or paid on " +
			"delivery and already put to its customer to confirm.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			fee, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("fee %q: want whole rupiah, digits only, such as 12000", args[1])
			}
			return withConfigStore(cmd, func(cfg config.Config, s *redisstore.Store) error {
				cat, err := catalog.Load(app.FlowsFS(cfg.FlowsDir))
				if err != nil {
					return fmt.Errorf("the customer is told how to pay from the catalog, which has problems (mitra flows check lists them): %w", err)
				}
				var pay care.PayText
				if cat != nil {
					pay = cat.OrderPayText
				}
				u, err := s.SetOrderFee(cmd.Context(), args[0], fee, by, pay)
				if err != nil {
					return unknownOrder(err)
				}
				o, out := u.Order, cmd.OutOrStdout()
				if asJSON {
					var notice any
					if m := u.Notice; m != nil {
						notice = map[string]string{"id": m.ID, "text": m.Text}
					}
					return printJSON(out, map[string]any{"order": o, "notice": notice})
				}
				fmt.Fprintf(out, "%s: delivery fee %s, total %s\n", o.Number, care.Rupiah(o.DeliveryFee, "id"), care.Rupiah(o.Total, "id"))
				printNotice(out, u)
				return nil
			})
		},
	}
	c.Flags().StringVar(&by, "by", "cli", "who set the fee, for the order's history")
	c.Flags().BoolVar(&asJSON, "json", false, "print the order and the message to the customer as JSON")
	return c
}
