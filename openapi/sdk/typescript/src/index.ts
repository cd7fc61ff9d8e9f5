// @linli/sdk: a typed client for the linli API.
//
// Every request and response type comes from `schema.ts`, which is generated from
// openapi/openapi.json (regenerate with `openapi/generate-sdks`); the HTTP calls are
// openapi-fetch's. This file wires the two together and adds the bearer token; `Hlc` is the
// clock every offline-first client stamps its edits with.
import createClient, { type Client, type ClientOptions } from "openapi-fetch";
import type { paths } from "./schema.js";

// `paths`, `components`, `operations`, and one alias per schema: `Mutation`, `Change`,
// `PushRequest`, `PullResponse`, `Problem`, … (each is `components["schemas"][name]`).
export type * from "./schema.js";
export { Hlc } from "./hlc.js";

/** The sync schema version this SDK speaks: send it as `schema_version` on every push and pull. */
export const SCHEMA_VERSION = 1;

/** The client: `client.GET(path, init)`, `client.POST(path, { body })`, … with typed paths. */
export type LinliClient = Client<paths>;

export interface LinliClientOptions extends Omit<ClientOptions, "baseUrl"> {
  /**
   * Returns the current access token (from login, register or refresh), or nothing when
   * signed out. Called before every request, so a refreshed token is picked up at once.
   */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
}

/**
 * A client for the linli server at `baseUrl` (like `https://linli.example.org`). Calls resolve
 * to `{ data, error, response }`: `data` on 2xx, else `error`, the RFC 9457 problem body
 * with its stable `code`. Only network failures reject.
 */
export function createLinliClient(
  baseUrl: string,
  { getToken, ...options }: LinliClientOptions = {},
): LinliClient {
  const client = createClient<paths>({ ...options, baseUrl: baseUrl.replace(/\/+$/, "") });
  if (getToken) {
    client.use({
      async onRequest({ request }) {
        const token = await getToken();
        if (token && !request.headers.has("authorization")) {
          request.headers.set("authorization", `Bearer ${token}`);
        }
        return request;
      },
    });
  }
  return client;
}
