// Announcements for the resident's building, area, compound, community and groups: urgent
// and pinned first. "I have read it" sends a read receipt, so a building leader can see whose
// door to knock on; "read aloud" uses the browser's voice.
import { useApp, useReplica } from "../app";
import { speak, when } from "../schedule";

export function Notices() {
  const { t, me } = useApp();
  const replica = useReplica();
  const now = Date.now();
  const read = new Set([
    ...replica.rows("announcement_read").filter((r) => r.resident_id === me).map((r) => r.announcement_id),
    ...replica.pending("announcement.read").map((m) => m.args.announcement_id),
  ]);
  const pinned = (a: { pinned_until?: string | null }) =>
    a.pinned_until ? Date.parse(a.pinned_until) > now : false;
  const notices = replica
    .rows("announcement")
    .sort(
      (a, b) =>
        Number(b.importance === "urgent") - Number(a.importance === "urgent") ||
        Number(pinned(b)) - Number(pinned(a)) ||
        Date.parse(b.posted_at) - Date.parse(a.posted_at),
    );
  return (
    <section>
      <h2>{t("notices")}</h2>
      {notices.length === 0 && <p class="empty">{t("noNotices")}</p>}
      <ul class="cards">
        {notices.map((a) => (
          <li key={a.id} class={`card notice${a.importance === "urgent" ? " urgent" : ""}`}>
            {a.importance === "urgent" && <span class="badge">{t("urgent")}</span>}
            <span class="title">{a.title}</span>
            <span class="when">
              {a.author_name}
              {a.author_position ? ` · ${t.position(a.author_position)}` : ""} · {when(a.posted_at, t.language)}
            </span>
            <p class="body">{a.body}</p>
            <span class="actions">
              {"speechSynthesis" in window && (
                <button type="button" class="secondary" onClick={() => speak(`${a.title}。${a.body}`, t.speech)}>
                  🔊 {t("readAloud")}
                </button>
              )}
              {a.author_id !== me &&
                (read.has(a.id) ? (
                  <span class="standing confirmed">{t("read")}</span>
                ) : (
                  <button
                    type="button"
                    class="primary"
                    onClick={() => void replica.mutate("announcement.read", { announcement_id: a.id })}
                  >
                    {t("markRead")}
                  </button>
                ))}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
