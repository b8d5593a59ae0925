package client

// The gRPC stubs in pb/ are generated from proto/*.proto and committed;
// `go generate ./client` remakes them (protoc from apt, the plugins as Go
// tools of this module), and TestGeneratedCodeIsCurrent checks them.
//go:generate sh -c "rm -rf pb && mkdir pb && protoc -I proto --plugin=protoc-gen-go=$(go tool -n protoc-gen-go) --plugin=protoc-gen-go-grpc=$(go tool -n protoc-gen-go-grpc) --go_out=pb --go_opt=module=github.com/vswarmu/vswarmu-mage/client/pb --go-grpc_out=pb --go-grpc_opt=module=github.com/vswarmu/vswarmu-mage/client/pb proto/*.proto"
