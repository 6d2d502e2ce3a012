/** Config section `explorer` (composed into the full schema by src/config/schema.ts). */
import { bool, section, str, type ConfigOf } from '../config/fields.js';

export const explorerSection = section({
  enabled: bool(true, 'Serve the explorer web page at / (and /lookup, /avatar/KEY, /status, /verify) on origin and mirror alike.'),
  assetsDir: str('', 'Directory of the built page (npm run build writes dist/web). Empty = dist/web of this installation.'),
});

export type ExplorerConfig = ConfigOf<typeof explorerSection>;
