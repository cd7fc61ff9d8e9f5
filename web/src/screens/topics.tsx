// 議事: residents' topics for their unit, with support (a topic with enough goes on the
// agenda), and raising a new one.
import { useState } from "preact/hooks";
import type { CategoryWire } from "@linli/sdk";
import { v7 as uuidv7 } from "uuid";
import { useApp, useReplica } from "../app";

const CATEGORIES: CategoryWire[] = ["parking", "sanitation", "safety", "repairs", "neighbours", "activities", "company_affairs", "other"];

export function Topics() {
  const { t, me } = useApp();
  const replica = useReplica();
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [category, setCategory] = useState<CategoryWire | "">("");
  const supported = new Set([
    ...replica.rows("topic_support").map((s) => s.topic_id),
    ...replica.pending("topic.support").map((m) => m.args.topic_id),
  ]);
  const topics = replica.rows("topic").sort((a, b) => b.created_at.localeCompare(a.created_at));
  const raise = (e: Event) => {
    e.preventDefault();
    if (!category) return;
    void replica.mutate("topic.raise", { id: uuidv7(), title, description, category });
    setTitle("");
    setDescription("");
    setCategory("");
  };
  return (
    <section>
      <h2>{t("topics")}</h2>
      {topics.length === 0 && <p class="empty">{t("noTopics")}</p>}
      <ul class="cards">
        {topics.map((topic) => (
          <li key={topic.id} class="card">
            <span class="title">{topic.title}</span>
            <span class="note">{topic.description}</span>
            <span>
              {topic.author_name} · {t(`topic_${topic.state}`)} · {t("supports", { n: topic.supports, of: topic.threshold ?? "—" })}
            </span>
            {topic.state === "open" && topic.author_id !== me &&
              (supported.has(topic.id) ? (
                <span class="standing confirmed">{t("supported")}</span>
              ) : (
                <button type="button" class="primary" onClick={() => void replica.mutate("topic.support", { topic_id: topic.id })}>
                  {t("support")}
                </button>
              ))}
          </li>
        ))}
      </ul>
      <form onSubmit={raise}>
        <h3>{t("raiseTopic")}</h3>
        <label>
          {t("topicTitle")}
          <input required maxLength={100} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </label>
        <label>
          {t("caseCategory")}
          <select required value={category} onChange={(e) => setCategory(e.currentTarget.value as CategoryWire)}>
            <option value="">{t("chooseCategory")}</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`topicCategory_${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("whatHappened")}
          <textarea rows={4} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <button class="primary" type="submit">
          {t("raiseTopic")}
        </button>
      </form>
    </section>
  );
}
