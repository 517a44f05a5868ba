// Command sdkgen writes the Node.js, Go and Python SDKs of a Pulumi package schema, with the code
// generators of github.com/pulumi/pulumi/pkg/v3 at the version this project's CLI is pinned to
// (scripts/install-pulumi-cli.sh): the same calls, with the same arguments, that
// `pulumi package gen-sdk --language nodejs|go|python` makes through that release's language hosts
// (their GeneratePackage). Those hosts are modules of their own that the Go module proxy does
// not serve, and the hosts this project can build (sdk/v3 v3.66.0) predate GeneratePackage,
// so the CLI's own gen-sdk cannot run here; this runs the generators without a host.
//
//	go run . -schema ../../sdk/schema.json -out ../../sdk
//
// writes <out>/nodejs, <out>/go and <out>/python (each emptied first), as gen-sdk's --out
// does; name languages after the flags to write only those.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	nodegen "github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	pygen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noPackages is the loader of a schema that references no other package (as mihu's): asked
// for one, it fails.
type noPackages struct{}

func (noPackages) fail(name string) error {
	return fmt.Errorf("the schema references package %q: sdkgen loads no other package", name)
}

func (l noPackages) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, l.fail(name)
}

func (l noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, l.fail(d.Name)
}

func (l noPackages) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, l.fail(name)
}

func (l noPackages) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, l.fail(d.Name)
}

// bind binds a schema as gen-sdk does: the CLI binds the spec, sends the bound package's JSON
// to the language host, which binds that again (allowing dangling references).
func bind(raw []byte) (*schema.Package, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("read the schema: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("the schema does not bind: %v", diags)
	}
	marshalled, err := pkg.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var again schema.PackageSpec
	if err := json.Unmarshal(marshalled, &again); err != nil {
		return nil, err
	}
	pkg, diags, err = schema.BindSpec(again, noPackages{}, schema.ValidationOptions{
		AllowDanglingReferences: true,
	})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("the schema does not bind: %v", diags)
	}
	return pkg, nil
}

// write empties dir and writes files into it, as the language hosts do (0600 files, 0700
// folders, which a checkout turns into its own modes).
func write(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func generate(language string, raw []byte) (map[string][]byte, error) {
	// Each language binds its own copy: the generators record their language's options in
	// the package.
	pkg, err := bind(raw)
	if err != nil {
		return nil, err
	}
	switch language {
	case "nodejs":
		// pulumi-language-nodejs's GeneratePackage: no overlays, no local dependencies, not a
		// local SDK (a package to publish, built with `tsc`).
		return nodegen.GeneratePackage("pulumi-language-nodejs", pkg, nil, nil, false, noPackages{})
	case "go":
		// pulumi-language-go's GeneratePackage: no local dependencies.
		return gogen.GeneratePackage("pulumi-language-go", pkg, nil)
	case "python":
		// pulumi-language-python's GeneratePackage: no extra files; the loader only for the
		// schema's dependencies, of which it has none.
		return pygen.GeneratePackage("pulumi-language-python", pkg, nil, noPackages{})
	}
	return nil, fmt.Errorf("unknown language %q (nodejs, go or python)", language)
}

func main() {
	schemaPath := flag.String("schema", "", "the package schema (JSON)")
	out := flag.String("out", "sdk", "where to write <language>/")
	flag.Parse()
	languages := flag.Args()
	if len(languages) == 0 {
		languages = []string{"nodejs", "go", "python"}
	}
	if *schemaPath == "" {
		fmt.Fprintln(os.Stderr, "sdkgen: -schema is required")
		os.Exit(2)
	}
	raw, err := os.ReadFile(*schemaPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
	for _, language := range languages {
		files, err := generate(language, raw)
		if err == nil {
			err = write(filepath.Join(*out, language), files)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "sdkgen: %s: %v\n", language, err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "sdkgen: %d files in %s\n", len(files),
			filepath.Join(*out, language))
	}
}
