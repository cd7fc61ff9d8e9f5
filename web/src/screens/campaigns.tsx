// 微愛眾籌: the campaigns, their progress toward each goal, a pledge of money, goods or hours
// (named or anonymous to other residents), the public ledger with its check, and a rating
// once a campaign has closed. Money is in fen on the wire and in yuan on the screen.
import { useEffect, useState } from "preact/hooks";
import type { CampaignLedger } from "@linli/sdk";
import { v7 as uuidv7 } from "uuid";
import { Problem } from "./fields";
import { useApp, useReplica } from "../app";
import { when } from "../schedule";
import type { DataOf } from "../sync";

export const yuan = (fen: number) => `¥${(fen / 100).toLocaleString("zh-CN", { minimumFractionDigits: fen % 100 ? 2 : 0 })}`;

/** Yuan as typed ("12.5") to fen (1250); undefined when it is not an amount. */
export function toFen(text: string): number | undefined {
  const m = /^\s*(\d{1,7})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

function Progress({ label, value, goal, show }: { label: string; value: number; goal: number; show: (n: number) => string }) {
  return (
    <div class="progress">
      <span>
        {label}: {show(value)} / {show(goal)}
      </span>
      <progress max={goal} value={Math.min(value, goal)} aria-label={label} />
    </div>
  );
}

function Goals({ c }: { c: DataOf<"campaign"> }) {
  const { t } = useApp();
  return (
    <>
      {c.goal_fen > 0 && <Progress label={t("money")} value={c.received_fen} goal={c.goal_fen} show={yuan} />}
      {c.goal_items.map((goal) => {
        const got = c.received_items.find((r) => r.item === goal.item)?.quantity ?? 0;
        return <Progress key={goal.item} label={goal.item} value={got} goal={goal.quantity} show={(n) => String(n)} />;
      })}
      {c.goal_hours > 0 && (
        <Progress label={t("volunteerHours")} value={c.pledged_hours} goal={c.goal_hours} show={(n) => t("hoursShort", { n })} />
      )}
    </>
  );
}

export function Campaigns() {
  const { t } = useApp();
  const replica = useReplica();
  const campaigns = replica
    .rows("campaign")
    .filter((c) => c.status !== "draft")
    .sort((a, b) => Number(b.status === "open") - Number(a.status === "open") || b.created_at.localeCompare(a.created_at));
  return (
    <section>
      <h2>{t("campaigns")}</h2>
      {campaigns.length === 0 && <p class="empty">{t("noCampaigns")}</p>}
      <ul class="cards">
        {campaigns.map((c) => (
          <li key={c.id}>
            <a class="card" href={`#/campaign/${c.id}`}>
              <span class="title">{c.title}</span>
              <span class="standing">{t(`campaign_${c.status}`)}</span>
              <Goals c={c} />
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function CampaignPage({ id }: { id: string }) {
  const { t, auth, me } = useApp();
  const replica = useReplica();
  const [amount, setAmount] = useState("");
  const [hours, setHours] = useState("");
  const [items, setItems] = useState<Record<string, string>>({});
  const [anonymous, setAnonymous] = useState(false);
  const [error, setError] = useState("");
  const [ledger, setLedger] = useState<CampaignLedger | undefined>();
  const c = replica.get("campaign", id);
  useEffect(() => {
    auth.api
      .GET("/api/v1/campaigns/{campaign_id}/ledger", { params: { path: { campaign_id: id } } })
      .then(({ data }) => data && setLedger(data))
      .catch(() => undefined);
  }, [id, c?.ledger_length]);
  if (!c) return <p class="empty">{t("noCampaigns")}</p>;
  const mine = replica.rows("pledge").filter((p) => p.campaign_id === id && p.resident_id === me && p.status !== "withdrawn");
  const pending = replica.pending("pledge.make").filter((m) => m.args.campaign_id === id);
  const rated = replica.rows("campaign_rating").some((r) => r.campaign_id === id) || replica.pending("campaign.rate").some((m) => m.args.campaign_id === id);
  const pledge = (e: Event) => {
    e.preventDefault();
    setError("");
    const fen = amount.trim() ? toFen(amount) : 0;
    const h = hours.trim() ? Number(hours) : 0;
    const goods = Object.entries(items)
      .map(([item, q]) => ({ item, quantity: Number(q) }))
      .filter((g) => g.quantity > 0);
    if (fen === undefined || !Number.isInteger(h) || h < 0 || goods.some((g) => !Number.isInteger(g.quantity))) {
      setError(t("badAmount"));
      return;
    }
    if (fen === 0 && h === 0 && goods.length === 0) {
      setError(t("emptyPledge"));
      return;
    }
    void replica.mutate("pledge.make", { id: uuidv7(), campaign_id: id, amount_fen: fen, hours: h, items: goods, anonymous });
    setAmount("");
    setHours("");
    setItems({});
  };
  return (
    <article class="campaign">
      <p>
        <a href="#/campaigns">← {t("back")}</a>
      </p>
      <h2>{c.title}</h2>
      <p class="standing">{t(`campaign_${c.status}`)}</p>
      <p class="note">{c.purpose}</p>
      <dl>
        <dt>{t("organiser")}</dt>
        <dd>{c.organiser_name}</dd>
        <dt>{t("treasurer")}</dt>
        <dd>{c.treasurer_name}</dd>
        <dt>{t("deadline")}</dt>
        <dd>{when(c.deadline, t.language)}</dd>
      </dl>
      <Goals c={c} />
      <p>{t("pledgeCount", { n: c.pledges })} · {t("balance")}: {yuan(c.balance_fen)}</p>
      {c.report && (
        <>
          <h3>{t("campaignReport")}</h3>
          <p class="note">{c.report}</p>
        </>
      )}
      {(mine.length > 0 || pending.length > 0) && (
        <>
          <h3>{t("myPledges")}</h3>
          <ul class="plain">
            {pending.map((m) => (
              <li key={`p${m.id}`}>
                <span class="standing pending">{t("pending")}</span>
              </li>
            ))}
            {mine.map((p) => (
              <li key={p.id}>
                {[p.amount_fen ? yuan(p.amount_fen) : "", ...p.items.map((i) => `${i.item} × ${i.quantity}`), p.hours ? t("hoursShort", { n: p.hours }) : ""]
                  .filter(Boolean)
                  .join("、")}{" "}
                · {t(p.status === "received" ? "pledgeReceived" : "pledgePromised")}
              </li>
            ))}
          </ul>
        </>
      )}
      {c.status === "open" && (
        <form class="pledge" onSubmit={pledge}>
          <h3>{t("pledge")}</h3>
          <label>
            {t("amountYuan")}
            <input inputMode="decimal" value={amount} onInput={(e) => setAmount(e.currentTarget.value)} />
          </label>
          {c.goal_items.map((g) => (
            <label key={g.item}>
              {g.item}
              <input inputMode="numeric" value={items[g.item] ?? ""} onInput={(e) => setItems({ ...items, [g.item]: e.currentTarget.value })} />
            </label>
          ))}
          {c.goal_hours > 0 && (
            <label>
              {t("volunteerHours")}
              <input inputMode="numeric" value={hours} onInput={(e) => setHours(e.currentTarget.value)} />
            </label>
          )}
          <label class="check">
            <input type="checkbox" checked={anonymous} onChange={(e) => setAnonymous(e.currentTarget.checked)} />
            {t("anonymous")}
          </label>
          <Problem text={error} />
          <button class="primary" type="submit">
            {t("pledge")}
          </button>
        </form>
      )}
      {c.status === "closed" && mine.length > 0 && !rated && (
        <div class="rate" role="group" aria-label={t("rate")}>
          <h3>{t("rate")}</h3>
          {[1, 2, 3, 4, 5].map((stars) => (
            <button key={stars} type="button" aria-label={t("stars", { n: stars })} onClick={() => void replica.mutate("campaign.rate", { campaign_id: id, stars })}>
              {"★".repeat(stars)}
            </button>
          ))}
        </div>
      )}
      <h3>{t("ledger")}</h3>
      {!ledger && <p class="empty">{t("hoursOffline")}</p>}
      {ledger && (
        <>
          <p class={ledger.verified ? "standing confirmed" : "error"}>{ledger.verified ? t("ledgerVerified") : t("ledgerBroken", { n: ledger.broken_seq ?? 0 })}</p>
          <ol class="ledger">
            {ledger.entries.map((e) => (
              <li key={e.id}>
                <span>{t(`ledger_${e.kind}`)}</span>{" "}
                {(e.amount_fen !== 0 || e.items.length === 0) && (
                  <strong>
                    {e.kind === "expense" ? "−" : ""}
                    {yuan(e.amount_fen)}
                  </strong>
                )}
                {e.items.length > 0 && ` ${e.items.map((i) => `${i.item} × ${i.quantity}`).join("、")}`}
                {e.kind === "receipt" && ` · ${e.donor ?? t("anonymousDonor")}`}
                {e.description && ` · ${e.description}`}
                <span class="balance">
                  {t("balance")} {yuan(e.balance_after_fen)}
                </span>
              </li>
            ))}
          </ol>
        </>
      )}
    </article>
  );
}
