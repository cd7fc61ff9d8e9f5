// Boots the app: opens IndexedDB, restores the session and the language, registers the
// service worker (which keeps the app openable offline), and renders.
import { render } from "preact";
import { App } from "./app";
import { preferredLanguage, type Language } from "./i18n";
import { Auth } from "./session";
import { Store } from "./store";
import "./style.css";

async function boot() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch((e) => {
      console.warn("the service worker did not register; the app will not open offline", e);
    });
  }
  const store = await Store.open();
  const auth = new Auth(store);
  await auth.load();
  const language = (await store.get<Language>("language")) ?? preferredLanguage();
  render(<App auth={auth} store={store} language={language} />, document.getElementById("app")!);
}

void boot();
