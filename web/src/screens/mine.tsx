// The resident's own: sessions signed up for (from the replica) and volunteer hours (a REST
// read, shown when online).
import { useEffect, useState } from "preact/hooks";
import type { HoursEntry } from "@linli/sdk";
import { useApp, useReplica } from "../app";
import { pageOf, upcoming, when } from "../schedule";
import { Standing } from "./board";

/** This month in Shanghai, as the hours read wants it: `2026-12`. */
function thisMonth(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" })
    .format(new Date())
    .slice(0, 7);
}

export function Mine() {
  const { t, occurrences, me, auth, store } = useApp();
  const replica = useReplica();
  const [hours, setHours] = useState<HoursEntry[] | undefined>();
  useEffect(() => {
    void store.get<HoursEntry[]>("hours").then((cached) => cached && setHours((h) => h ?? cached));
    auth.api
      .GET("/api/v1/me/hours", { params: { query: { month: thisMonth() } } })
      .then(({ data }) => {
        if (data) {
          setHours(data);
          void store.set("hours", data);
        }
      })
      .catch(() => undefined);
  }, []);
  const mine = upcoming(occurrences, replica, me).filter((s) => s.mine.state !== "none");
  return (
    <section>
      <h2>{t("mySessions")}</h2>
      {mine.length === 0 && <p class="empty">{t("noSessions")}</p>}
      <ul class="cards">
        {mine.map((s) => (
          <li key={s.occurrence_id}>
            <a class="card" href={pageOf(s)}>
              <span class="title">{s.title}</span>
              <span class="when">{when(s.starts_at, t.language)}</span>
              <span class="where">{s.location}</span>
              <Standing t={t} s={s} />
            </a>
          </li>
        ))}
      </ul>
      <h2>{t("myHours")}</h2>
      {hours === undefined && <p class="empty">{t("hoursOffline")}</p>}
      <ul class="plain">
        {hours?.map((h) => (
          <li key={h.id}>
            <span class="name">{h.name}</span> {t("hours", { h: h.hours, n: h.sessions })}
          </li>
        ))}
      </ul>
    </section>
  );
}
