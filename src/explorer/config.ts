/** Config section `explorer` (composed into the full schema by src/config/schema.ts). */
import { bool, str, type Section } from '../config/fields.js';

export const explorerSection: Section = {
  enabled: bool(true, 'Serve the explorer web page at / (and /lookup, /avatar/KEY, /status, /verify) on origin and mirror alike.'),
  assetsDir: str('', 'Directory of the built page (npm run build writes dist/web). Empty = dist/web of this installation.'),
};

export interface ExplorerConfig {
  readonly enabled: boolean;
  readonly assetsDir: string;
}
