// For a group's leaders: who signed up for a session, marking attendance, and signing up a
// member who has no phone (a proxy sign-up, made in the leader's name on their behalf).
import { useState } from "preact/hooks";
import { useApp, useReplica } from "../app";
import { instant, live, pageOf } from "../schedule";

export function Roster({ seriesId, start }: { seriesId: string; start: string }) {
  const { t, occurrences, me } = useApp();
  const replica = useReplica();
  const [chosen, setChosen] = useState("");
  const found = occurrences?.find(
    (o) => o.series_id === seriesId && instant(o.original_start) === instant(start),
  );
  if (!found) return <p class="empty">{t("loadingBoard")}</p>;
  const s = live(found, replica, me);
  const at = instant(s.original_start);
  const signups = replica
    .rows("signup")
    .filter((x) => x.series_id === s.series_id && instant(x.original_start) === at)
    .filter((x) => x.status === "confirmed" || x.status === "waitlisted")
    .sort((a, b) => (a.status === b.status ? (a.waitlist_position ?? 0) - (b.waitlist_position ?? 0) : a.status === "confirmed" ? -1 : 1));
  const attendance = new Map(
    replica
      .rows("attendance")
      .filter((x) => x.occurrence_id === s.occurrence_id)
      .map((x) => [x.resident_id, x.status]),
  );
  const pendingMarks = new Map(
    replica.pending("attendance.mark").filter((m) => m.args.occurrence_id === s.occurrence_id).map((m) => [m.args.user_id, m.args.status]),
  );
  const signedUp = new Set(signups.map((x) => x.resident_id));
  const pendingProxies = new Set(
    replica.pending("signup.request").filter((m) => m.args.occurrence_id === s.occurrence_id).map((m) => m.args.on_behalf_of),
  );
  const others = replica
    .rows("membership")
    .filter((m) => m.group_id === s.group_id && m.resident_id !== me)
    .filter((m) => !signedUp.has(m.resident_id) && !pendingProxies.has(m.resident_id));
  const args = { occurrence_id: s.occurrence_id, series_id: s.series_id, original_start: s.original_start };
  // Attendance opens an hour before the start (the server's rule: volunteers arrive early).
  const marking = !s.cancelled && Date.now() >= instant(s.starts_at) - 3_600_000;
  const mark = (who: string, status: "present" | "absent") =>
    void replica.mutate("attendance.mark", { ...args, user_id: who, status });
  const proxy = (e: Event) => {
    e.preventDefault();
    if (!chosen) return;
    void replica.mutate("signup.request", { ...args, on_behalf_of: chosen });
    setChosen("");
  };
  return (
    <section class="roster">
      <p>
        <a href={pageOf(s)}>← {t("back")}</a>
      </p>
      <h2>
        {t("roster")}: {s.title}
      </h2>
      {signups.length === 0 && <p class="empty">{t("noSignups")}</p>}
      <ul class="people">
        {signups.map((x) => {
          const status = pendingMarks.get(x.resident_id) ?? attendance.get(x.resident_id);
          return (
            <li key={x.id} data-resident={x.resident_id}>
              <span class="name">
                {x.display_name}
                {x.party_size > 1 && ` (${t("persons", { n: x.party_size })})`}
              </span>
              <span class="standing">
                {x.status === "confirmed" ? t("confirmed") : t("waitlisted", { n: x.waitlist_position ?? 0 })}
              </span>
              {x.phone && <a href={`tel:${x.phone}`}>{x.phone}</a>}
              {marking && x.status === "confirmed" && (
                <span class="marks">
                  <button type="button" aria-pressed={status === "present"} onClick={() => mark(x.resident_id, "present")}>
                    {t("present")}
                  </button>
                  <button type="button" aria-pressed={status === "absent"} onClick={() => mark(x.resident_id, "absent")}>
                    {t("absent")}
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <form class="proxy" onSubmit={proxy}>
        <h3>{t("proxy")}</h3>
        <label>
          {t("proxyHint")}
          <select value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
            <option value="">{t("chooseMember")}</option>
            {others.map((m) => (
              <option key={m.resident_id} value={m.resident_id}>
                {m.display_name}
              </option>
            ))}
          </select>
        </label>
        <button class="primary" type="submit" disabled={!chosen}>
          {t("signUp")}
        </button>
      </form>
    </section>
  );
}
