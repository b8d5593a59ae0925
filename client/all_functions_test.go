package client_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/vswarmu/vswarmu-mage/client"
	aespb "github.com/vswarmu/vswarmu-mage/client/pb/aes"
	authpb "github.com/vswarmu/vswarmu-mage/client/pb/auth"
	fibpb "github.com/vswarmu/vswarmu-mage/client/pb/fibonacci"
	"github.com/vswarmu/vswarmu-mage/client/pb/geo"
	hs "github.com/vswarmu/vswarmu-mage/client/pb/hipstershop"
	"github.com/vswarmu/vswarmu-mage/client/pb/profile"
	"github.com/vswarmu/vswarmu-mage/client/pb/rate"
	"github.com/vswarmu/vswarmu-mage/client/pb/recommendation"
	"github.com/vswarmu/vswarmu-mage/client/pb/reservation"
	"github.com/vswarmu/vswarmu-mage/client/pb/user"
	"github.com/vswarmu/vswarmu-mage/functions/reference"
)

// calls records what a server received: full method and request.
type calls struct {
	mu   sync.Mutex
	seen []call
}

type call struct {
	method string
	req    proto.Message
}

func (c *calls) interceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	c.mu.Lock()
	c.seen = append(c.seen, call{info.FullMethod, req.(proto.Message)})
	c.mu.Unlock()
	return h(ctx, req)
}

// Minimal implementations of every service, registered from the generated
// stubs; each answers with an empty reply of the right type.
type (
	geoS  struct{ geo.UnimplementedGeoServer }
	profS struct {
		profile.UnimplementedProfileServer
	}
	rateS struct{ rate.UnimplementedRateServer }
	recS  struct {
		recommendation.UnimplementedRecommendationServer
	}
	resS struct {
		reservation.UnimplementedReservationServer
	}
	userS struct{ user.UnimplementedUserServer }
	catS  struct {
		hs.UnimplementedProductCatalogServiceServer
	}
	curS struct {
		hs.UnimplementedCurrencyServiceServer
	}
	payS struct {
		hs.UnimplementedPaymentServiceServer
	}
	shipS struct {
		hs.UnimplementedShippingServiceServer
	}
	mailS struct {
		hs.UnimplementedEmailServiceServer
	}
	hrecS struct {
		hs.UnimplementedRecommendationServiceServer
	}
)

func (geoS) Nearby(context.Context, *geo.Request) (*geo.Result, error) { return &geo.Result{}, nil }
func (profS) GetProfiles(context.Context, *profile.Request) (*profile.Result, error) {
	return &profile.Result{}, nil
}
func (rateS) GetRates(context.Context, *rate.Request) (*rate.Result, error) {
	return &rate.Result{}, nil
}
func (recS) GetRecommendations(context.Context, *recommendation.Request) (*recommendation.Result, error) {
	return &recommendation.Result{}, nil
}
func (resS) CheckAvailability(context.Context, *reservation.Request) (*reservation.Result, error) {
	return &reservation.Result{}, nil
}
func (resS) MakeReservation(context.Context, *reservation.Request) (*reservation.Result, error) {
	return &reservation.Result{}, nil
}
func (userS) CheckUser(context.Context, *user.Request) (*user.Result, error) {
	return &user.Result{}, nil
}
func (catS) ListProducts(context.Context, *hs.Empty) (*hs.ListProductsResponse, error) {
	return &hs.ListProductsResponse{}, nil
}
func (catS) GetProduct(context.Context, *hs.GetProductRequest) (*hs.Product, error) {
	return &hs.Product{}, nil
}
func (curS) GetSupportedCurrencies(context.Context, *hs.Empty) (*hs.GetSupportedCurrenciesResponse, error) {
	return &hs.GetSupportedCurrenciesResponse{}, nil
}
func (curS) Convert(context.Context, *hs.CurrencyConversionRequest) (*hs.Money, error) {
	return &hs.Money{}, nil
}
func (payS) Charge(context.Context, *hs.ChargeRequest) (*hs.ChargeResponse, error) {
	return &hs.ChargeResponse{}, nil
}
func (shipS) GetQuote(context.Context, *hs.GetQuoteRequest) (*hs.GetQuoteResponse, error) {
	return &hs.GetQuoteResponse{}, nil
}
func (mailS) SendOrderConfirmation(context.Context, *hs.SendOrderConfirmationRequest) (*hs.Empty, error) {
	return &hs.Empty{}, nil
}
func (hrecS) ListRecommendations(context.Context, *hs.ListRecommendationsRequest) (*hs.ListRecommendationsResponse, error) {
	return &hs.ListRecommendationsResponse{}, nil
}

func TestEveryFunctionNameSendsItsRequest(t *testing.T) {
	year := time.Now().Year()
	cases := map[string]struct {
		register func(*grpc.Server)
		method   string
		check    func(proto.Message) string // "" when the request is right
	}{
		// fibonacci, aes and auth replies are checked: the reference servers answer.
		"fibonacci-go": {func(s *grpc.Server) { fibpb.RegisterGreeterServer(s, reference.Fibonacci{}) }, "/fibonacci.Greeter/SayHello",
			func(m proto.Message) string { return want(m.(*fibpb.HelloRequest).Name == "10", m) }},
		"aes-go": {func(s *grpc.Server) {
			a, _ := reference.NewAES(reference.DefaultAESKey, "defaultplaintext")
			aespb.RegisterAesServer(s, a)
		}, "/aes.Aes/ShowEncryption",
			func(m proto.Message) string {
				return want(m.(*aespb.PlainTextMessage).PlaintextMessage == "A unique message", m)
			}},
		"auth-go": {func(s *grpc.Server) { authpb.RegisterGreeterServer(s, reference.Auth{}) }, "/auth.Greeter/SayHello",
			func(m proto.Message) string { return want(m.(*authpb.HelloRequest).Name == "A unique message", m) }},
		"geo": {func(s *grpc.Server) { geo.RegisterGeoServer(s, geoS{}) }, "/geo.Geo/Nearby",
			func(m proto.Message) string {
				r := m.(*geo.Request)
				return want(r.Lat == float32(37.7867) && r.Lon == float32(-122.4112), m)
			}},
		"profile": {func(s *grpc.Server) { profile.RegisterProfileServer(s, profS{}) }, "/profile.Profile/GetProfiles",
			func(m proto.Message) string {
				return want(strings.Join(m.(*profile.Request).HotelIds, ",") == "1,2", m)
			}},
		"rate": {func(s *grpc.Server) { rate.RegisterRateServer(s, rateS{}) }, "/rate.Rate/GetRates",
			func(m proto.Message) string {
				r := m.(*rate.Request)
				return want(strings.Join(r.HotelIds, ",") == "1,2" && r.InDate == "2015-04-09" && r.OutDate == "2015-04-11", m)
			}},
		"recommendation": {func(s *grpc.Server) { recommendation.RegisterRecommendationServer(s, recS{}) }, "/recommendation.Recommendation/GetRecommendations",
			func(m proto.Message) string {
				r := m.(*recommendation.Request)
				return want(r.Require == "dis" && r.Lat == float64(float32(37.7867)), m)
			}},
		"reservation": {func(s *grpc.Server) { reservation.RegisterReservationServer(s, resS{}) }, "/reservation.Reservation/CheckAvailability",
			func(m proto.Message) string {
				r := m.(*reservation.Request)
				return want(r.CustomerName == "hello" && strings.Join(r.HotelId, ",") == "2" && r.RoomNumber == 1, m)
			}},
		"user": {func(s *grpc.Server) { user.RegisterUserServer(s, userS{}) }, "/user.User/CheckUser",
			func(m proto.Message) string {
				r := m.(*user.Request)
				return want(r.Username == "hello" && r.Password == "hello", m)
			}},
		"productcatalogservice": {func(s *grpc.Server) { hs.RegisterProductCatalogServiceServer(s, catS{}) }, "/hipstershop.ProductCatalogService/ListProducts",
			func(m proto.Message) string { _, ok := m.(*hs.Empty); return want(ok, m) }},
		"currencyservice": {func(s *grpc.Server) { hs.RegisterCurrencyServiceServer(s, curS{}) }, "/hipstershop.CurrencyService/GetSupportedCurrencies",
			func(m proto.Message) string { _, ok := m.(*hs.Empty); return want(ok, m) }},
		"paymentservice": {func(s *grpc.Server) { hs.RegisterPaymentServiceServer(s, payS{}) }, "/hipstershop.PaymentService/Charge",
			func(m proto.Message) string {
				r := m.(*hs.ChargeRequest)
				return want(r.Amount.CurrencyCode == "USD" && r.Amount.Units == 10 && r.CreditCard.CreditCardNumber == "5496524458927653" &&
					int(r.CreditCard.CreditCardExpirationYear) > year, m)
			}},
		"shippingservice": {func(s *grpc.Server) { hs.RegisterShippingServiceServer(s, shipS{}) }, "/hipstershop.ShippingService/GetQuote",
			func(m proto.Message) string {
				r := m.(*hs.GetQuoteRequest)
				return want(r.Address.ZipCode == 14534 && len(r.Items) == 2 && r.Items[0].ProductId == "OLJCESPC7Z" && r.Items[0].Quantity == 3, m)
			}},
		"emailservice": {func(s *grpc.Server) { hs.RegisterEmailServiceServer(s, mailS{}) }, "/hipstershop.EmailService/SendOrderConfirmation",
			func(m proto.Message) string {
				r := m.(*hs.SendOrderConfirmationRequest)
				return want(r.Email == "jonny.depp@gmail.com" && r.Order.OrderId == "123" && len(r.Order.Items) == 3, m)
			}},
		"recommendationservice": {func(s *grpc.Server) { hs.RegisterRecommendationServiceServer(s, hrecS{}) }, "/hipstershop.RecommendationService/ListRecommendations",
			func(m proto.Message) string {
				r := m.(*hs.ListRecommendationsRequest)
				return want(r.UserId == "10" && len(r.ProductIds) == 2, m)
			}},
	}
	for _, lang := range []string{"nodejs", "python"} {
		for _, f := range []string{"fibonacci", "aes", "auth"} {
			cases[f+"-"+lang] = cases[f+"-go"]
		}
	}
	if len(cases) != len(client.Functions) {
		t.Fatalf("%d cases for %d functions", len(cases), len(client.Functions))
	}
	for _, fn := range client.Functions {
		t.Run(fn, func(t *testing.T) {
			c, ok := cases[fn]
			if !ok {
				t.Fatalf("no case for %s", fn)
			}
			rec := &calls{}
			addr := serve(t, c.register, grpc.UnaryInterceptor(rec.interceptor))
			input := "10"
			res, err := client.Run(context.Background(), client.Options{Function: fn, Addr: addr, Input: input, Method: "0",
				N: 2, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || len(res.Records) != 3 {
				t.Fatalf("errors %d, records %d", res.Errors, len(res.Records))
			}
			if len(rec.seen) != 3 {
				t.Fatalf("server saw %d calls", len(rec.seen))
			}
			for _, call := range rec.seen {
				if call.method != c.method {
					t.Fatalf("full method %s, want %s", call.method, c.method)
				}
				if why := c.check(call.req); why != "" {
					t.Fatal(why)
				}
			}
		})
	}
}

func want(ok bool, m proto.Message) string {
	if ok {
		return ""
	}
	return fmt.Sprintf("unexpected request %T: %v", m, m)
}

func TestMultiMethodServices(t *testing.T) {
	cases := []struct {
		fn, method, path string
		register         func(*grpc.Server)
	}{
		{"reservation", "MakeReservation", "/reservation.Reservation/MakeReservation", func(s *grpc.Server) { reservation.RegisterReservationServer(s, resS{}) }},
		{"productcatalogservice", "1", "/hipstershop.ProductCatalogService/GetProduct", func(s *grpc.Server) { hs.RegisterProductCatalogServiceServer(s, catS{}) }},
		{"currencyservice", "Convert", "/hipstershop.CurrencyService/Convert", func(s *grpc.Server) { hs.RegisterCurrencyServiceServer(s, curS{}) }},
	}
	for _, c := range cases {
		rec := &calls{}
		addr := serve(t, c.register, grpc.UnaryInterceptor(rec.interceptor))
		if _, err := client.Run(context.Background(), client.Options{Function: c.fn, Addr: addr, Input: "7", Method: c.method, N: 1, Timeout: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if rec.seen[0].method != c.path {
			t.Errorf("%s -function-method %s went to %s", c.fn, c.method, rec.seen[0].method)
		}
		if r, ok := rec.seen[0].req.(*reservation.Request); ok && r.HotelId[0] != "3" {
			t.Errorf("MakeReservation books hotel %v, want 3", r.HotelId)
		}
		if r, ok := rec.seen[0].req.(*hs.CurrencyConversionRequest); ok && (r.From.Units != 7 || r.ToCode != "EUR") {
			t.Errorf("Convert request %v", r)
		}
	}
}
