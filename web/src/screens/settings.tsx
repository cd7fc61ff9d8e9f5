// Settings: the language, the calendar subscription link, signing out.
import { useState } from "preact/hooks";
import { Problem } from "./fields";
import { useApp } from "../app";
import type { Language, T } from "../i18n";

const LANGUAGES: [Language, string][] = [
  ["zh-Hans", "简体中文"],
  ["zh-Hant", "繁體中文"],
  ["en", "English"],
];

export function LanguagePicker({ t, setLanguage }: { t: T; setLanguage: (l: Language) => void }) {
  return (
    <fieldset class="languages">
      <legend>{t("language")}</legend>
      {LANGUAGES.map(([code, label]) => (
        <label key={code} lang={code}>
          <input
            type="radio"
            name="language"
            value={code}
            checked={t.language === code}
            onChange={() => setLanguage(code)}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

export function Settings() {
  const { t, setLanguage, auth } = useApp();
  const [feed, setFeed] = useState<string | undefined>();
  const [error, setError] = useState("");
  const makeLink = async () => {
    setError("");
    try {
      const { data } = await auth.api.POST("/api/v1/me/calendar-token");
      if (data) setFeed(`${location.origin}${data.path}`);
      else setError(t("noNetwork"));
    } catch {
      setError(t("noNetwork"));
    }
  };
  return (
    <section>
      <h2>{t("settings")}</h2>
      <LanguagePicker t={t} setLanguage={setLanguage} />
      <h3>{t("calendar")}</h3>
      <p>{t("calendarHint")}</p>
      {feed ? (
        <p class="feed">
          <a href={feed.replace(/^https?:/, "webcal:")}>{feed}</a>
        </p>
      ) : (
        <button type="button" class="secondary" onClick={() => void makeLink()}>
          {t("makeCalendarLink")}
        </button>
      )}
      <Problem text={error} />
      <h3>{t("signOut")}</h3>
      <button type="button" class="secondary" onClick={() => void auth.signOut()}>
        {t("signOut")}
      </button>
    </section>
  );
}
