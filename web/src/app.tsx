// The app's frame: who is signed in, the language, the replica, and which screen shows.
//
// Screens are chosen by the address's hash (`#/s/<series>/<start>`), so a reload, even
// offline, opens the same screen: the service worker serves the one page, and the screen
// reads the replica in IndexedDB.
import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import type { OccurrenceView } from "@linli/sdk";
import { translator, type Language, type T } from "./i18n";
import type { Auth } from "./session";
import type { Store } from "./store";
import { Replica } from "./sync";
import { Board } from "./screens/board";
import { CampaignPage, Campaigns } from "./screens/campaigns";
import { Cases } from "./screens/cases";
import { Elections } from "./screens/elections";
import { More } from "./screens/more";
import { Topics } from "./screens/topics";
import { Groups } from "./screens/groups";
import { Login, Register } from "./screens/login";
import { Mine } from "./screens/mine";
import { Notices } from "./screens/notices";
import { Roster } from "./screens/roster";
import { SessionPage } from "./screens/session";
import { Settings } from "./screens/settings";

export type Ctx = {
  t: T;
  setLanguage: (language: Language) => void;
  auth: Auth;
  store: Store;
  replica: Replica;
  me: string;
  /** The coming two weeks' sessions as the server expanded them (kept for offline use). */
  occurrences: OccurrenceView[] | undefined;
};

const Context = createContext<Ctx | null>(null);

export function useApp(): Ctx {
  const ctx = useContext(Context);
  if (!ctx) throw new Error("useApp outside the app");
  return ctx;
}

/** Re-renders whenever the replica changes. */
export function useReplica(): Replica {
  const { replica } = useApp();
  const [, setTick] = useState(0);
  useEffect(() => replica.subscribe(() => setTick((n) => n + 1)), [replica]);
  return replica;
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => {
      setHash(location.hash);
      window.scrollTo(0, 0);
    };
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return hash;
}

export function App(props: { auth: Auth; store: Store; language: Language }) {
  const { auth, store } = props;
  const [language, setLanguageState] = useState(props.language);
  const [replica, setReplica] = useState<Replica | undefined>();
  const [signedIn, setSignedIn] = useState(auth.saved !== undefined);
  const t = translator(language);

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = `${t("app")} · ${t("village")}`;
  }, [language]);

  useEffect(() => {
    if (!signedIn) return;
    let replica: Replica | undefined;
    let live = true;
    void Replica.open(store, auth).then((r) => {
      if (!live) return;
      replica = r;
      r.start();
      setReplica(r);
    });
    return () => {
      live = false;
      replica?.stop();
      setReplica(undefined);
    };
  }, [signedIn]);

  useEffect(() => {
    auth.onSignedOut = () => setSignedIn(false);
  }, []);

  const setLanguage = (next: Language) => {
    setLanguageState(next);
    void store.set("language", next);
  };

  if (!signedIn) {
    return <SignedOut t={t} setLanguage={setLanguage} auth={auth} onIn={() => setSignedIn(true)} />;
  }
  if (!replica) return <main class="loading">{t("syncing")}</main>;
  return (
    <SignedIn t={t} setLanguage={setLanguage} auth={auth} store={store} replica={replica} />
  );
}

function SignedOut(props: {
  t: T;
  setLanguage: (l: Language) => void;
  auth: Auth;
  onIn: () => void;
}) {
  const hash = useHash();
  return hash === "#/register" ? <Register {...props} /> : <Login {...props} />;
}

function SignedIn(props: {
  t: T;
  setLanguage: (l: Language) => void;
  auth: Auth;
  store: Store;
  replica: Replica;
}) {
  const { store, auth } = props;
  const hash = useHash();
  const [occurrences, setOccurrences] = useState<OccurrenceView[] | undefined>();
  const [asked, setAsked] = useState(0);

  useEffect(() => {
    let live = true;
    void store.get<OccurrenceView[]>("occurrences").then((cached) => {
      if (live && cached) setOccurrences((now) => now ?? cached);
    });
    const from = new Date();
    from.setHours(0, 0, 0, 0);
    auth.api
      .GET("/api/v1/occurrences", { params: { query: { from: from.toISOString(), days: 14 } } })
      .then(({ data }) => {
        if (live && data) {
          setOccurrences(data);
          void store.set("occurrences", data);
        }
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [asked]);

  useEffect(() => {
    // A new or moved session: ask the server's expansion again when the replica changes
    // schedules, and when the network returns.
    let series = props.replica.rows("series").length;
    const unsubscribe = props.replica.subscribe(() => {
      const now = props.replica.rows("series").length;
      if (now !== series) {
        series = now;
        setAsked((n) => n + 1);
      }
    });
    const online = () => setAsked((n) => n + 1);
    window.addEventListener("online", online);
    return () => {
      unsubscribe();
      window.removeEventListener("online", online);
    };
  }, [props.replica]);

  const ctx: Ctx = {
    ...props,
    me: auth.residentId ?? "",
    occurrences,
  };
  const [, route, a, b, c] = hash.split("/");
  let screen;
  if (route === "s" && a && b && c === "roster") screen = <Roster seriesId={a} start={decodeURIComponent(b)} />;
  else if (route === "s" && a && b) screen = <SessionPage seriesId={a} start={decodeURIComponent(b)} />;
  else if (route === "mine") screen = <Mine />;
  else if (route === "groups") screen = <Groups />;
  else if (route === "notices") screen = <Notices />;
  else if (route === "settings") screen = <Settings />;
  else if (route === "more") screen = <More />;
  else if (route === "campaigns") screen = <Campaigns />;
  else if (route === "campaign" && a) screen = <CampaignPage id={a} />;
  else if (route === "topics") screen = <Topics />;
  else if (route === "cases") screen = <Cases />;
  else if (route === "elections") screen = <Elections />;
  else screen = <Board />;
  return (
    <Context.Provider value={ctx}>
      <Frame current={route ?? ""}>{screen}</Frame>
    </Context.Provider>
  );
}

function Frame(props: { current: string; children: ComponentChildren }) {
  const { t } = useApp();
  const replica = useReplica();
  const tabs: [string, string][] = [
    ["", t("board")],
    ["mine", t("mine")],
    ["notices", t("notices")],
    ["groups", t("groups")],
    ["more", t("moreTab")],
  ];
  const under: Record<string, string> = {
    s: "",
    settings: "more",
    campaigns: "more",
    campaign: "more",
    topics: "more",
    cases: "more",
    elections: "more",
  };
  const current = under[props.current] ?? props.current;
  return (
    <>
      <header class="top">
        <h1>
          {t("app")} <span class="village">{t("village")}</span>
        </h1>
      </header>
      {!replica.status.online && (
        <p class="banner offline" role="status">
          {t("offline")}
        </p>
      )}
      {replica.status.online && (replica.status.syncing || !replica.status.ready) && (
        <p class="banner syncing" role="status">
          {t("syncing")}
        </p>
      )}
      {replica.rejections.map((r) => (
        <div class="banner rejected" role="alert" key={`${r.mutation.id}`}>
          <p>
            {t("rejected")}
            {t.reason(r.code)}
          </p>
          <button type="button" onClick={() => replica.dismiss(r)}>
            {t("dismiss")}
          </button>
        </div>
      ))}
      <main>{props.children}</main>
      <nav class="tabs" aria-label={t("app")}>
        {tabs.map(([route, label]) => (
          <a
            key={route}
            href={`#/${route}`}
            aria-current={current === route ? "page" : undefined}
            class={current === route ? "current" : undefined}
          >
            {label}
          </a>
        ))}
      </nav>
    </>
  );
}
