// A session as the screens show it: the server's expansion of the schedule (REST, kept for
// offline use) brought up to date with what the replica knows now (the seat tally, an
// override, the resident's own sign-up) and with edits still in the outbox ("pending").
import type { OccurrenceView } from "@linli/sdk";
import type { DataOf, Replica } from "./sync";

export type Mine =
  | { state: "none" }
  | { state: "pending"; cancelling: boolean }
  | { state: "confirmed"; partySize: number }
  | { state: "waitlisted"; position: number; partySize: number };

export type Live = OccurrenceView & {
  group: DataOf<"group"> | undefined;
  seatsLeft: number | undefined;
  mine: Mine;
};

export const instant = (iso: string) => Date.parse(iso);

export function live(o: OccurrenceView, replica: Replica, me: string): Live {
  const tally = replica.get("occurrence_tally", o.occurrence_id);
  const override = replica.get("occurrence_override", o.occurrence_id);
  const confirmed = tally?.confirmed ?? o.confirmed;
  const waitlisted = tally?.waitlisted ?? o.waitlisted;
  const capacity = override?.capacity ?? tally?.capacity ?? o.capacity;
  const view: Live = {
    ...o,
    confirmed,
    waitlisted,
    capacity,
    cancelled: override?.cancelled ?? o.cancelled,
    location: override?.location || o.location,
    starts_at: override?.starts_at ?? o.starts_at,
    note: override?.note ?? o.note,
    group: replica.get("group", o.group_id),
    seatsLeft: capacity === undefined || capacity === null ? undefined : Math.max(0, capacity - confirmed),
    mine: { state: "none" },
  };
  view.mine = mineOf(o, replica, me);
  return view;
}

function mineOf(o: OccurrenceView, replica: Replica, me: string): Mine {
  const pending = replica.outbox.filter(
    (m) =>
      (m.name === "signup.request" || m.name === "signup.cancel") &&
      m.args.occurrence_id === o.occurrence_id &&
      !m.args.on_behalf_of,
  );
  const last = pending[pending.length - 1];
  if (last) return { state: "pending", cancelling: last.name === "signup.cancel" };
  const start = instant(o.original_start);
  const signup = replica
    .rows("signup")
    .find((s) => s.resident_id === me && s.series_id === o.series_id && instant(s.original_start) === start);
  if (signup?.status === "confirmed") return { state: "confirmed", partySize: signup.party_size };
  if (signup?.status === "waitlisted") {
    return { state: "waitlisted", position: signup.waitlist_position ?? 0, partySize: signup.party_size };
  }
  return { state: "none" };
}

/** The sessions to show, soonest first: not yet over. */
export function upcoming(all: OccurrenceView[] | undefined, replica: Replica, me: string): Live[] {
  const now = Date.now();
  return (all ?? [])
    .map((o) => live(o, replica, me))
    .filter((o) => instant(o.ends_at) > now)
    .sort((a, b) => instant(a.starts_at) - instant(b.starts_at));
}

export function when(iso: string, language: string): string {
  return new Intl.DateTimeFormat(language, {
    timeZone: "Asia/Shanghai",
    weekday: "short",
    month: "long",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  }).format(new Date(iso));
}

/** The address of a session's page. */
export const pageOf = (o: { series_id: string; original_start: string }) =>
  `#/s/${o.series_id}/${encodeURIComponent(o.original_start)}`;

/** Reads a text aloud with the browser's voice, in the screen's language. */
export function speak(text: string, lang: string): void {
  if (!("speechSynthesis" in window)) return;
  window.speechSynthesis.cancel();
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = lang;
  utterance.rate = 0.9;
  window.speechSynthesis.speak(utterance);
}
