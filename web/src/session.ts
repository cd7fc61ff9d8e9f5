// Signing in and staying signed in. The access token lives 15 minutes; the refresh token is
// exchanged shortly before it runs out, and on a 401. Each refresh token works once, but the
// server answers a retry within 60 s with the same new token: so when a refresh's answer is
// lost on a poor connection, the saved token is kept and simply sent again, and the resident
// stays signed in. Only an answer that says the token is no good signs them out.
import { createLinliClient, type LinliClient, type Session } from "@linli/sdk";
import type { Store } from "./store";

export type Saved = {
  access: string;
  accessExpires: number;
  refresh: string;
  residentId: string;
};

/** A network failure (no answer at all), as opposed to an answer that says no. */
export class Offline extends Error {}

export class Auth {
  saved: Saved | undefined;
  /** Calls that carry the resident's token. */
  readonly api: LinliClient;
  /** Calls made before signing in (login, register, refresh, the communities list). */
  readonly open: LinliClient;
  private refreshing: Promise<void> | undefined;
  /** Told when the session ends (signed out here, or the server refused the refresh). */
  onSignedOut: () => void = () => undefined;

  constructor(
    private readonly store: Store,
    base = location.origin,
  ) {
    this.open = createLinliClient(base);
    this.api = createLinliClient(base, { getToken: () => this.token() });
    this.api.use({
      onResponse: async ({ response }) => {
        if (response.status === 401 && this.saved) {
          // Revoked or expired early: one refresh, and the caller retries on its next round.
          this.saved.accessExpires = 0;
        }
        return response;
      },
    });
  }

  async load(): Promise<void> {
    this.saved = await this.store.get<Saved>("session");
  }

  get residentId(): string | undefined {
    return this.saved?.residentId;
  }

  async signedIn(session: Session): Promise<void> {
    this.saved = {
      access: session.access_token,
      accessExpires: Date.now() + session.expires_in * 1000,
      refresh: session.refresh_token,
      residentId: session.resident_id,
    };
    await this.store.set("session", this.saved);
  }

  async token(): Promise<string | undefined> {
    if (this.saved && this.saved.accessExpires - Date.now() < 60_000) await this.refresh();
    return this.saved?.access;
  }

  /** One refresh at a time, however many calls need it. */
  refresh(): Promise<void> {
    this.refreshing ??= this.exchange().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async exchange(): Promise<void> {
    const saved = this.saved;
    if (!saved) return;
    let answer;
    try {
      answer = await this.open.POST("/api/v1/auth/refresh", {
        body: { refresh_token: saved.refresh },
      });
    } catch {
      // No answer: keep the token and try again later (the server repeats its answer).
      throw new Offline("no answer to the refresh");
    }
    if (answer.data) {
      await this.signedIn(answer.data);
    } else if (answer.response.status === 401 || answer.response.status === 400) {
      await this.signOut();
    } else {
      throw new Offline(`refresh answered ${answer.response.status}`);
    }
  }

  async signOut(): Promise<void> {
    const saved = this.saved;
    this.saved = undefined;
    if (saved) {
      // Best effort: ends the session on the server too.
      this.open
        .POST("/api/v1/auth/logout", {
          body: { refresh_token: saved.refresh },
          headers: { authorization: `Bearer ${saved.access}` },
        })
        .catch(() => undefined);
    }
    await this.store.clear();
    this.onSignedOut();
  }
}
