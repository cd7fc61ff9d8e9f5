// "More": the committee's other work, one tap each, and the settings.
import { useApp } from "../app";

export function More() {
  const { t } = useApp();
  const links: [string, string, string][] = [
    ["#/campaigns", t("campaigns"), t("campaignsHint")],
    ["#/topics", t("topics"), t("topicsHint")],
    ["#/cases", t("cases"), t("casesHint")],
    ["#/elections", t("elections"), t("electionsHint")],
    ["#/settings", t("settings"), t("settingsHint")],
  ];
  return (
    <section>
      <h2>{t("moreTab")}</h2>
      <ul class="cards">
        {links.map(([href, title, hint]) => (
          <li key={href}>
            <a class="card" href={href}>
              <span class="title">{title}</span>
              <span class="note">{hint}</span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}
