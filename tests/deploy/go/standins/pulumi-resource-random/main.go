// Stand-in for the pulumi-random provider, which the Go module proxy does not serve: it creates the
// three resource types our components use (RandomPassword, RandomId, RandomBytes) the way the real
// provider does (crypto/rand values, secret outputs, every input forces a replacement, refresh
// returns the stored state) so the deploy tier can check that generated credentials survive updates.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// The @pulumi/random version in package-lock.json: the SDK asks for this plugin version.
const version = "4.21.2"

const (
	passwordType = "random:index/randomPassword:RandomPassword"
	idType       = "random:index/randomId:RandomId"
	bytesType    = "random:index/randomBytes:RandomBytes"
)

var marshalOptions = plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true, KeepOutputValues: false}

type provider struct {
	pulumirpc.UnimplementedResourceProviderServer
}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, marshalOptions)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, marshalOptions)
}

func (p *provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

// defaults are the real provider's input defaults, written into the checked inputs as it does.
func defaults(typ string) resource.PropertyMap {
	if typ != passwordType {
		return resource.PropertyMap{}
	}
	return resource.PropertyMap{
		"lower": resource.NewBoolProperty(true), "upper": resource.NewBoolProperty(true),
		"numeric": resource.NewBoolProperty(true), "special": resource.NewBoolProperty(true),
		"minLower": resource.NewNumberProperty(0), "minUpper": resource.NewNumberProperty(0),
		"minNumeric": resource.NewNumberProperty(0), "minSpecial": resource.NewNumberProperty(0),
	}
}

func (p *provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	typ := resource.URN(req.GetUrn()).Type().String()
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	required := map[string]string{passwordType: "length", idType: "byteLength", bytesType: "length"}[typ]
	if required == "" {
		return nil, fmt.Errorf("the random stand-in does not implement %s", typ)
	}
	if !news.HasValue(resource.PropertyKey(required)) {
		return &pulumirpc.CheckResponse{Failures: []*pulumirpc.CheckFailure{{Property: required, Reason: "missing required property '" + required + "'"}}}, nil
	}
	for key, value := range defaults(typ) {
		if _, set := news[key]; !set {
			news[key] = value
		}
	}
	inputs, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: inputs}, nil
}

// Diff: every input of the real provider forces a new value (terraform RequiresReplace).
func (p *provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	if len(olds) == 0 { // state written before old inputs were recorded: compare against the outputs
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var replaces []string
	for key, value := range news {
		if old, ok := olds[key]; !ok || !old.DeepEquals(value) {
			replaces = append(replaces, string(key))
		}
	}
	if len(replaces) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Replaces: replaces, Diffs: replaces}, nil
}

func number(m resource.PropertyMap, key string) int {
	if v, ok := m[resource.PropertyKey(key)]; ok && v.IsNumber() {
		return int(v.NumberValue())
	}
	return 0
}

func flag(m resource.PropertyMap, key string) bool {
	v, ok := m[resource.PropertyKey(key)]
	return !ok || !v.IsBool() || v.BoolValue()
}

func password(inputs resource.PropertyMap) (string, error) {
	charset := ""
	if flag(inputs, "lower") {
		charset += "abcdefghijklmnopqrstuvwxyz"
	}
	if flag(inputs, "upper") {
		charset += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	}
	if flag(inputs, "numeric") {
		charset += "0123456789"
	}
	if flag(inputs, "special") {
		special := "!@#$%&*()-_=+[]{}<>:?"
		if v, ok := inputs["overrideSpecial"]; ok && v.IsString() {
			special = v.StringValue()
		}
		charset += special
	}
	if charset == "" {
		return "", fmt.Errorf("no characters allowed")
	}
	out := make([]byte, number(inputs, "length"))
	for i := range out {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(charset))))
		if err != nil {
			return "", err
		}
		out[i] = charset[n.Int64()]
	}
	return string(out), nil
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := rand.Read(b)
	return b, err
}

// generate returns the ID and outputs of a new resource; in a preview the generated values are unknown.
func generate(typ string, inputs resource.PropertyMap, preview bool) (string, resource.PropertyMap, error) {
	outputs := inputs.Copy()
	value := func(key string, v string, secret bool) {
		prop := resource.NewStringProperty(v)
		if preview {
			prop = resource.MakeComputed(resource.NewStringProperty(""))
		}
		if secret {
			prop = resource.MakeSecret(prop)
		}
		outputs[resource.PropertyKey(key)] = prop
	}
	switch typ {
	case passwordType:
		result, err := password(inputs)
		if err != nil {
			return "", nil, err
		}
		value("result", result, true)
		return "none", outputs, nil
	case idType:
		b, err := randomBytes(number(inputs, "byteLength"))
		if err != nil {
			return "", nil, err
		}
		prefix := ""
		if v, ok := inputs["prefix"]; ok && v.IsString() {
			prefix = v.StringValue()
		}
		b64URL := prefix + base64.RawURLEncoding.EncodeToString(b)
		value("b64Url", b64URL, false)
		value("b64Std", prefix+base64.StdEncoding.EncodeToString(b), false)
		value("hex", prefix+hex.EncodeToString(b), false)
		value("dec", prefix+new(big.Int).SetBytes(b).String(), false)
		return b64URL, outputs, nil
	case bytesType:
		b, err := randomBytes(number(inputs, "length"))
		if err != nil {
			return "", nil, err
		}
		value("base64", base64.StdEncoding.EncodeToString(b), true)
		value("hex", hex.EncodeToString(b), true)
		return "none", outputs, nil
	}
	return "", nil, fmt.Errorf("the random stand-in does not implement %s", typ)
}

func (p *provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	id, outputs, err := generate(resource.URN(req.GetUrn()).Type().String(), inputs, req.GetPreview())
	if err != nil {
		return nil, err
	}
	properties, err := marshal(outputs)
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		id = ""
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: properties}, nil
}

// Read (refresh): random values live only in the state, so the stored state is the truth.
func (p *provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func main() {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(server *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(server, &provider{})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "unable to serve: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "server stopped: %v\n", err)
		os.Exit(1)
	}
}
