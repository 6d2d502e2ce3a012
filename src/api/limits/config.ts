/** server.limits: per-client budgets of work (see budget.ts and docs/operations.md "Limits and abuse"). */
import { int, section, type ConfigOf } from '../../config/fields.js';

export const limitsSection = section({
  recoveriesPerMinute: int(600, 'Signature recoveries a client may cost per minute (POST /v1/proof: 1, 2 with a wallet signature; POST /v1/links: 1 per link, 2 per wallet link); 0 = unlimited. Over budget: 429 RATE_LIMITED with Retry-After, before any verification.', 0),
  recoveryBurst: int(200, 'Most recoveries a client may spend at once (its bucket). A client with a full bucket may overdraw it with one bigger request, then waits the debt off.', 1),
  bytesPerMinute: int(16 * 1024 * 1024, 'Request body bytes a client may send per minute; 0 = unlimited. Charged from Content-Length before the body is read.', 0),
  byteBurst: int(16 * 1024 * 1024, 'Most body bytes a client may send at once (its bucket).', 1),
});

export type LimitsConfig = ConfigOf<typeof limitsSection>;
