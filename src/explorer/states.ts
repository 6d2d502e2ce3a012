/**
 * Plain-language states: what a binding's status means for the reader, not only its code. Used
 * by the page (src/web) and by the server-rendered fallback, so both say the same. No DOM, no
 * I/O. The reason text comes from a platform's answer (attacker-influenced): callers show it as text.
 */

export type Tone = 'good' | 'bad' | 'warn' | 'neutral';

const INVALID_MEANING: Record<string, (platform: string, when: string) => string> = {
  POST_NOT_FOUND: (p, w) => `The ${postWord(p)} that proved this binding was deleted or can no longer be found (noticed ${w}).`,
  POST_INACCESSIBLE: (p, w) => `The ${postWord(p)} that proved this binding exists but is no longer public (noticed ${w}).`,
  ACCOUNT_GONE: (p, w) => `The ${platformName(p)} account was suspended or deleted (noticed ${w}).`,
  AUTHOR_MISMATCH: (p, w) => `The proof ${postWord(p)} was made by a different ${platformName(p)} account (noticed ${w}).`,
  SIGNATURE_MISSING: (p, w) => `The proof ${postWord(p)} no longer carries the Avatar's signature (noticed ${w}).`,
  SIGNATURE_MISMATCH: (p, w) => `The signature in the proof ${postWord(p)} was not made by this Avatar (noticed ${w}).`,
  PAYLOAD_MISMATCH: (p, w) => `The proof ${postWord(p)} belongs to a different link — a replayed proof (noticed ${w}).`,
  PROOF_MALFORMED: (p, w) => `The proof ${postWord(p)} could not be read (noticed ${w}).`,
};

function platformName(p: string): string {
  const names: Record<string, string> = { twitter: 'Twitter/X', github: 'GitHub', dns: 'DNS', activitypub: 'fediverse', keybase: 'Keybase', discord: 'Discord', minds: 'Minds', ethereum: 'Ethereum', solana: 'Solana' };
  return names[p] ?? p;
}

function postWord(p: string): string {
  return ({ twitter: 'tweet', github: 'gist', dns: 'TXT record', keybase: 'proof file', activitypub: 'post', discord: 'message' } as Record<string, string>)[p] ?? 'post';
}

export interface Explained {
  label: string;
  tone: Tone;
  meaning: string;
}

export interface BindingState {
  status: string;
  platform: string;
  invalid_code: string;
  /** unix seconds, as a string or number; 0 = never */
  last_checked_at: string | number | null;
}

/** `formatTime` turns unix seconds into the reader's time (the page) or UTC (the server). */
export function explainBinding(b: BindingState, formatTime: (unixSeconds: number) => string): Explained {
  const checked = Number(b.last_checked_at) || 0;
  const when = checked > 0 ? formatTime(checked) : 'at an unknown time';
  switch (b.status) {
    case 'valid':
      return { label: 'Valid', tone: 'good', meaning: `The proof ${postWord(b.platform)} was found and is signed by this Avatar (last checked ${when}).` };
    case 'invalid': {
      const explain = INVALID_MEANING[b.invalid_code];
      const meaning = explain ? explain(b.platform, when) : `This binding failed its last check (${b.invalid_code || 'no code'}, noticed ${when}).`;
      return { label: 'Invalid', tone: 'bad', meaning };
    }
    case 'stale':
      return { label: 'Stale', tone: 'warn', meaning: `It was valid, but it could not be re-checked for a long time (last success ${when}); the platform may be unreachable. Treat it with care.` };
    case 'unchecked':
      return { label: 'Not checked', tone: 'neutral', meaning: 'Nobody has fetched the proof post yet: the chain says the Avatar claimed this identity, but the platform has not confirmed it.' };
    default:
      return { label: b.status || 'Unknown', tone: 'neutral', meaning: 'This server reported a state this page does not know.' };
  }
}

/**
 * What a witness alarm (a mirror's /healthz mirror.witness.alarm.kind) means for a reader of
 * the log. The kinds are the witness's own (src/mirror/witness-state.ts AlarmKind).
 */
export function explainAlarm(kind: string): { label: string; meaning: string } {
  switch (kind) {
    case 'fork':
      return { label: 'fork', meaning: 'The log signed two different checkpoints of the same size: it is showing two different histories at once.' };
    case 'root_mismatch':
      return { label: 'root mismatch', meaning: 'The log signed a checkpoint that does not match the entries it serves: the entries were rewritten, or the checkpoint belongs to another history.' };
    case 'inconsistent':
      return { label: 'inconsistent', meaning: 'The log signed a checkpoint that does not extend the one this witness cosigned before, and could not prove otherwise: its past was rewritten.' };
    default:
      return { label: kind || 'unknown', meaning: 'The witness raised an alarm of a kind this page does not know.' };
  }
}
