// The service worker: keeps the app itself (its page, scripts, styles, icon and manifest)
// in the Cache Storage, so the app opens with no network at all. The resident's data is not
// here: it lives in IndexedDB (the replica and the outbox), and API calls always go to the
// network.
//
// The build writes the file list and a version (a hash of every file) in place of
// "__PRECACHE__" (vite.config.ts): a new build installs a new cache and drops the old.

type Manifest = { version: string; files: string[] };
const MANIFEST = "__PRECACHE__" as unknown as Manifest;
const CACHE = `linli-app-${MANIFEST.version}`;

// The service worker's own global scope (typed here, so the app keeps the DOM's types).
interface ExtendableEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(r: Response | Promise<Response>): void;
}
interface Scope {
  addEventListener(type: "install" | "activate", fn: (e: ExtendableEvent) => void): void;
  addEventListener(type: "fetch", fn: (e: FetchEvent) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  registration: { scope: string };
}
const worker = self as unknown as Scope;

worker.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(MANIFEST.files.map((f) => new URL(f, worker.registration.scope).href)))
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("linli-app-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => worker.clients.claim()),
  );
});

worker.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/app/")) {
    return; // API calls and everything else: the network, untouched.
  }
  if (request.mode === "navigate") {
    // Every page of the app is the one page: from the cache, so it opens offline at once.
    event.respondWith(
      caches.match(new URL("./", worker.registration.scope).href).then((hit) => hit ?? fetch(request)),
    );
    return;
  }
  event.respondWith(caches.match(request).then((hit) => hit ?? fetch(request)));
});
