/**
 * The page's only network access: same-origin GETs of the daemon's JSON API. Each answer is
 * untrusted data; the chain is re-verified by the core in this page (verify.ts).
 */
export type Fetched<T> =
  | { kind: 'ok'; body: T }
  /** the route does not exist on this server (an older daemon, or a part turned off) */
  | { kind: 'absent' }
  | { kind: 'error'; status: number; code: string; message: string };

const TIMEOUT_MS = 15_000;

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<Fetched<T>> {
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: 'application/json' }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout, credentials: 'omit' });
  } catch (err) {
    return { kind: 'error', status: 0, code: 'UNAVAILABLE', message: `the server could not be reached (${(err as Error).message})` };
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: reported below */
  }
  if (res.ok && body !== null) return { kind: 'ok', body: body as T };
  return failure(res.status, body);
}

/** A non-2xx answer: its {"message","code"} when it has one. */
function failure(status: number, body: unknown): Fetched<never> {
  const b = (body ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof b.code === 'string' ? b.code : 'UNKNOWN';
  const message = typeof b.message === 'string' ? b.message : `HTTP ${status}`;
  // The daemon's not-found handler says "no route …": that part is not on this server.
  if (status === 404 && code === 'NOT_FOUND' && message.startsWith('no route')) return { kind: 'absent' };
  return { kind: 'error', status, code, message };
}

/** A text resource (signed notes: /checkpoint, /v1/mirror/checkpoint), kept byte for byte. */
export async function getText(path: string, signal?: AbortSignal): Promise<Fetched<string>> {
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  try {
    const res = await fetch(path, { headers: { accept: 'text/plain' }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout, credentials: 'omit' });
    const text = await res.text();
    if (res.ok) return { kind: 'ok', body: text };
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return failure(res.status, body);
  } catch (err) {
    return { kind: 'error', status: 0, code: 'UNAVAILABLE', message: `the server could not be reached (${(err as Error).message})` };
  }
}

/** Query string from pairs, each value encoded (attacker-chosen search text included). */
export function qs(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export interface BindingJson {
  platform: string;
  identity: string;
  alt_id: string;
  created_at: string;
  last_checked_at: string;
  is_valid: boolean;
  invalid_reason: string;
  invalid_code: string;
  status: string;
}

export interface ProofQueryJson {
  ids: Array<{ avatar: string; last_arweave_id: string; activated_at: string; proofs: BindingJson[] }>;
  pagination: { total: number; per: number; current: number; next: number };
}

export interface EvidenceJson extends BindingJson {
  proof_location: string;
  next_check_at: string;
  consecutive_failures: number;
  last_error_code: string;
  last_error: string;
  evidence: { url: string; text: string | null; fetched_at: string; outcome: string } | null;
}

export interface ArchiveJson {
  avatar: string;
  link_count: number;
  versions: Array<{
    links: number; head_uuid: string; cid: string | null; arweave_tx: string; previous_tx: string;
    ipfs_status: string; kubo_status: string; arweave_status: string; confirmations: number | null;
    block_height: number | null; last_error: string | null; created_at: string | null;
    ipfs_pinned_at: string | null; arweave_confirmed_at: string | null;
    /** remote pinning: the Pinning Service API target's state (queued → pinning → pinned | failed) */
    pinning_service_status?: string; pinning_service_attempts?: number; pinning_service_error?: string;
  }>;
  pending: { jobs: number; attempts: number; next_attempt_at: string | null; last_error: string | null };
}

export interface UuidLookupJson {
  links: Array<{ avatar: string; seq: number; action: string; platform: string; identity: string; created_at: number; uuid: string }>;
}
