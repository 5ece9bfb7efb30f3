// A registry with the OCI 1.1 referrers API for Countersign's tests: go-containerregistry's in-memory
// registry (pkg/registry, what cosign's own tests run against) with its referrers support switched on,
// which neither of that module's binaries (`registry`, `crane registry serve`) does. It stands in for
// zot, whose module the Go proxy here does not serve.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// The launcher reads the chosen address from the first line.
	os.Stdout.WriteString("listening on " + listener.Addr().String() + "\n")
	handler := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", log.LstdFlags)))
	log.Fatal(http.Serve(listener, handler))
}
