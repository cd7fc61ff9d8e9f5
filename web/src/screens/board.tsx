// The schedule board: the coming two weeks' sessions of every group, soonest first, in large
// type, each with its seats left and the resident's own standing. One tap opens a session.
import { useApp, useReplica } from "../app";
import { pageOf, upcoming, when, type Live } from "../schedule";
import type { T } from "../i18n";

export function Board() {
  const { t, occurrences, me } = useApp();
  const replica = useReplica();
  if (occurrences === undefined) return <p class="empty">{t("loadingBoard")}</p>;
  const sessions = upcoming(occurrences, replica, me);
  return (
    <section>
      <h2>{t("thisWeek")}</h2>
      {sessions.length === 0 && <p class="empty">{t("nothingThisWeek")}</p>}
      <ul class="cards">
        {sessions.map((s) => (
          <li key={s.occurrence_id}>
            <a class="card" href={pageOf(s)} data-occurrence={s.occurrence_id}>
              <span class="title">{s.title}</span>
              <span class="group">{s.group?.name}</span>
              <span class="when">{when(s.starts_at, t.language)}</span>
              <span class="where">{s.location}</span>
              <Seats t={t} s={s} />
              <Standing t={t} s={s} />
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function Seats({ t, s }: { t: T; s: Live }) {
  if (s.cancelled) return <span class="seats cancelled">{t("cancelled")}</span>;
  if (s.seatsLeft === undefined) return <span class="seats">{t("unlimited")}</span>;
  if (s.seatsLeft === 0) return <span class="seats full">{t("full")}</span>;
  return (
    <span class="seats" data-seats-left={s.seatsLeft}>
      {t("seatsLeft", { n: s.seatsLeft })}
    </span>
  );
}

export function Standing({ t, s }: { t: T; s: Live }) {
  const mine = s.mine;
  if (mine.state === "pending") return <span class="standing pending">{t("pending")}</span>;
  if (mine.state === "confirmed") return <span class="standing confirmed">{t("confirmed")}</span>;
  if (mine.state === "waitlisted") {
    return <span class="standing waitlisted">{t("waitlisted", { n: mine.position })}</span>;
  }
  return null;
}
