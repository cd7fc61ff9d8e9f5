// Regenerates src/schema.ts from the committed contract, openapi/openapi.json.
// Run through `npm run generate` (or `openapi/generate-sdks`, which regenerates every SDK).
// Drift check: regenerate, then `git diff --exit-code src/schema.ts`.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString, COMMENT_HEADER } from "openapi-typescript";

const specPath = fileURLToPath(new URL("../../../openapi.json", import.meta.url));
const outPath = fileURLToPath(new URL("../src/schema.ts", import.meta.url));
const spec = JSON.parse(readFileSync(specPath, "utf8"));

// OpenAPI 3.0 ignores siblings of `$ref`, so a property that refers to a schema and has a
// description of its own is written `allOf: [{$ref}, {description}]`. openapi-typescript reads
// an `allOf` over a schema with a `discriminator` (Change, Mutation, SyncEvent) as "extends the
// base type" and omits the discriminator, which would type `MutationResult.data` as a Change
// without `entity`. Such a wrapper only means "this schema", so unwrap it to the plain `$ref`
// (a no-op once the contract says `$ref` directly). Every other construct is generated as is.
const discriminated = new Set(
  Object.entries(spec.components?.schemas ?? {})
    .filter(([, schema]) => schema && typeof schema === "object" && schema.discriminator)
    .map(([name]) => `#/components/schemas/${name}`),
);
const onlyDescribes = (node) =>
  node && typeof node === "object" && Object.keys(node).every((key) => key === "description");
function unwrapDescribedRefs(node) {
  if (Array.isArray(node)) {
    node.forEach(unwrapDescribedRefs);
  } else if (node && typeof node === "object") {
    const allOf = node.allOf;
    if (
      Array.isArray(allOf) &&
      allOf.length >= 1 &&
      discriminated.has(allOf[0]?.$ref) &&
      allOf.slice(1).every(onlyDescribes)
    ) {
      delete node.allOf;
      node.$ref = allOf[0].$ref;
    }
    Object.values(node).forEach(unwrapDescribedRefs);
  }
}
unwrapDescribedRefs(spec);

const ast = await openapiTS(spec, { rootTypes: true, rootTypesNoSchemaPrefix: true });
const source = "// Generated from openapi/openapi.json by scripts/generate.mjs (run openapi/generate-sdks).\n";
writeFileSync(outPath, source + COMMENT_HEADER + astToString(ast));
console.log(`openapi-typescript: ${specPath} -> ${outPath}`);
