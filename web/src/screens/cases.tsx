// 反映問題: a resident reports a problem (a broken light, rubbish, a dispute) and follows it
// round the loop (reported → accepted → assigned → handled → confirmed), every step in words.
import { useState } from "preact/hooks";
import type { CaseCategory, CaseState } from "@linli/sdk";
import { v7 as uuidv7 } from "uuid";
import { useApp, useReplica } from "../app";
import { when } from "../schedule";

const CATEGORIES: CaseCategory[] = ["repair", "sanitation", "safety", "dispute", "company", "property", "other"];

export function Cases() {
  const { t, me } = useApp();
  const replica = useReplica();
  const [category, setCategory] = useState<CaseCategory | "">("");
  const [place, setPlace] = useState("");
  const [description, setDescription] = useState("");
  const mine = replica
    .rows("case")
    .filter((c) => c.reporter_id === me)
    .sort((a, b) => b.created_at.localeCompare(a.created_at));
  const pending = replica.pending("case.report");
  const report = (e: Event) => {
    e.preventDefault();
    if (!category) return;
    void replica.mutate("case.report", { id: uuidv7(), category, place, description, photos: [] });
    setCategory("");
    setPlace("");
    setDescription("");
  };
  const state = (s: CaseState) => t(`case_${s}`);
  return (
    <section>
      <h2>{t("cases")}</h2>
      <form onSubmit={report}>
        <label>
          {t("caseCategory")}
          <select required value={category} onChange={(e) => setCategory(e.currentTarget.value as CaseCategory)}>
            <option value="">{t("chooseCategory")}</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`category_${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("where")}
          <input value={place} onInput={(e) => setPlace(e.currentTarget.value)} />
        </label>
        <label>
          {t("whatHappened")}
          <textarea required rows={4} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
        <button class="primary" type="submit">
          {t("submitCase")}
        </button>
      </form>
      <h3>{t("myCases")}</h3>
      {mine.length === 0 && pending.length === 0 && <p class="empty">{t("noCases")}</p>}
      <ul class="cards">
        {pending.map((m) => (
          <li key={`p${m.id}`} class="card">
            <span class="title">{t(`category_${m.args.category}`)}</span>
            <span class="note">{m.args.description}</span>
            <span class="standing pending">{t("pending")}</span>
          </li>
        ))}
        {mine.map((c) => (
          <li key={c.id} class="card">
            <span class="title">
              {t(`category_${c.category}`)} · {state(c.state)}
            </span>
            <span class="note">{c.description}</span>
            {c.assignee_name && (
              <span>
                {t("handledBy")}: {c.assignee_name}
              </span>
            )}
            <ol class="timeline">
              {c.timeline.map((step, i) => (
                <li key={i}>
                  {when(step.at, t.language)} · {step.state ? state(step.state) : step.step}
                  {step.text && ` · ${step.text}`}
                </li>
              ))}
            </ol>
          </li>
        ))}
      </ul>
    </section>
  );
}
