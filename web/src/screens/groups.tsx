// The volunteer groups: join or leave with one tap (offline too: the edit waits in the outbox).
import { useApp, useReplica } from "../app";

export function Groups() {
  const { t, me } = useApp();
  const replica = useReplica();
  const groups = replica.rows("group").sort((a, b) => a.name.localeCompare(b.name, "zh"));
  const memberOf = new Set(
    replica.rows("membership").filter((m) => m.resident_id === me).map((m) => m.group_id),
  );
  const pending = new Map(
    [...replica.pending("group.join"), ...replica.pending("group.leave")]
      .filter((m) => !m.args.resident_id)
      .map((m) => [m.args.group_id, m.name]),
  );
  return (
    <section>
      <h2>{t("groups")}</h2>
      <ul class="cards">
        {groups.map((g) => {
          const waiting = pending.get(g.id);
          const member = waiting ? waiting === "group.join" : memberOf.has(g.id);
          return (
            <li key={g.id} class="card group-card">
              <span class="title">{g.name}</span>
              {g.venue && <span class="where">{g.venue}</span>}
              {g.description && <span class="note">{g.description}</span>}
              {waiting && <span class="standing pending">{t("pending")}</span>}
              {!waiting && member && <span class="standing confirmed">{t("member")}</span>}
              {member ? (
                <button
                  type="button"
                  class="secondary"
                  onClick={() => void replica.mutate("group.leave", { group_id: g.id })}
                >
                  {t("leave")}
                </button>
              ) : (
                g.is_open && (
                  <button
                    type="button"
                    class="primary"
                    onClick={() => void replica.mutate("group.join", { group_id: g.id })}
                  >
                    {t("join")}
                  </button>
                )
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
