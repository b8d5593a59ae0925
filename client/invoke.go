package client

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/vswarmu/vswarmu-mage/client/pb/aes"
	"github.com/vswarmu/vswarmu-mage/client/pb/auth"
	"github.com/vswarmu/vswarmu-mage/client/pb/fibonacci"
	"github.com/vswarmu/vswarmu-mage/client/pb/geo"
	"github.com/vswarmu/vswarmu-mage/client/pb/helloworld"
	"github.com/vswarmu/vswarmu-mage/client/pb/hipstershop"
	"github.com/vswarmu/vswarmu-mage/client/pb/profile"
	"github.com/vswarmu/vswarmu-mage/client/pb/rate"
	"github.com/vswarmu/vswarmu-mage/client/pb/recommendation"
	"github.com/vswarmu/vswarmu-mage/client/pb/reservation"
	"github.com/vswarmu/vswarmu-mage/client/pb/user"
)

// callFunc sends one request for an input on a connection and returns the
// reply, or an error for a bad input or a failed call.
type callFunc func(ctx context.Context, cc grpc.ClientConnInterface, method int, in Input) (proto.Message, error)

// Invoke sends one request to the service and returns its reply.
func (s *Service) Invoke(ctx context.Context, cc grpc.ClientConnInterface, method int, in Input) (proto.Message, error) {
	return s.call(ctx, cc, method, in)
}

// Online-shop constants (vSwarm's hipstershop client).
func defMoney() *hipstershop.Money {
	return &hipstershop.Money{CurrencyCode: "USD", Units: 100, Nanos: 10}
}

func defAddress() *hipstershop.Address {
	return &hipstershop.Address{StreetAddress: "7846 Coffee St.", City: "Pittsford", State: "NY", Country: "US", ZipCode: 14534}
}

// defCard expires five years from now: the original's expired in 3/2025,
// after which paymentservice rejected every Charge.
func defCard(now time.Time) *hipstershop.CreditCardInfo {
	return &hipstershop.CreditCardInfo{CreditCardNumber: "5496524458927653", CreditCardCvv: 123,
		CreditCardExpirationYear: int32(now.Year() + 5), CreditCardExpirationMonth: int32(now.Month())}
}

func defOrder() *hipstershop.OrderResult {
	item := func(id string, qty int32, units int64, nanos int32) *hipstershop.OrderItem {
		return &hipstershop.OrderItem{Item: &hipstershop.CartItem{ProductId: id, Quantity: qty},
			Cost: &hipstershop.Money{CurrencyCode: "USD", Units: units, Nanos: nanos}}
	}
	return &hipstershop.OrderResult{OrderId: "123", ShippingTrackingId: "345", ShippingCost: defMoney(),
		ShippingAddress: defAddress(), Items: []*hipstershop.OrderItem{item("1111", 1, 111, 11), item("2222", 2, 222, 22), item("333", 3, 333, 33)}}
}

var cartItems = []*hipstershop.CartItem{{ProductId: "OLJCESPC7Z", Quantity: 3}, {ProductId: "LS4PSXUNUM", Quantity: 2}}

// moneyWithUnits is defMoney with its units replaced by value when value
// is an integer.
func moneyWithUnits(value string) *hipstershop.Money {
	m := defMoney()
	if u, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64); err == nil {
		m.Units = u
	}
	return m
}

// pair splits "a,b".
func pair(value string) (string, string, error) {
	a, b, ok := strings.Cut(value, ",")
	if !ok {
		return "", "", fmt.Errorf("input %q is not a pair like a,b", value)
	}
	return strings.TrimSpace(a), strings.TrimSpace(b), nil
}

// latLon parses "lat,lon" as float32, as the original does.
func latLon(value string) (float32, float32, error) {
	a, b, err := pair(value)
	if err != nil {
		return 0, 0, err
	}
	lat, err1 := strconv.ParseFloat(a, 32)
	lon, err2 := strconv.ParseFloat(b, 32)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("input %q is not lat,lon", value)
	}
	return float32(lat), float32(lon), nil
}

func hotelIDs(value string) []string {
	var ids []string
	for _, id := range strings.Split(value, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// unary wraps a generated stub call.
func unary[Req, Resp proto.Message](f func(context.Context, Req, ...grpc.CallOption) (Resp, error), req Req, ctx context.Context) (proto.Message, error) {
	return f(ctx, req)
}

var services = sync.OnceValue(func() map[string]*Service {
	m := map[string]*Service{}
	add := func(s *Service) { m[s.Name] = s }
	add(&Service{Name: "fibonacci", Methods: []string{fibonacci.Greeter_SayHello_FullMethodName}, next: nextFibonacci,
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			return unary(fibonacci.NewGreeterClient(cc).SayHello, &fibonacci.HelloRequest{Name: in.Value}, ctx)
		}})
	add(&Service{Name: "aes", Methods: []string{aes.Aes_ShowEncryption_FullMethodName}, next: nextAES,
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			return unary(aes.NewAesClient(cc).ShowEncryption, &aes.PlainTextMessage{PlaintextMessage: in.Value}, ctx)
		}})
	add(&Service{Name: "auth", Methods: []string{auth.Greeter_SayHello_FullMethodName}, next: nextAuth,
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			return unary(auth.NewGreeterClient(cc).SayHello, &auth.HelloRequest{Name: in.Value}, ctx)
		}})
	add(&Service{Name: "helloworld", Methods: []string{helloworld.Greeter_SayHello_FullMethodName}, next: nextDefault,
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			return unary(helloworld.NewGreeterClient(cc).SayHello, &helloworld.HelloRequest{Name: in.Value}, ctx)
		}})
	add(&Service{Name: "geo", Methods: []string{geo.Geo_Nearby_FullMethodName}, next: pick(coords),
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			lat, lon, err := latLon(in.Value)
			if err != nil {
				return nil, err
			}
			return unary(geo.NewGeoClient(cc).Nearby, &geo.Request{Lat: lat, Lon: lon}, ctx)
		}})
	add(&Service{Name: "profile", Methods: []string{profile.Profile_GetProfiles_FullMethodName}, next: nextHotelIDs,
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			return unary(profile.NewProfileClient(cc).GetProfiles, &profile.Request{HotelIds: hotelIDs(in.Value)}, ctx)
		}})
	add(&Service{Name: "rate", Methods: []string{rate.Rate_GetRates_FullMethodName}, next: nextHotelIDs,
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			return unary(rate.NewRateClient(cc).GetRates, &rate.Request{HotelIds: hotelIDs(in.Value), InDate: "2015-04-09", OutDate: "2015-04-11"}, ctx)
		}})
	add(&Service{Name: "recommendation", Methods: []string{recommendation.Recommendation_GetRecommendations_FullMethodName}, next: pick(coords),
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			lat, lon, err := latLon(in.Value)
			if err != nil {
				return nil, err
			}
			return unary(recommendation.NewRecommendationClient(cc).GetRecommendations,
				&recommendation.Request{Require: "dis", Lat: float64(lat), Lon: float64(lon)}, ctx)
		}})
	add(&Service{Name: "reservation",
		Methods: []string{reservation.Reservation_CheckAvailability_FullMethodName, reservation.Reservation_MakeReservation_FullMethodName},
		next:    pick(reservations),
		call: func(ctx context.Context, cc grpc.ClientConnInterface, method int, in Input) (proto.Message, error) {
			name, hotel, err := pair(in.Value)
			if err != nil {
				return nil, err
			}
			req := &reservation.Request{CustomerName: name, HotelId: []string{hotel}, InDate: "2015-04-09", OutDate: "2015-04-11", RoomNumber: 1}
			c := reservation.NewReservationClient(cc)
			if method == 1 {
				req.HotelId[0] = "3" // the original client books hotel 3
				return unary(c.MakeReservation, req, ctx)
			}
			return unary(c.CheckAvailability, req, ctx)
		}})
	add(&Service{Name: "user", Methods: []string{user.User_CheckUser_FullMethodName}, next: pick(users),
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			u, p, err := pair(in.Value)
			if err != nil {
				return nil, err
			}
			return unary(user.NewUserClient(cc).CheckUser, &user.Request{Username: u, Password: p}, ctx)
		}})
	add(&Service{Name: "productcatalogservice", next: nextDefault,
		Methods: []string{hipstershop.ProductCatalogService_ListProducts_FullMethodName,
			hipstershop.ProductCatalogService_GetProduct_FullMethodName, hipstershop.ProductCatalogService_SearchProducts_FullMethodName},
		call: func(ctx context.Context, cc grpc.ClientConnInterface, method int, in Input) (proto.Message, error) {
			c := hipstershop.NewProductCatalogServiceClient(cc)
			switch method {
			case 1:
				return unary(c.GetProduct, &hipstershop.GetProductRequest{Id: in.Value}, ctx)
			case 2:
				return unary(c.SearchProducts, &hipstershop.SearchProductsRequest{Query: in.Value}, ctx)
			}
			return unary(c.ListProducts, &hipstershop.Empty{}, ctx)
		}})
	add(&Service{Name: "currencyservice", next: nextDefault,
		Methods: []string{hipstershop.CurrencyService_GetSupportedCurrencies_FullMethodName, hipstershop.CurrencyService_Convert_FullMethodName},
		call: func(ctx context.Context, cc grpc.ClientConnInterface, method int, in Input) (proto.Message, error) {
			c := hipstershop.NewCurrencyServiceClient(cc)
			if method == 1 {
				return unary(c.Convert, &hipstershop.CurrencyConversionRequest{From: moneyWithUnits(in.Value), ToCode: "EUR"}, ctx)
			}
			return unary(c.GetSupportedCurrencies, &hipstershop.Empty{}, ctx)
		}})
	add(&Service{Name: "paymentservice", next: nextDefault, Methods: []string{hipstershop.PaymentService_Charge_FullMethodName},
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			return unary(hipstershop.NewPaymentServiceClient(cc).Charge,
				&hipstershop.ChargeRequest{Amount: moneyWithUnits(in.Value), CreditCard: defCard(time.Now())}, ctx)
		}})
	add(&Service{Name: "shippingservice", next: nextDefault,
		Methods: []string{hipstershop.ShippingService_GetQuote_FullMethodName, hipstershop.ShippingService_ShipOrder_FullMethodName},
		call: func(ctx context.Context, cc grpc.ClientConnInterface, method int, in Input) (proto.Message, error) {
			c := hipstershop.NewShippingServiceClient(cc)
			if method == 1 {
				return unary(c.ShipOrder, &hipstershop.ShipOrderRequest{Address: defAddress(), Items: cartItems}, ctx)
			}
			return unary(c.GetQuote, &hipstershop.GetQuoteRequest{Address: defAddress(), Items: cartItems}, ctx)
		}})
	add(&Service{Name: "emailservice", next: nextDefault, Methods: []string{hipstershop.EmailService_SendOrderConfirmation_FullMethodName},
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			return unary(hipstershop.NewEmailServiceClient(cc).SendOrderConfirmation,
				&hipstershop.SendOrderConfirmationRequest{Email: "jonny.depp@gmail.com", Order: defOrder()}, ctx)
		}})
	add(&Service{Name: "recommendationservice", next: nextDefault,
		Methods: []string{hipstershop.RecommendationService_ListRecommendations_FullMethodName},
		call: func(ctx context.Context, cc grpc.ClientConnInterface, _ int, in Input) (proto.Message, error) {
			return unary(hipstershop.NewRecommendationServiceClient(cc).ListRecommendations,
				&hipstershop.ListRecommendationsRequest{UserId: in.Value, ProductIds: []string{"OLJCESPC7Z", "LS4PSXUNUM"}}, ctx)
		}})
	return m
})
