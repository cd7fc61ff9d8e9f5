// One session: when, where, seats, the resident's standing, and sign up or cancel. A sign-up
// made offline shows "pending" until the server decides; then confirmed, or waitlisted with
// the position. Leaders also get the roster.
import { useState } from "preact/hooks";
import { useApp, useReplica } from "../app";
import { instant, live, speak, when } from "../schedule";
import { Seats, Standing } from "./board";

export function SessionPage({ seriesId, start }: { seriesId: string; start: string }) {
  const { t, occurrences, me } = useApp();
  const replica = useReplica();
  const [party, setParty] = useState(1);
  const found = occurrences?.find(
    (o) => o.series_id === seriesId && instant(o.original_start) === instant(start),
  );
  if (!found) return <p class="empty">{t("loadingBoard")}</p>;
  const s = live(found, replica, me);
  const members = replica.rows("membership").filter((m) => m.group_id === s.group_id);
  const leaders = members.filter((m) => m.role === "leader");
  const contact =
    members.find((m) => m.resident_id === s.group?.contact_leader_id) ?? leaders[0];
  const leading = leaders.some((m) => m.resident_id === me);
  const args = { occurrence_id: s.occurrence_id, series_id: s.series_id, original_start: s.original_start };
  const signUp = () => void replica.mutate("signup.request", { ...args, party_size: party });
  const cancel = () => void replica.mutate("signup.cancel", args);
  const spoken = [
    s.title,
    s.group?.name,
    `${t("when")} ${when(s.starts_at, t.language)}`,
    `${t("where")} ${s.location}`,
    s.note,
  ]
    .filter(Boolean)
    .join("。");
  const open = !s.cancelled && instant(s.starts_at) > Date.now();
  return (
    <article class="session">
      <p>
        <a href="#/">← {t("back")}</a>
      </p>
      <h2>{s.title}</h2>
      <p class="group">{s.group?.name}</p>
      <dl>
        <dt>{t("when")}</dt>
        <dd>
          {when(s.starts_at, t.language)} · {t("minutes", { n: Math.round((instant(s.ends_at) - instant(s.starts_at)) / 60000) })}
        </dd>
        <dt>{t("where")}</dt>
        <dd>{s.location}</dd>
        {contact && (
          <>
            <dt>{t("leader")}</dt>
            <dd>{contact.display_name}</dd>
          </>
        )}
      </dl>
      {s.note && <p class="note">{s.note}</p>}
      <p class="counts">
        <Seats t={t} s={s} /> · {t("confirmedCount", { n: s.confirmed })}
        {s.waitlisted > 0 && <> · {t("waitlistCount", { n: s.waitlisted })}</>}
      </p>
      <p class="standing-line" aria-live="polite">
        <Standing t={t} s={s} />
      </p>
      {open && s.mine.state === "none" && (
        <div class="signup">
          <div class="stepper" role="group" aria-label={t("partySize")}>
            <button type="button" aria-label={t("fewer")} disabled={party <= 1} onClick={() => setParty(party - 1)}>
              −
            </button>
            <output aria-live="polite">{t("persons", { n: party })}</output>
            <button type="button" aria-label={t("more")} disabled={party >= 4} onClick={() => setParty(party + 1)}>
              +
            </button>
          </div>
          <button class="primary" type="button" onClick={signUp}>
            {party === 1 ? t("signUp") : t("signUpFor", { n: party })}
          </button>
        </div>
      )}
      {open && (s.mine.state === "confirmed" || s.mine.state === "waitlisted") && (
        <button class="secondary" type="button" onClick={cancel}>
          {t("cancelSignup")}
        </button>
      )}
      {"speechSynthesis" in window && (
        <button class="secondary" type="button" onClick={() => speak(spoken, t.speech)}>
          🔊 {t("readAloud")}
        </button>
      )}
      {leading && (
        <p>
          <a class="button-link" href={`#/s/${s.series_id}/${encodeURIComponent(s.original_start)}/roster`}>
            {t("roster")}
          </a>
        </p>
      )}
    </article>
  );
}
