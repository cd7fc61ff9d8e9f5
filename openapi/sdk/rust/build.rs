//! Generates the client from `openapi/openapi.json` with progenitor.

use std::path::Path;

fn main() {
    let src = "../../openapi.json";
    println!("cargo:rerun-if-changed={src}");
    let text = std::fs::read_to_string(src).expect("openapi/openapi.json is readable");
    // progenitor types only `application/json` bodies; linli's errors are
    // `application/problem+json`, which is JSON too. Read them as such, so that errors come
    // back as typed `Problem`s rather than raw bytes.
    let text = text.replace("\"application/problem+json\"", "\"application/json\"");
    let spec: openapiv3::OpenAPI = serde_json::from_str(&text).expect("the spec is OpenAPI 3.0");
    let mut generator = progenitor::Generator::default();
    let tokens = generator
        .generate_tokens(&spec)
        .expect("progenitor generates a client from the spec");
    let ast = syn::parse2(tokens).expect("progenitor writes valid Rust");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("codegen.rs");
    std::fs::write(out, prettyplease::unparse(&ast)).expect("OUT_DIR is writable");
}
