// 選舉: the elections the resident takes part in, where each stands (nominations, voting,
// counting, done), who is standing, whether the resident has voted, and the result once
// counted. One person, one vote: the ballot itself is cast on the phone app's voting screen,
// which is still to come here (README, "The web app", "Not yet").
import type { ElectionState } from "@linli/sdk";
import { useApp, useReplica } from "../app";
import { when } from "../schedule";

export function Elections() {
  const { t, me } = useApp();
  const replica = useReplica();
  const elections = replica
    .rows("election")
    .filter((e) => e.state !== "cancelled")
    .sort((a, b) => b.voting_opens.localeCompare(a.voting_opens));
  const state = (s: ElectionState) => t(`election_${s}`);
  return (
    <section>
      <h2>{t("elections")}</h2>
      {elections.length === 0 && <p class="empty">{t("noElections")}</p>}
      <ul class="cards">
        {elections.map((e) => {
          const standing = replica.rows("candidate").filter((c) => c.election_id === e.id && c.standing);
          const mine = replica.rows("elector").find((x) => x.election_id === e.id && x.resident_id === me);
          return (
            <li key={e.id} class="card election">
              <span class="title">{e.title}</span>
              <span class="standing">{state(e.state)}</span>
              <span>
                {t("votingFrom", { from: when(e.voting_opens, t.language), to: when(e.voting_closes, t.language) })}
              </span>
              <span>{t("seatsToFill", { n: e.seats })}</span>
              {mine && <span class="standing confirmed">{mine.voted ? t("youVoted") : t("youAreOnRoll")}</span>}
              {!e.result && standing.length > 0 && (
                <>
                  <h3>{t("candidates")}</h3>
                  <ul class="plain">
                    {standing.map((c) => (
                      <li key={c.id}>
                        <strong>{c.name}</strong>
                        {c.statement && ` · ${c.statement}`}
                      </li>
                    ))}
                  </ul>
                </>
              )}
              {e.result && (
                <>
                  <h3>{t("result")}</h3>
                  <p>
                    {t("turnout", { voted: e.result.voted, roll: e.result.roll_size })} ·{" "}
                    {e.result.valid ? t("resultValid") : t("resultInvalid")}
                  </p>
                  <ul class="plain">
                    {e.result.counts.map((c) => (
                      <li key={c.candidate_id ?? c.elector_id ?? c.name}>
                        <strong>{c.name}</strong> {t("votesFor", { n: c.votes_for })}
                        {c.elected && <span class="standing confirmed"> · {t("elected")}</span>}
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
