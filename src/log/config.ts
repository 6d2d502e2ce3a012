/** Config section `tlog`: the verifiable log's identity and checkpoint cadence. */
import { int, section, str, type ConfigOf } from '../config/fields.js';

export const tlogSection = section({
  origin: str('', 'Origin line of the log\'s checkpoints and name of its key (e.g. proofs.example.org/log). Empty = the name in the existing key file, else <hostname>/proofkeep at first start. Fixed for the life of a log.', {
    pattern: /^$|^[^\s+]+$/,
  }),
  keyFile: str('', 'File holding the log\'s Ed25519 signer key (PRIVATE+KEY+<origin>+<id>+<key>, mode 600). Empty = <dataDir>/log.key, generated on first start.'),
  checkpointIntervalMs: int(5000, 'Shortest time between two signed checkpoints, ms; one is also signed at shutdown when the log grew.', 50, 86_400_000),
});

export type TlogConfig = ConfigOf<typeof tlogSection>;
