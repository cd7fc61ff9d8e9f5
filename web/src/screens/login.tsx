// Signing in and registering. The community is chosen from the server's list.
import { useEffect, useState } from "preact/hooks";
import type { CommunitySummary } from "@linli/sdk";
import type { Language, T } from "../i18n";
import type { Auth } from "../session";
import { Field, Problem } from "./fields";
import { LanguagePicker } from "./settings";

type Props = { t: T; setLanguage: (l: Language) => void; auth: Auth; onIn: () => void };

export function Login({ t, setLanguage, auth, onIn }: Props) {
  const [phone, setPhone] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const { data } = await auth.open.POST("/api/v1/auth/login", { body: { phone, password } });
      if (data) {
        await auth.signedIn(data);
        onIn();
      } else {
        setError(t("wrongLogin"));
      }
    } catch {
      setError(t("noNetwork"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="welcome">
      <h1>
        {t("app")} <span class="village">{t("village")}</span>
      </h1>
      <form onSubmit={submit}>
        <Field label={t("phone")} type="tel" inputMode="tel" autoComplete="tel" required value={phone} onValue={setPhone} />
        <Field label={t("password")} type="password" autoComplete="current-password" required value={password} onValue={setPassword} />
        <Problem text={error} />
        <button class="primary" type="submit" disabled={busy}>
          {busy ? t("signingIn") : t("signIn")}
        </button>
      </form>
      <p>
        <a href="#/register">{t("registerHint")}</a>
      </p>
      <LanguagePicker t={t} setLanguage={setLanguage} />
    </main>
  );
}

export function Register({ t, setLanguage, auth, onIn }: Props) {
  const [communities, setCommunities] = useState<CommunitySummary[]>([]);
  const [community, setCommunity] = useState("");
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    auth.open
      .GET("/api/v1/communities")
      .then(({ data }) => {
        if (data) {
          setCommunities(data);
          if (data.length === 1) setCommunity(data[0]!.id);
        }
      })
      .catch(() => setError(t("noNetwork")));
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    try {
      const { data, error } = await auth.open.POST("/api/v1/auth/register", {
        body: { phone, password, display_name: name, community_id: community },
      });
      if (data) {
        await auth.signedIn(data);
        location.hash = "#/";
        onIn();
      } else {
        setError(`${t("cannotRegister")}${error?.detail ?? ""}`);
      }
    } catch {
      setError(t("noNetwork"));
    }
  };
  return (
    <main class="welcome">
      <h1>{t("register")}</h1>
      <form onSubmit={submit}>
        <label>
          {t("community")}
          <select required value={community} onChange={(e) => setCommunity(e.currentTarget.value)}>
            <option value="">{t("chooseCommunity")}</option>
            {communities.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <Field label={t("name")} required autoComplete="name" value={name} onValue={setName} />
        <Field label={t("phone")} type="tel" inputMode="tel" autoComplete="tel" required value={phone} onValue={setPhone} />
        <Field
          label={
            <>
              {t("password")} <small>{t("passwordHint")}</small>
            </>
          }
          type="password"
          autoComplete="new-password"
          required
          minLength={10}
          value={password}
          onValue={setPassword}
        />
        <Problem text={error} />
        <button class="primary" type="submit">
          {t("register")}
        </button>
      </form>
      <p>
        <a href="#/">{t("haveAccount")}</a>
      </p>
      <LanguagePicker t={t} setLanguage={setLanguage} />
    </main>
  );
}
