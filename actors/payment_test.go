package actors_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/cardgateway"
)

const tokBlock = "tok_block"

// blockingProvider holds tok_block charges until released, then charges
// them as tok_visa: a gateway that is slow for one customer.
type blockingProvider struct {
	*cardgateway.Simulator
	release chan struct{}
	entered chan struct{}
}

func (p blockingProvider) Charge(ctx context.Context, req boxoffice.ChargeRequest) (string, error) {
	if req.Token == tokBlock {
		p.entered <- struct{}{}
		select {
		case <-p.release:
		case <-ctx.Done():
			return "", boxoffice.Errorf(boxoffice.EUNAVAILABLE, "slow")
		}
		req.Token = cardgateway.TokenVisa
	}
	return p.Simulator.Charge(ctx, req)
}

// One slow gateway call does not hold up the payments behind it: the
// payment actor hands gateway calls to workers.
func TestPaymentSlowGatewayDoesNotBlock(t *testing.T) {
	bkNoLeaks(t)
	gw := cardgateway.NewSimulator()
	p := blockingProvider{Simulator: gw, release: make(chan struct{}), entered: make(chan struct{}, 1)}
	env := MustOpenBookingEngine(t, BookingOptions{Gateway: gw, Provider: p, ChargeTimeout: 10 * time.Second})

	slow := env.Hold(t, "u1", "A1")
	done := make(chan error, 1)
	go func() {
		_, err := env.Book(t, "u1", slow.ID, tokBlock, "")
		done <- err
	}()
	<-p.entered
	// The slow charge is held until release, so a booking that finishes
	// now went past it rather than waiting behind it.
	env.MustBook(t, "u2", "A2")
	select {
	case err := <-done:
		t.Fatalf("the slow booking finished before its charge was released: %v", err)
	default:
	}
	close(p.release)
	if err := <-done; err != nil {
		t.Fatalf("slow booking: %v", err)
	}
	env.MustBalance(t)
}

// Many bookings at once all end confirmed, each charged once.
func TestPaymentManyAtOnce(t *testing.T) {
	env := MustOpenBookingEngine(t, BookingOptions{})
	var wg sync.WaitGroup
	for i := 1; i <= 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			row := "A"
			if i > 10 {
				row = "B"
			}
			user, seat := fmt.Sprintf("u%d", i), fmt.Sprintf("%s%d", row, (i-1)%10+1)
			h, err := env.Engine.Showtimes().Hold(bkCtx(t), env.ShowtimeID, user, []string{seat})
			if err != nil {
				t.Errorf("hold %s: %v", seat, err)
				return
			}
			if b, err := env.Book(t, user, h.ID, cardgateway.TokenVisa, ""); err != nil || b.Status != boxoffice.BookingConfirmed {
				t.Errorf("book %s: %+v, %v", seat, b, err)
			}
		}()
	}
	wg.Wait()
	if captured, _, charges := env.Gateway.Totals(); charges != 20 || captured != 10*bkPriceStandard+10*bkPricePremium {
		t.Fatalf("%d charges, %d captured", charges, captured)
	}
	env.MustBalance(t)
}
